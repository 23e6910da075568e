"""The app chrome driven for real with Pilot: themes, remembered settings, help and the dialogs."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.binding import Binding
from textual.color import Color
from textual.screen import Screen
from textual.widgets import Input, Label, SelectionList, Static

from abm_tui.errors import AbmError
from abm_tui.tui.modals import AskText, ConfirmQuit, PickValues, RestoreAutosave
from abm_tui.tui.screens.help import HelpScreen, bindings_of
from abm_tui.tui.themes import load_themes, register_themes
from abm_tui.userstate.settings import Settings, load_settings, save_settings, settings_path, state_dir


class Host(App[None]):
    """Pushes one screen on mount and records what it dismisses with."""

    def __init__(self, screen: Screen[Any]) -> None:
        super().__init__()
        self.dialog = screen
        self.results: list[Any] = []

    def on_mount(self) -> None:
        register_themes(self)
        self.push_screen(self.dialog, self.results.append)


class Workbench(Screen[None]):
    HELP_TITLE = "Workbench"
    BINDINGS = [
        Binding("plus", "raise", "Raise threshold"),
        Binding("ctrl+s", "save", "Save plan"),
        Binding("escape,q", "back", "Back"),
        Binding("x", "internal", ""),
    ]


class DrillDown(Screen[None]):
    BINDINGS = [Binding("slash", "search", "Search accounts")]


# Themes


def _contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two opaque colours."""

    def luminance(colour: str) -> float:
        c = Color.parse(colour)
        linear = [
            v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in (c.r / 255, c.g / 255, c.b / 255)
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_bundled_themes_are_a_dark_and_a_light_one() -> None:
    themes = {theme.name: theme for theme in load_themes()}
    assert {"abm-dark", "abm-light"} <= set(themes)
    assert themes["abm-dark"].dark and not themes["abm-light"].dark


@pytest.mark.parametrize("name", ["abm-dark", "abm-light"])
def test_bundled_themes_keep_text_and_signals_readable_on_every_surface(name: str) -> None:
    """Shared screens and projectors wash colours out: body text 7:1, coloured text 4.5:1 (WCAG AA)."""
    theme = next(theme for theme in load_themes() if theme.name == name)
    for ground in (theme.background, theme.surface, theme.panel):
        assert _contrast(theme.foreground, ground) >= 7
        for signal in (theme.primary, theme.secondary, theme.accent, theme.success, theme.warning, theme.error):
            assert _contrast(signal, ground) >= 4.5, (signal, ground)


async def test_themes_register_and_switching_restyles_the_screen() -> None:
    app = Host(Workbench())
    async with app.run_test() as pilot:
        assert {"abm-dark", "abm-light"} <= set(app.available_themes)
        for name in ("abm-light", "abm-dark"):
            app.theme = name
            await pilot.pause()
            assert app.current_theme.name == name
            assert app.screen.styles.background == Color.parse(app.current_theme.background)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('name = "x"\ndark = true\nprimary = "#123456"\nbackgroud = "#000000"\n', ["backgroud", "'background'"]),
        ('name = "x"\ndark = true\nprimary = "not-a-colour"\n', ["primary", "not-a-colour"]),
        ('name = "x"\nprimary = "#123456"\n', ["dark", "missing"]),
        ('name = "x"\ndark = "yes"\nprimary = "#123456"\n', ["dark", "true or false"]),
        ('name = "x"\ndark = true\nprimary = "#123456"\n[variables]\nborder = 3\n', ["variables.border"]),
        ('name = "x"\ndark = true\nprimary = \n', ["not valid TOML"]),
    ],
)
def test_a_bad_theme_file_is_an_error_naming_the_file_and_key(tmp_path: Path, text: str, named: list[str]) -> None:
    (tmp_path / "broken.toml").write_text(text)
    with pytest.raises(AbmError) as err:
        load_themes(tmp_path)
    assert "broken.toml" in str(err.value)
    for part in named:
        assert part in str(err.value)


def test_two_theme_files_with_one_name_are_refused(tmp_path: Path) -> None:
    for stem in ("a", "b"):
        (tmp_path / f"{stem}.toml").write_text('name = "same"\ndark = true\nprimary = "#123456"\n')
    with pytest.raises(AbmError, match=r"b\.toml: name: theme 'same' is already defined in .*a\.toml"):
        load_themes(tmp_path)


# Settings


@pytest.fixture()
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ABM_TUI_CONFIG_DIR", str(tmp_path))
    return tmp_path


def test_settings_default_when_missing_and_round_trip(config_dir: Path) -> None:
    assert load_settings() == Settings(theme="abm-dark")
    path = save_settings(Settings(theme="abm-light"))
    assert path == config_dir / "settings.toml" == settings_path()
    assert load_settings() == Settings(theme="abm-light")


@pytest.mark.parametrize("text", ["theme = [\n", "theme = 3\n", 'them = "abm-light"\n', "\xff\xfe garbage",
                                  'rules_width = "wide"\n', "rules_width = -4\n", "rules_width = true\n"])
def test_a_corrupt_settings_file_gives_defaults_and_is_kept_as_bad(config_dir: Path, text: str) -> None:
    path = config_dir / "settings.toml"
    path.write_bytes(text.encode("latin-1"))
    problems: list[str] = []
    assert load_settings(problems.append) == Settings()
    assert not path.exists()
    assert (config_dir / "settings.toml.bad").read_bytes() == text.encode("latin-1")
    assert len(problems) == 1 and "settings.toml.bad" in problems[0]
    save_settings(Settings(theme="abm-light"))
    assert (config_dir / "settings.toml.bad").read_bytes() == text.encode("latin-1")


def test_the_rules_width_round_trips_and_a_bad_one_names_the_key(config_dir: Path) -> None:
    save_settings(Settings(rules_width=52))
    assert load_settings() == Settings(rules_width=52)
    (config_dir / "settings.toml").write_text("rules_width = 5000\n")
    problems: list[str] = []
    assert load_settings(problems.append) == Settings()
    assert "rules_width: expected a whole number of columns from 0 to 1000, got 5000" in problems[0]


def test_an_unknown_settings_key_suggests_the_nearest(config_dir: Path) -> None:
    (config_dir / "settings.toml").write_text('them = "abm-light"\n')
    problems: list[str] = []
    load_settings(problems.append)
    assert "unknown key 'them' (did you mean 'theme'?)" in problems[0]


def test_state_dir_follows_its_environment_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ABM_TUI_STATE_DIR", str(tmp_path / "state"))
    assert state_dir() == tmp_path / "state"
    monkeypatch.delenv("ABM_TUI_STATE_DIR")
    assert state_dir().name == "abm-tui"


def test_settings_do_not_import_textual() -> None:
    code = "import sys, abm_tui.userstate.settings; assert not [m for m in sys.modules if m.startswith('textual')]"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


# Help


def test_bindings_of_groups_keys_by_action_and_titles_by_help_title() -> None:
    assert bindings_of(Workbench, DrillDown) == [
        ("Workbench", [("+", "Raise threshold"), ("^s", "Save plan"), ("esc / q", "Back")]),
        ("DrillDown", [("/", "Search accounts")]),
    ]


@pytest.mark.parametrize("key", ["escape", "q", "question_mark", "f1"])
async def test_help_lists_the_keys_by_screen_and_closes(key: str) -> None:
    app = Host(Workbench())
    async with app.run_test() as pilot:
        app.push_screen(HelpScreen(bindings_of(Workbench, DrillDown, app=app)))
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        shown = [str(label.render()) for label in app.screen.query(Label)]
        for text in ("Workbench", "DrillDown", "^s", "Save plan", "esc / q", "Back", "/", "Search accounts"):
            assert text in shown
        await pilot.press(key)
        await pilot.pause()
        assert isinstance(app.screen, Workbench)


# Dialogs


@pytest.mark.parametrize(("key", "answer"), [("s", "save"), ("d", "discard"), ("escape", "cancel"), ("enter", "save")])
async def test_confirm_quit_answers_each_choice_by_key(key: str, answer: str) -> None:
    app = Host(ConfirmQuit("FY27 Q1"))
    async with app.run_test() as pilot:
        await pilot.pause()
        assert "Unsaved changes to FY27 Q1" in str(app.screen.query_one(".abm-dialog-title", Label).render())
        await pilot.press(key)
        await pilot.pause()
    assert app.results == [answer]


async def test_confirm_quit_answers_by_button() -> None:
    app = Host(ConfirmQuit("FY27 Q1"))
    async with app.run_test() as pilot:
        await pilot.click("#discard")
        await pilot.pause()
    assert app.results == ["discard"]


def _whole_number(text: str) -> str | None:
    return None if text.isdigit() and int(text) > 0 else f"{text!r} is not a whole number above 0"


async def test_ask_text_refuses_in_place_then_accepts() -> None:
    app = Host(AskText("Tier 1 limit", "50", _whole_number))
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("x", "enter")  # the value starts selected, so typing replaces it
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, AskText)
        error = dialog.query_one("#ask-error", Static)
        assert error.display and "'x' is not a whole number above 0" in str(error.render())
        assert dialog.query_one(Input).has_class("-invalid")
        assert app.results == []
        await pilot.press("backspace")
        await pilot.pause()
        assert not error.display
        await pilot.press("7", "5", "enter")
        await pilot.pause()
    assert app.results == ["75"]


async def test_ask_text_shows_an_abm_error_from_the_validator() -> None:
    def strict(text: str) -> str | None:
        raise AbmError(f"limit: expected a number, got {text!r}")

    app = Host(AskText("Tier 1 limit", "50", strict))
    async with app.run_test() as pilot:
        await pilot.press("enter")
        await pilot.pause()
        assert "limit: expected a number, got '50'" in str(app.screen.query_one("#ask-error", Static).render())
        assert app.results == []


async def test_ask_text_escape_answers_none_and_no_validator_accepts_anything() -> None:
    app = Host(AskText("Save as", placeholder="plan.toml"))
    async with app.run_test() as pilot:
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None]
        app.push_screen(AskText("Save as"), app.results.append)
        await pilot.pause()
        await pilot.press(*"q2.toml", "enter")
        await pilot.pause()
    assert app.results == [None, "q2.toml"]


OPTIONS = [("Healthcare", 1204), ("Fintech", 376), ("Retail", 9)]


@pytest.mark.parametrize("confirm", ["enter", "ctrl+s"])
async def test_pick_values_answers_the_ticked_values(confirm: str) -> None:
    app = Host(PickValues("industry in", OPTIONS, ("Retail", "Gone")))
    async with app.run_test() as pilot:
        await pilot.pause()
        picker = app.screen.query_one(SelectionList)
        prompts = [str(picker.get_option_at_index(i).prompt) for i in range(picker.option_count)]
        assert prompts == ["Healthcare  (1,204)", "Fintech     (376)", "Retail      (9)", "Gone        (0)"]
        await pilot.press("down", "space")  # tick Fintech
        await pilot.press(confirm)
        await pilot.pause()
    assert app.results == [("Retail", "Gone", "Fintech")]


async def test_pick_values_escape_answers_none() -> None:
    app = Host(PickValues("industry in", OPTIONS, ("Retail",)))
    async with app.run_test() as pilot:
        await pilot.press("space", "escape")
        await pilot.pause()
    assert app.results == [None]


@pytest.mark.parametrize(("key", "answer"), [("r", True), ("i", False), ("escape", False), ("enter", True)])
async def test_restore_autosave_answers_true_or_false(key: str, answer: bool) -> None:
    app = Host(RestoreAutosave("FY27 Q1", datetime(2026, 11, 20, 14, 5)))
    async with app.run_test() as pilot:
        await pilot.pause()
        text = " ".join(str(widget.render()) for widget in app.screen.query(Static))
        assert "An autosaved version of FY27 Q1 from 2026-11-20 14:05" in text
        await pilot.press(key)
        await pilot.pause()
    assert app.results == [answer]
