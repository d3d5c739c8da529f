"""Werkzeug's URL builders made once per rule shape in a test process, not once per app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing import Rule

_Builder = Callable[..., tuple[str, str]]


def share_url_builders() -> None:
    """Every test makes its own app; each app's ~140 rules each compile two URL-building
    functions from generated source (about two thirds of making an app). A builder is a plain
    function of the rule's parts and of its defaults (the names, which it takes as arguments,
    and the values of those in the path, which it bakes in), taking the rule as ``self``: one
    made for a rule of the same shape serves every later app's rule of that shape."""
    original: Callable[[Rule, bool], _Builder] = Rule._compile_builder
    made: dict[tuple[Any, ...], _Builder] = {}

    def shared(self: Rule, append_unknown: bool = True) -> _Builder:
        defaults = self.defaults or {}
        baked = tuple(
            (name, self._converters[name].to_url(defaults[name]))
            for dynamic, name in self._trace
            if dynamic and name in defaults
        )
        key = (tuple(self._trace), tuple(sorted(defaults)), baked, append_unknown)
        if key not in made:
            made[key] = original(self, append_unknown)
        return made[key]

    Rule._compile_builder = shared  # type: ignore[method-assign]
