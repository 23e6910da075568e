"""The app's own themes, read from the bundled `themes/` folder and registered with Textual's theme system.

Themes are TOML so they can be tuned without touching code. A theme file is checked as strictly as a
plan: an unknown key or a colour Textual cannot parse is an `AbmError` naming the file and the key,
because a typo would otherwise surface later as an unreadable screen in front of sales.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from textual.app import App
from textual.color import Color, ColorParseError
from textual.theme import Theme

from abm_tui.errors import AbmError, nearest
from abm_tui.onboarding.bundled import resource_dir

_COLOURS = (
    "primary",
    "secondary",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "success",
    "warning",
    "error",
    "boost",
)
_NUMBERS = ("luminosity_spread", "text_alpha")
_KEYS = ("name", "dark", "variables", *_COLOURS, *_NUMBERS)
_REQUIRED = ("name", "dark", "primary")


def load_themes(folder: Path | None = None) -> list[Theme]:
    """Every `*.toml` theme in `folder` (the bundled themes by default), sorted by file name."""
    folder = resource_dir("themes") if folder is None else folder
    themes: list[Theme] = []
    seen: dict[str, Path] = {}
    for path in sorted(folder.glob("*.toml")):
        theme = _read_theme(path)
        if theme.name in seen:
            raise AbmError(f"{path}: name: theme {theme.name!r} is already defined in {seen[theme.name]}")
        seen[theme.name] = path
        themes.append(theme)
    return themes


def register_themes(app: App[Any]) -> None:
    """Make the bundled themes selectable with `app.theme = name` and from the command palette."""
    for theme in load_themes():
        app.register_theme(theme)


def _read_theme(path: Path) -> Theme:
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise AbmError(f"{path}: cannot read the theme file: {err}") from err
    except tomllib.TOMLDecodeError as err:
        raise AbmError(f"{path}: not valid TOML: {err}") from err

    def fail(key: str, message: str) -> AbmError:
        return AbmError(f"{path}: {key}: {message}")

    for key in doc:
        if key not in _KEYS:
            raise fail(key, f"unknown key{nearest(key, _KEYS)}; expected one of {', '.join(_KEYS)}")
    for key in _REQUIRED:
        if key not in doc:
            raise fail(key, "missing; every theme needs name, dark and primary")
    if not isinstance(doc["name"], str) or not doc["name"].strip():
        raise fail("name", f"expected a non-empty string, got {doc['name']!r}")
    if not isinstance(doc["dark"], bool):
        raise fail("dark", f"expected true or false, got {doc['dark']!r}")
    for key in _COLOURS:
        if key in doc:
            problem = _colour_problem(doc[key])
            if problem:
                raise fail(key, problem)
    for key in _NUMBERS:
        if key in doc and (isinstance(doc[key], bool) or not isinstance(doc[key], int | float)):
            raise fail(key, f"expected a number, got {doc[key]!r}")
    variables = doc.get("variables", {})
    if not isinstance(variables, dict):
        raise fail("variables", f"expected a table of Textual variable names to values, got {variables!r}")
    for name, value in variables.items():
        if not isinstance(value, str):
            raise fail(f"variables.{name}", f"expected a string such as '#5AA9F0' or 'bold', got {value!r}")
    return Theme(**doc)


def _colour_problem(value: object) -> str | None:
    """Parse the colour now so the error names the file, not a stylesheet line at run time."""
    if not isinstance(value, str):
        return f"expected a colour string such as '#5AA9F0', got {value!r}"
    try:
        Color.parse(value)
    except ColorParseError as err:
        return f"{value!r} is not a colour Textual understands ({err})"
    return None
