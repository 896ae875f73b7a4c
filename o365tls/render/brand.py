"""The consultant's brand colour, checked and paired with readable text (WCAG 2 contrast)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import UsageError

DARK_INK = "#1b2330"
WHITE = "#ffffff"
DEFAULT_LINK = "#1e4a72"
#: WCAG 2 AA for body text: a brand colour darker than this against white also colours links.
AA_TEXT = 4.5

_HEX = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


@dataclass(frozen=True)
class Brand:
    color: str  # "#rrggbb": the masthead and accents
    ink: str  # text on the brand colour: white or dark, whichever contrasts more
    link: str  # links and accents on white: the brand colour when it reads as text there


def parse_color(text: str) -> str:
    """``#rgb``/``#rrggbb`` (the ``#`` optional) as ``#rrggbb``; anything else is refused."""
    match = _HEX.fullmatch(text.strip())
    if not match:
        raise UsageError(
            f"--brand-color {text!r}: not a hex colour",
            hint="pass it as #rrggbb, e.g. --brand-color '#0b5cad'",
        )
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits.lower()


def luminance(color: str) -> float:
    """WCAG 2 relative luminance of ``#rrggbb``."""

    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(color[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio (1 to 21)."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def brand(text: str) -> Brand:
    color = parse_color(text)
    ink = WHITE if contrast(color, WHITE) >= contrast(color, DARK_INK) else DARK_INK
    link = color if contrast(color, WHITE) >= AA_TEXT else DEFAULT_LINK
    return Brand(color, ink, link)
