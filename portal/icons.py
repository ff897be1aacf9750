"""The icons the portal uses, built into one small SVG sprite from the ``lucide-static`` npm package.

Lucide ships about 2,500 icons; a page needs a dozen. ``make setup`` runs this module as a script
(``python3 portal/icons.py SOURCE TARGET``), which turns each icon named in ``ICONS`` into a
``<symbol id="…">`` of ``static/vendor/icons.svg``. Templates draw one with the ``icon`` macro of
templates/macros/components.html (``<svg><use href="…/icons.svg#ticket">``), so the stroke takes the
text colour (``currentColor``) in the light and the dark scheme. It uses only the standard library,
so the build needs nothing installed beyond Python. An icon a template names must be listed here.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ICONS: tuple[str, ...] = (
    "bell",
    "building",
    "calendar",
    "chevron-left",
    "chevron-right",
    "circle-alert",
    "circle-check",
    "clipboard-list",
    "file-text",
    "gift",
    "house",
    "info",
    "layout-dashboard",
    "log-out",
    "menu",
    "plus",
    "scroll-text",
    "send",
    "settings",
    "shield",
    "ticket",
    "triangle-alert",
    "user",
    "users",
)

_SVG_TAG = re.compile(r"<svg\b[^>]*>(?P<body>.*?)</svg>", re.DOTALL)
_SYMBOL_ATTRIBUTES = (
    'viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" '
    'stroke-linecap="round" stroke-linejoin="round"'
)


def symbol(name: str, svg_text: str) -> str:
    """One Lucide icon file as a ``<symbol>``: the drawing kept, the outer ``<svg>``'s look moved onto it."""
    match = _SVG_TAG.search(svg_text)
    if match is None:
        raise ValueError(f"{name}.svg holds no <svg> element")
    body = " ".join(line.strip() for line in match.group("body").splitlines() if line.strip())
    return f'<symbol id="{name}" {_SYMBOL_ATTRIBUTES}>{body}</symbol>'


def build_sprite(source: Path, names: tuple[str, ...] = ICONS) -> str:
    """The sprite for ``names``, read from Lucide's ``icons/`` folder; a missing icon stops the build."""
    missing = [name for name in names if not (source / f"{name}.svg").is_file()]
    if missing:
        raise FileNotFoundError(f"lucide-static has no icon named {', '.join(missing)} in {source}")
    symbols = "\n".join(symbol(name, (source / f"{name}.svg").read_text(encoding="utf-8")) for name in names)
    return (
        "<!-- Icons from lucide-static (ISC licence, see lucide-LICENSE); built by portal/icons.py. -->\n"
        f'<svg xmlns="http://www.w3.org/2000/svg">\n{symbols}\n</svg>\n'
    )


def main(argv: list[str]) -> int:
    """``python3 portal/icons.py node_modules/lucide-static/icons static/vendor/icons.svg``."""
    if len(argv) != 2:
        print("usage: icons.py SOURCE_FOLDER TARGET_FILE", file=sys.stderr)
        return 2
    source, target = Path(argv[0]), Path(argv[1])
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(build_sprite(source), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
