"""Small modal questions the workbench asks; each answers through `dismiss`, so callers use
`push_screen(dialog, callback)` or `await push_screen_wait(dialog)` from a worker.

Every choice has a single key as well as a button: a planner typing thresholds during a meeting should
never need the mouse, and a refused value is explained in the dialog, which stays open to fix it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, OptionList, SelectionList, Static
from textual.widgets.selection_list import Selection

from abm_tui.errors import AbmError
from abm_tui.tui.widgets.tick_list import TickList
from abm_tui.tui.workers import ToApp, Tokens


class ConfirmQuit(ModalScreen[str]):
    """Asked on quit with unsaved changes; answers "save", "discard" or "cancel"."""

    BINDINGS = [
        Binding("s", "dismiss('save')", "Save", id="quit.save", tooltip="Save the plan, then quit"),
        Binding("d", "dismiss('discard')", "Discard", id="quit.discard", tooltip="Quit without saving"),
        Binding("escape", "dismiss('cancel')", "Cancel", id="quit.cancel", tooltip="Keep working"),
    ]

    def __init__(self, plan_name: str) -> None:
        super().__init__()
        self.plan_name = plan_name

    def compose(self) -> ComposeResult:
        with Vertical(classes="abm-dialog"):
            yield Label(f"Unsaved changes to {self.plan_name}", classes="abm-dialog-title", markup=False)
            yield Static("Save them before quitting?")
            with Horizontal(classes="abm-dialog-buttons"):
                yield Button("Save (s)", id="save", variant="primary")
                yield Button("Discard (d)", id="discard", variant="error")
                yield Button("Cancel (esc)", id="cancel")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#save", Button).focus()

    @on(Button.Pressed)
    def answer(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)


@dataclass(frozen=True)
class TextRequest:
    """The text in the dialog's input when a check or a preview of it was asked for."""

    token: int
    text: str


@dataclass
class Checked(Message):
    """The dialog's check of `text`: None when it can be used, else why not."""

    token: int
    text: str
    error: str | None


@dataclass
class Previewed(Message):
    """What `text` would do, in words."""

    token: int
    said: str


def _checked(check: Callable[[str], str | None], text: str) -> str | None:
    """A caller's check, where core functions raise AbmError for bad input: refused, never a crash."""
    try:
        return check(text)
    except AbmError as err:
        return str(err)


class AskText(ToApp, ModalScreen[str | None]):
    """One line of text (a threshold, a limit, points, a path); answers the text, or None on escape.

    The value starts selected, so typing replaces it; enter submits; a refused value shows its reason
    under the input and the dialog stays open. The check runs in a worker (it may ask the session
    thread whether the data allows the value), and so does `preview`, what the typed value would do
    (which accounts it moves), worked out as the planner types and shown before they commit.
    """

    BINDINGS = [Binding("escape", "dismiss", "Cancel", id="ask.cancel", tooltip="Close without changing anything")]

    def __init__(
        self,
        title: str,
        value: str = "",
        validate: Callable[[str], str | None] | None = None,
        placeholder: str = "",
        preview: Callable[[str], str] | None = None,
        preview_first: bool = False,
    ) -> None:
        """`preview_first` previews the value the dialog opens with too: a rule about to be added moves
        accounts as it stands, where a value being edited moves none until it changes."""
        super().__init__()
        self.prompt = title
        self.preview_first = preview_first
        self.value = value
        self.validator = validate
        self.placeholder = placeholder
        self.preview = preview
        self.checks = Tokens()
        self.previews = Tokens()

    def compose(self) -> ComposeResult:
        with Vertical(classes="abm-dialog"):
            yield Label(self.prompt, classes="abm-dialog-title", markup=False)
            yield Input(self.value, placeholder=self.placeholder, id="ask-input")
            yield Static("", id="ask-error", markup=False)
            if self.preview is not None:
                yield Static("type a value to see which accounts it moves", id="ask-preview", markup=False)
            yield Label("enter accepts · esc cancels", classes="abm-dialog-hint")
        yield Footer()

    def on_mount(self) -> None:
        if self.preview is not None and self.preview_first:
            self.query_one("#ask-preview", Static).update("working out what it moves…")
            self.show_preview(TextRequest(self.previews.next(), self.value))

    @on(Input.Submitted)
    def submit(self, event: Input.Submitted) -> None:
        if self.validator is None:
            self.dismiss(event.value)
            return
        self.check(TextRequest(self.checks.next(), event.value))

    @work(thread=True, exclusive=True, exit_on_error=False, group="ask.check", description="checking the value")
    def check(self, request: TextRequest) -> None:
        assert self.validator is not None
        self.post_message(Checked(request.token, request.text, _checked(self.validator, request.text)))

    @on(Checked)
    def checked(self, message: Checked) -> None:
        """Accepted only if the input still holds the checked text: a newer edit is checked again on enter."""
        if not self.checks.current(message.token) or message.text != self.query_one("#ask-input", Input).value:
            return
        if message.error is None:
            self.dismiss(message.text)
            return
        error = self.query_one("#ask-error", Static)
        error.update(message.error)
        error.display = True
        self.query_one("#ask-input", Input).add_class("-invalid")

    @on(Input.Changed)
    def clear_error(self, event: Input.Changed) -> None:
        """The reason shown was for the refused value; once the planner edits it, it no longer applies."""
        self.query_one("#ask-error", Static).display = False
        self.query_one("#ask-input", Input).remove_class("-invalid")
        if self.preview is not None and event.value != self.value:
            self.query_one("#ask-preview", Static).update("working out what it moves…")
            self.show_preview(TextRequest(self.previews.next(), event.value))

    @work(thread=True, exclusive=True, exit_on_error=False, group="ask.preview",
          description="working out what the value moves")
    def show_preview(self, request: TextRequest) -> None:
        assert self.preview is not None
        try:
            said = self.preview(request.text)
        except (AbmError, ValueError) as err:
            said = f"not a value it can use yet: {err}"
        self.post_message(Previewed(request.token, said))

    @on(Previewed)
    def previewed(self, message: Previewed) -> None:
        if self.previews.current(message.token):
            self.query_one("#ask-preview", Static).update(message.said)


class PickValues(ModalScreen[tuple[str, ...] | None]):
    """Choose the values of an `in` list from those in the data, each shown with its account count.

    Values already chosen but absent from the data are listed with a count of 0, so confirming never
    drops them silently. The answer keeps the earlier values in their order, then the new ones.
    """

    BINDINGS = [
        Binding("enter", "confirm", "Confirm", id="pick.confirm", tooltip="Use the ticked values", priority=True),
        Binding("ctrl+s", "confirm", "Confirm", id="pick.confirm-save", tooltip="Use the ticked values"),
        Binding("escape", "dismiss", "Cancel", id="pick.cancel", tooltip="Close without changing anything"),
    ]

    def __init__(self, title: str, options: list[tuple[str, int]], selected: tuple[str, ...]) -> None:
        super().__init__()
        self.prompt = title
        present = {value for value, _ in options}
        self.options = [*options, *((value, 0) for value in selected if value not in present)]
        self.selected = selected

    def compose(self) -> ComposeResult:
        width = max((len(value) for value, _ in self.options), default=0)
        chosen = set(self.selected)
        with Vertical(classes="abm-dialog"):
            yield Label(self.prompt, classes="abm-dialog-title", markup=False)
            yield SelectionList[str](
                *(Selection(_count_label(value, n, width), value, value in chosen) for value, n in self.options),
                id="pick-list",
            )
            yield Label("space ticks · enter or ctrl+s confirms · esc cancels", classes="abm-dialog-hint")
        yield Footer()

    def action_confirm(self) -> None:
        ticked = set(self.query_one("#pick-list", SelectionList).selected)
        kept = [value for value in self.selected if value in ticked]
        added = [value for value, _ in self.options if value in ticked and value not in self.selected]
        self.dismiss((*kept, *added))


def _count_label(value: str, count: int, width: int) -> Content:
    """`Fintech  (376)`, values padded to one column; a value is never read as markup."""
    return Content.from_markup("$value  [$text-muted]($count)[/]", value=value.ljust(width), count=f"{count:,}")


class RestoreAutosave(ModalScreen[bool]):
    """Offered on opening a plan whose autosave holds unsaved changes; answers True to restore."""

    BINDINGS = [
        Binding("r", "dismiss(True)", "Restore", id="autosave.restore", tooltip="Continue from the autosave"),
        Binding("i,escape", "dismiss(False)", "Ignore", id="autosave.ignore", tooltip="Open the plan as saved"),
    ]

    SHOWN = 8  # changes listed; more are counted

    def __init__(self, plan_name: str, saved_at: datetime, changes: tuple[str, ...] = ()) -> None:
        """`changes`: what the autosave changes against the file, in words: what Restore brings back."""
        super().__init__()
        self.plan_name = plan_name
        self.saved_at = saved_at
        self.changes = changes

    def compose(self) -> ComposeResult:
        with Vertical(classes="abm-dialog"):
            yield Label("Restore unsaved changes?", classes="abm-dialog-title")
            yield Static(
                f"An autosaved version of {self.plan_name} from {self.saved_at:%Y-%m-%d %H:%M} "
                "has changes that were not saved. Restore it?",
                markup=False,
            )
            if self.changes:
                more = len(self.changes) - self.SHOWN
                lines = [f"• {text}" for text in self.changes[: self.SHOWN]]
                lines += [f"and {more} more"] if more > 0 else []
                yield Static("\n".join(lines), id="autosave-changes", markup=False)
            with Horizontal(classes="abm-dialog-buttons"):
                yield Button("Restore (r)", id="restore", variant="primary")
                yield Button("Ignore (i)", id="ignore")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#restore", Button).focus()

    @on(Button.Pressed)
    def answer(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "restore")


class ChooseExport(ModalScreen[tuple[str, tuple[str, ...]] | None]):
    """What to write (run's files, CRM and ad-platform files), and where; answers (folder, chosen), or None.

    `choices` are (value, label, ticked at first). The list has focus first, so space ticks as the hint
    says (with the folder focused it would type a blank into the path); tab goes to the folder.

    `validate(folder, files)` returns a reason to refuse (a folder that is a file, an input of the
    plan, no file chosen), shown in place with the dialog kept open.
    """

    BINDINGS = [
        Binding("ctrl+s", "export", "Export", id="export.go", tooltip="Write the chosen files"),
        Binding("escape", "dismiss", "Cancel", id="export.cancel", tooltip="Close without writing anything"),
    ]

    def __init__(self, folder: str, choices: tuple[tuple[str, str, bool], ...],
                 validate: Callable[[str, tuple[str, ...]], str | None]) -> None:
        super().__init__()
        self.folder = folder
        self.choices = choices
        self.check = validate

    def compose(self) -> ComposeResult:
        with Vertical(classes="abm-dialog"):
            yield Label("Export: run's files, and files to import into the CRM and ad platforms",
                        classes="abm-dialog-title")
            yield TickList(self.choices, id="export-files")
            yield Label("to the folder", classes="abm-dialog-hint")
            yield Input(self.folder, id="export-folder")
            yield Static("", id="export-error", markup=False)
            yield Label("space ticks a file · tab goes to the folder · enter or ctrl+s exports · esc cancels",
                        classes="abm-dialog-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#export-files").focus()

    @on(Input.Submitted)
    @on(OptionList.OptionSelected, "#export-files")
    def action_export(self) -> None:
        folder = self.query_one("#export-folder", Input).value.strip()
        selected = self.query_one(TickList).selected
        chosen = tuple(value for value, _, _ in self.choices if value in selected)
        reason = self.check(folder, chosen)
        if reason is None:
            self.dismiss((folder, chosen))
            return
        error = self.query_one("#export-error", Static)
        error.update(reason)
        error.display = True


class ChooseMany(ModalScreen[tuple[str, ...] | None]):
    """Tick any of a list of choices (the drill-down's columns); answers the ticked values, or None on escape.

    `choices` are (value, label, ticked at first).
    """

    BINDINGS = [
        Binding("ctrl+s", "confirm", "Confirm", id="many.confirm", tooltip="Use the ticked choices"),
        Binding("escape", "dismiss", "Cancel", id="many.cancel", tooltip="Close without changing anything"),
    ]

    def __init__(self, title: str, choices: tuple[tuple[str, str, bool], ...]) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="abm-dialog"):
            yield Label(self.title_text, classes="abm-dialog-title", markup=False)
            yield TickList(self.choices, id="many-list")
            yield Label("space ticks · enter or ctrl+s confirms · esc cancels", classes="abm-dialog-hint")
        yield Footer()

    @on(OptionList.OptionSelected, "#many-list")
    def action_confirm(self) -> None:
        self.dismiss(self.query_one(TickList).selected)


class ShowText(ModalScreen[None]):
    """A read-only page of text, such as the load report; any of escape, q or enter closes it."""

    BINDINGS = [Binding("escape,q,enter", "dismiss", "Close", id="text.close")]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="abm-dialog abm-text-page"):
            yield Label(self.title_text, classes="abm-dialog-title")
            with VerticalScroll():
                yield Static(self.text, markup=False, id="text-page-body")
        yield Footer()


class ChooseOne(ModalScreen[int | None]):
    """Pick one of a few labelled choices (a snapshot to compare with); answers its index, or None on escape."""

    BINDINGS = [Binding("escape", "dismiss", "Cancel", id="choose.cancel", tooltip="Close without choosing")]

    def __init__(self, title: str, labels: list[str], current: int = 0) -> None:
        super().__init__()
        self.title_text = title
        self.labels = labels
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="abm-dialog"):
            yield Label(self.title_text, classes="abm-dialog-title")
            yield OptionList(*(Content(label) for label in self.labels), id="choose-list")
            yield Label("enter chooses · esc cancels", classes="abm-dialog-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = self.current

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option_index)
