"""What abm-tui remembers between sessions (the theme, the rules pane's width), and where per-user files live.

Settings must never stop the app from opening: a missing file means defaults, and a file that cannot
be used is moved aside to `settings.toml.bad` (so a hand edit is not lost) before defaults apply.
The folders can be redirected with `ABM_TUI_CONFIG_DIR` and `ABM_TUI_STATE_DIR`, which tests use.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import platformdirs
import tomli_w

from abm_tui import files
from abm_tui.errors import nearest

APP_NAME = "abm-tui"
CONFIG_DIR_ENV = "ABM_TUI_CONFIG_DIR"
STATE_DIR_ENV = "ABM_TUI_STATE_DIR"


@dataclass(frozen=True)
class Settings:
    """The planner's choices; change one with `dataclasses.replace` and save the result."""

    theme: str = "abm-dark"
    rules_width: int = 0  # columns of the workbench's rules pane; 0 leaves it to the layout


def config_dir() -> Path:
    """The user config folder, or `$ABM_TUI_CONFIG_DIR` when set."""
    override = os.environ.get(CONFIG_DIR_ENV)
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def state_dir() -> Path:
    """The user state folder (autosaves), or `$ABM_TUI_STATE_DIR` when set. Not created here."""
    override = os.environ.get(STATE_DIR_ENV)
    return Path(override) if override else Path(platformdirs.user_state_dir(APP_NAME, appauthor=False))


def settings_path() -> Path:
    return config_dir() / "settings.toml"


def load_settings(on_problem: Callable[[str], None] | None = None) -> Settings:
    """The saved settings, or defaults; `on_problem` hears why a file was set aside (the app shows it)."""
    path = settings_path()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Settings()
    except OSError as err:
        return _defaults_because(f"{path}: cannot read the settings ({err}); using defaults", on_problem)
    parsed = _parse(data)
    if isinstance(parsed, Settings):
        return parsed
    bad = path.with_name(path.name + ".bad")
    try:
        os.replace(path, bad)
    except OSError as err:
        return _defaults_because(f"{path}: {parsed}; using defaults (could not move it aside: {err})", on_problem)
    return _defaults_because(f"{path}: {parsed}; using defaults and keeping the file as {bad}", on_problem)


def save_settings(settings: Settings) -> Path:
    """Write the settings in one step, so a crash mid-write never leaves a truncated file."""
    text = "# abm-tui settings, written by the app; delete this file to go back to the defaults.\n"
    return files.write_text(settings_path(), text + tomli_w.dumps(asdict(settings)))


def _parse(data: bytes) -> Settings | str:
    """The settings in `data`, or why it is not usable; unknown keys count, as in plans."""
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        return f"not valid UTF-8 TOML ({err})"
    kinds = {f.name: type(getattr(Settings(), f.name)) for f in fields(Settings)}
    for key, value in doc.items():
        if key not in kinds:
            return f"unknown key {key!r}{nearest(key, list(kinds))}"
        if kinds[key] is int:
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 1000:
                return f"{key}: expected a whole number of columns from 0 to 1000, got {value!r}"
        elif not isinstance(value, str) or not value.strip():
            return f"{key}: expected a non-empty string, got {value!r}"
    return Settings(**doc)


def _defaults_because(message: str, on_problem: Callable[[str], None] | None) -> Settings:
    if on_problem is not None:
        on_problem(message)
    return Settings()
