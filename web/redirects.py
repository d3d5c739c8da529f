"""Where a redirect may go when the target came from a request: only a path on this site."""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

# Longer than any page of ours with its query; a longer "next" is junk or an attack.
LONGEST = 2000
# Browsers drop these anywhere in a URL before parsing it, so "/\t/evil" is read as "//evil".
STRIPPED_BY_BROWSERS = str.maketrans("", "", "\t\n\r")


def safe_next(target: str | None, fallback: str, *, under: str = "/") -> str:
    """``target`` when it is a path on this site starting with ``under``, else ``fallback``.

    A path on this site starts with one "/" (not "//" or "/\\", which browsers read as another
    host), has no whitespace or control characters (browsers drop some, which can turn it into
    "//host"), no backslash, no scheme or host, and is at most ``LONGEST`` characters. The
    same holds once its percent-escapes are decoded, for whatever decodes it again on the way.
    """
    if not target or len(target) > LONGEST or "\\" in target:
        return fallback
    if any(_unprintable(ch) for ch in target):
        return fallback
    if _leads_elsewhere(target) or _leads_elsewhere(unquote(target)):
        return fallback
    return target if target.startswith(under) else fallback


def _unprintable(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) == "Cc"


def _leads_elsewhere(target: str) -> bool:
    """Whether ``target``, read the way a browser reads it, could name another site."""
    path = target.translate(STRIPPED_BY_BROWSERS)
    if not path.startswith("/") or path[1:2] in ("/", "\\"):
        return True
    parts = urlsplit(path)
    return bool(parts.scheme or parts.netloc)
