"""Writing a new plugin from the template tree: every file of ``template/`` with the name filled in.

Template files end in ``.tmpl`` so neither the portal's pytest nor its linter takes them for the
portal's own code. In paths and contents, ``__plugin__`` becomes the plugin's name and ``__title__``
its name as words ("Gift cards"). The templates are laid out so ruff's formatting of the result is the
same whatever the name's length (long calls keep a trailing comma).
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from portal.scaffold.names import check_plugin_name

TEMPLATE = files("portal.scaffold") / "template"
SUFFIX = ".tmpl"
DOTFILES = {"gitignore": ".gitignore"}


class ScaffoldError(RuntimeError):
    """The plugin cannot be written where asked; nothing was written."""


def create_plugin(name: str, parent: Path) -> Path:
    """Write a new plugin distribution named ``portal-<name>`` into ``parent`` and return its folder.

    Checks the name and the folder first, so a refusal writes nothing. The Persian catalogue is
    compiled too, so the plugin works as soon as it is installed.
    """
    check_plugin_name(name)
    target = parent / f"portal-{name}"
    if target.exists():
        raise ScaffoldError(f"{target} already exists; remove it or choose another name or folder.")
    words = name.split("_")
    replacements = {
        "__plugin__": name,
        "__title__": " ".join(words).capitalize(),
        "__portal_checkout__": portal_checkout(),
    }
    files_to_write = dict(_rendered(TEMPLATE, Path(), replacements))
    for relative, content in files_to_write.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    for catalogue in target.glob(f"{name}/translations/*/LC_MESSAGES/messages.po"):
        with catalogue.open("rb") as source, catalogue.with_suffix(".mo").open("wb") as compiled:
            write_mo(compiled, read_po(source))
    return target


def portal_checkout() -> str:
    """The checkout this portal runs from, so the new plugin's ``make test`` finds it without being told.

    The portal is installed from a checkout (its templates, static files and migrations live beside the
    package, not inside a wheel); an install without one leaves the choice to the author.
    """
    root = Path(__file__).resolve().parents[2]
    return str(root) if (root / "setup.cfg").is_file() and (root / "migrations").is_dir() else ""


def _rendered(folder: Traversable, relative: Path, replacements: dict[str, str]) -> list[tuple[Path, str]]:
    """Each template file under ``folder`` as (path in the new plugin, content), names filled in."""
    out: list[tuple[Path, str]] = []
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        name = _fill(entry.name, replacements)
        if entry.is_dir():
            if entry.name != "__pycache__":
                out.extend(_rendered(entry, relative / name, replacements))
        elif name.endswith(SUFFIX):
            stem = name.removesuffix(SUFFIX)
            out.append((relative / DOTFILES.get(stem, stem), _fill(entry.read_text("utf-8"), replacements)))
    return out


def _fill(text: str, replacements: dict[str, str]) -> str:
    for token, value in replacements.items():
        text = text.replace(token, value)
    return text
