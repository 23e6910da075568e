"""A list of choices each ticked or not, drawn `[x]` / `[ ]`: plain in any theme and any terminal.

Textual's SelectionList draws a tick as an X that differs from an unticked one only by colour, which
a planner cannot read on a shared screen or a light theme. Space ticks or unticks the highlighted
choice; enter is left to the dialog (it posts OptionList's OptionSelected).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.binding import Binding
from textual.widgets import OptionList
from textual.widgets.option_list import Option


class TickList(OptionList):
    """`choices` are (value, label, ticked at first); `selected` answers the ticked values in list order."""

    BINDINGS = [Binding("space", "tick", "Tick", id="tick.toggle", tooltip="Tick or untick the highlighted choice")]

    def __init__(self, choices: Sequence[tuple[str, str, bool]], *, id: str | None = None) -> None:  # noqa: A002
        self._labels = {value: label for value, label, _ in choices}
        self._ticked = {value for value, _, ticked in choices if ticked}
        super().__init__(*(Option(self._prompt(value), id=value) for value, _, _ in choices), id=id)

    def _prompt(self, value: str) -> Text:
        mark = "[x]" if value in self._ticked else "[ ]"
        return Text.assemble((mark, "bold"), " ", self._labels[value])

    @property
    def selected(self) -> tuple[str, ...]:
        return tuple(value for value in self._labels if value in self._ticked)

    def select(self, value: str) -> None:
        self._set(value, True)

    def deselect(self, value: str) -> None:
        self._set(value, False)

    def action_tick(self) -> None:
        if self.highlighted is not None:
            value = self.get_option_at_index(self.highlighted).id
            if value is not None:
                self._set(value, value not in self._ticked)

    def _set(self, value: str, ticked: bool) -> None:
        (self._ticked.add if ticked else self._ticked.discard)(value)
        self.replace_option_prompt(value, self._prompt(value))
