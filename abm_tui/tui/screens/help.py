"""The `?` / F1 help: every key of every screen, grouped by screen.

The footer shows only the few keys that matter most; this lists the rest, built from the screens'
own `BINDINGS` so it cannot drift from what the keys really do.
"""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.keys import format_key
from textual.screen import ModalScreen
from textual.widgets import Footer, Label

Section = tuple[str, list[tuple[str, str]]]
"""A titled group of (key as displayed, what it does) rows."""


def key_display(binding: Binding) -> str:
    """How the footer shows a key ("ctrl+s" -> "^s"), for when no app is at hand."""
    if binding.key_display:
        return binding.key_display
    modifiers, key = binding.parse_key()
    key = format_key(key)
    if "ctrl" in modifiers:
        modifiers.remove("ctrl")
        key = f"^{key}"
    return "+".join([*modifiers, key])


def bindings_of(*screen_classes: type[DOMNode], app: App[Any] | None = None) -> list[Section]:
    """One section per class (titled by its `HELP_TITLE`, else its name) listing its described bindings.

    Keys bound to the same action and description share a row ("esc / q"). Pass `app` to show keys
    exactly as its footer does (`App.get_key_display` may be overridden).
    """
    show = app.get_key_display if app is not None else key_display
    sections: list[Section] = []
    for cls in screen_classes:
        rows: dict[tuple[str, str], list[str]] = {}
        for binding in Binding.make_bindings(getattr(cls, "BINDINGS", [])):
            if binding.description:
                rows.setdefault((binding.action, binding.description), []).append(show(binding))
        title = getattr(cls, "HELP_TITLE", cls.__name__)
        sections.append((title, [(" / ".join(keys), description) for (_, description), keys in rows.items()]))
    return sections


class HelpScreen(ModalScreen[None]):
    """A scrollable list of keys by screen, over the screen it explains."""

    BINDINGS = [
        Binding("escape,q,question_mark,f1", "dismiss", "Close", id="help.close", tooltip="Back to where you were"),
    ]

    def __init__(self, sections: list[Section]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="abm-dialog"):
            yield Label("Keys", classes="abm-dialog-title")
            with VerticalScroll(id="help-body"):
                for title, rows in self.sections:
                    yield Label(title, classes="help-section-title", markup=False)
                    with Grid(classes="help-keys"):
                        for key, description in rows:
                            yield Label(key, classes="help-key", markup=False)
                            yield Label(description, classes="help-description", markup=False)
            ((_, [(close_keys, _)]),) = bindings_of(HelpScreen, app=self.app)  # the hint follows BINDINGS
            yield Label(f"↑ ↓ PgUp PgDn scroll · {close_keys} closes", classes="abm-dialog-hint", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#help-body", VerticalScroll).focus()
