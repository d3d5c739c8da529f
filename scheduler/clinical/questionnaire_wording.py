"""The wording of MIDAS and HIT-6, read from a data file a clinic can replace with its own.

The default file ships with the package (``scheduler/data/questionnaires.json``); setting
``QUESTIONNAIRES_FILE`` points at another copy, for instance one with the licensed HIT-6 texts.
Item codes and HIT-6 answer values must match the scoring; everything else is words.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from scheduler.clinical.questionnaires import HIT6_VALUES, ITEMS
from scheduler.config import ConfigurationError
from scheduler.models import QuestionnaireKind

DEFAULT_FILE = "questionnaires.json"


@dataclass(frozen=True)
class Item:
    code: str
    text: str
    hint: str = ""


@dataclass(frozen=True)
class Option:
    value: int
    label: str


@dataclass(frozen=True)
class Instrument:
    """One questionnaire's words: title, recall period, instructions, items and answers."""

    kind: QuestionnaireKind
    title: str
    recall: str
    instructions: str
    items: tuple[Item, ...]
    options: tuple[Option, ...] = ()
    licence_note: str = ""


def _text(data: dict[str, Any], key: str, where: str, required: bool = True) -> str:
    value = data.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise ConfigurationError(f"questionnaire wording: {where}.{key} must be a non-empty text")
    return value


def _instrument(kind: QuestionnaireKind, data: Any) -> Instrument:
    """One questionnaire's words from the file's entry for it.

    :raise ConfigurationError: if a text is missing, or the items or answers do not fit the
        scoring.
    """
    where = kind.value
    if not isinstance(data, dict):
        raise ConfigurationError(f"questionnaire wording: {where} is missing")
    items = _items(kind, data, where)
    options = _options(data, where) if kind == QuestionnaireKind.HIT6 else ()
    return Instrument(
        kind=kind,
        title=_text(data, "title", where),
        recall=_text(data, "recall", where),
        instructions=_text(data, "instructions", where),
        items=items,
        options=options,
        licence_note=_text(data, "licence_note", where, required=False),
    )


def _items(kind: QuestionnaireKind, data: dict[str, Any], where: str) -> tuple[Item, ...]:
    """The items, which must be the scoring's, in its order."""
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not all(isinstance(i, dict) for i in raw_items):
        raise ConfigurationError(f"questionnaire wording: {where}.items must be a list")
    items = tuple(
        Item(
            code=str(item.get("code", "")),
            text=_text(item, "text", f"{where}.items"),
            hint=_text(item, "hint", f"{where}.items", required=False),
        )
        for item in raw_items
    )
    codes = tuple(item.code for item in items)
    if codes != ITEMS[kind]:
        raise ConfigurationError(
            f"questionnaire wording: {where} items must be {', '.join(ITEMS[kind])} in that "
            f"order, got {', '.join(codes) or 'none'}"
        )
    return items


def _options(data: dict[str, Any], where: str) -> tuple[Option, ...]:
    """HIT-6's answers, whose values must be the scoring's."""
    raw_options = data.get("options")
    if not isinstance(raw_options, list) or not all(isinstance(o, dict) for o in raw_options):
        raise ConfigurationError(f"questionnaire wording: {where}.options must be a list")
    options = tuple(
        Option(value=o.get("value"), label=_text(o, "label", f"{where}.options"))
        for o in raw_options
    )
    if tuple(o.value for o in options) != HIT6_VALUES:
        raise ConfigurationError(
            f"questionnaire wording: {where}.options must have the values "
            + ", ".join(map(str, HIT6_VALUES))
        )
    return options


@lru_cache(maxsize=8)
def load_wording(path: str = "") -> dict[QuestionnaireKind, Instrument]:
    """Both questionnaires' wording from ``path``, or from the packaged file when empty.

    :raise ConfigurationError: if the file cannot be read or does not fit the scoring.
    """
    try:
        if path:
            raw = Path(path).read_text(encoding="utf-8")
        else:
            raw = (
                resources.files("scheduler")
                .joinpath("data")
                .joinpath(DEFAULT_FILE)
                .read_text("utf-8")
            )
        data = json.loads(raw)
    except (OSError, ValueError) as exc:
        raise ConfigurationError(
            f"questionnaire wording: cannot read {path or DEFAULT_FILE}: {exc}"
        ) from exc
    if not isinstance(data, dict):
        raise ConfigurationError("questionnaire wording: the file must hold an object")
    return {kind: _instrument(kind, data.get(kind.value)) for kind in QuestionnaireKind}
