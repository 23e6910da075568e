"""The dialogs a plan is written with: a test built from the data's columns, a rule's or a play's form,
the engagement settings, and the question before a whole rule is deleted.

Each dialog is handed plain callables by the workbench: `build` turns what the planner entered into
the next Plan (raising AbmError for what it cannot use), `preview` says what that plan would move, and
`check` says why the session would refuse it. `preview`, `check` and the data look-ups wait on the
session thread, so they run in the dialog's own thread workers (tui/workers.py) and answer with
messages carrying a token; a dialog opens at once and fills in what it read when it lands. A dialog
answers the Plan to apply (one undo step), or None when cancelled.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, OptionList, SelectionList, Static
from textual.widgets.option_list import Option
from textual.widgets.selection_list import Selection

from abm_tui.engine.profile import ColumnProfile
from abm_tui.errors import AbmError
from abm_tui.plan import edits, rules, sql_rule
from abm_tui.plan.model import Compare, Condition, Plan, Sql
from abm_tui.plan.ops import TABLE, Op
from abm_tui.plan.validate import ops_for
from abm_tui.tui.modals import Previewed, TextRequest
from abm_tui.tui.workers import ToApp, Tokens

SQL_CHOICE = "sql"  # the column list's first line: a condition written in SQL instead of a column test
OP_WORDS = {
    Op.MIN: "at least", Op.MAX: "at most", Op.GT: "more than", Op.LT: "less than", Op.EQ: "is", Op.NE: "is not",
    Op.IN: "is one of", Op.NOT_IN: "is none of", Op.CONTAINS: "contains", Op.IS_NULL: "is empty",
}
DEFAULT_OP = {"numbers": Op.MIN, "dates": Op.MIN, "text": Op.IN, "lists": Op.CONTAINS}
PICKED = (Op.EQ, Op.NE, Op.IN, Op.NOT_IN, Op.CONTAINS)  # ops whose value can be picked from the data's values
LISTED = (Op.IN, Op.NOT_IN)

Builds = Callable[[Condition], Plan]
Previews = Callable[[Plan], str]
Checks = Callable[[Plan], str | None]


@dataclass(frozen=True)
class PlanRequest:
    """A plan to preview or check, as the dialog built it when asked."""

    token: int
    plan: Plan


@dataclass
class ColumnsRead(Message):
    profiles: tuple[ColumnProfile, ...]


@dataclass
class ValuesRead(Message):
    token: int
    column: str
    counts: list[tuple[str, int]]


@dataclass
class PlanChecked(Message):
    token: int
    plan: Plan
    error: str | None


def _said(preview: Previews, plan: Plan) -> str:
    try:
        return preview(plan)
    except AbmError as err:
        return f"not a change it can make yet: {err}"


@dataclass(frozen=True)
class Field:
    """One entry of a form: a line of text, or (with `choices`) names to tick, none ticked meaning any.
    In a row of several fields, the first one's label names the row; `hint` shows in an empty line."""

    key: str
    label: str
    value: str = ""
    choices: tuple[str, ...] | None = None
    chosen: tuple[str, ...] = ()
    hint: str = ""


Answers = Mapping[str, str | tuple[str, ...]]


@dataclass(frozen=True)
class Next:
    """A form's answer when enter goes on to a next step (a new rule's first test) instead of applying."""

    answers: Answers


Outcome = Plan | Next | None


class PreviewedDialog(ToApp, ModalScreen[Outcome]):
    """What every authoring dialog shares: a preview line worked out as the planner types, and a check
    on commit that keeps the dialog open with the reason when the session would refuse the plan."""

    def __init__(self, preview: Previews, check: Checks) -> None:
        super().__init__()
        self.preview_plan = preview
        self.check_plan = check
        self.previews = Tokens()
        self.checks = Tokens()

    def built(self) -> Plan:
        """The plan as the dialog's fields say now; raises AbmError when they do not make one."""
        raise NotImplementedError

    def refresh_preview(self) -> None:
        try:
            plan = self.built()
        except AbmError as err:
            self.previews.next()  # an older preview must not land over this
            self.query_one(".abm-preview", Static).update(f"not a change it can make yet: {err}")
            return
        self.query_one(".abm-preview", Static).update("working out what it moves…")
        self.show_preview(PlanRequest(self.previews.next(), plan))

    @work(thread=True, exclusive=True, exit_on_error=False, group="author.preview",
          description="working out what the change moves")
    def show_preview(self, request: PlanRequest) -> None:
        self.post_message(Previewed(request.token, _said(self.preview_plan, request.plan)))

    @on(Previewed)
    def previewed(self, message: Previewed) -> None:
        if self.previews.current(message.token):
            self.query_one(".abm-preview", Static).update(message.said)

    def action_commit(self) -> None:
        try:
            plan = self.built()
        except AbmError as err:
            return self.show_error(str(err))
        self.commit_check(PlanRequest(self.checks.next(), plan))

    @work(thread=True, exclusive=True, exit_on_error=False, group="author.check", description="checking the change")
    def commit_check(self, request: PlanRequest) -> None:
        try:
            error = self.check_plan(request.plan)
        except AbmError as err:
            error = str(err)
        self.post_message(PlanChecked(request.token, request.plan, error))

    @on(PlanChecked)
    def plan_checked(self, message: PlanChecked) -> None:
        if not self.checks.current(message.token):
            return
        if message.error is None:
            self.dismiss(message.plan)
        else:
            self.show_error(message.error)

    def show_error(self, text: str) -> None:
        error = self.query_one(".abm-error", Static)
        error.update(text)
        error.display = True

    def hide_error(self) -> None:
        self.query_one(".abm-error", Static).display = False


class ConditionBuilder(PreviewedDialog):
    """One test: a column picked from the data's (type part of its name), an op its kind takes, and a value
    typed, nudged with up/down, or picked from the data's values with their account counts; or a `sql`
    condition, its parse error shown as it is typed."""

    BINDINGS = [
        Binding("ctrl+s", "commit", "Use test", id="test.commit", tooltip="Add or change the test", priority=True),
        Binding("escape", "dismiss", "Cancel", id="test.cancel", tooltip="Close without changing anything"),
        Binding("up", "nudge(1)", "Nudge up", show=False, id="test.nudge-up"),
        Binding("down", "nudge(-1)", "Nudge down", show=False, id="test.nudge-down"),
    ]
    AUTO_FOCUS = "#tb-filter"

    def __init__(self, title: str, read_columns: Callable[[], tuple[ColumnProfile, ...]],
                 read_values: Callable[[str], list[tuple[str, int]]], build: Builds, preview: Previews,
                 check: Checks, current: Condition | None = None) -> None:
        super().__init__(preview, check)
        self.title_text = title
        self.read_columns = read_columns
        self.read_values = read_values
        self.build = build
        self.current = current
        self.profiles: tuple[ColumnProfile, ...] = ()
        self.column: ColumnProfile | None = None  # None with `sql` True: a SQL condition
        self.sql = isinstance(current, Sql)
        self.op: Op | None = Op(current.op) if isinstance(current, Compare) else None
        self.values = Tokens()
        self._shown: list[str] = []  # the column names listed, in order

    def compose(self) -> ComposeResult:
        with Vertical(classes="abm-dialog abm-builder"):
            yield Label(self.title_text, classes="abm-dialog-title", markup=False)
            yield Input(placeholder="column: type part of its name (or sql)", id="tb-filter")
            yield OptionList(Option("reading the data's columns…", disabled=True), id="tb-columns")
            yield OptionList(id="tb-ops")
            yield Input(placeholder="value", id="tb-value")
            yield SelectionList[str](id="tb-values")
            yield Static("", classes="abm-error", markup=False)
            yield Static("pick a column, a test and a value to see which accounts it moves",
                         classes="abm-preview", markup=False)
            yield Label("enter picks and moves on · space ticks a value · ↑↓ nudge a number · ctrl+s uses the "
                        "test · esc cancels", classes="abm-dialog-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#tb-values", SelectionList).display = False
        self.query_one("#tb-ops", OptionList).display = False
        self.load_columns()

    @work(thread=True, exit_on_error=False, group="author.columns", description="reading the data's columns")
    def load_columns(self) -> None:
        self.post_message(ColumnsRead(self.read_columns()))

    @on(ColumnsRead)
    def columns_read(self, message: ColumnsRead) -> None:
        self.profiles = message.profiles
        current = self.current
        self.list_columns(self.query_one("#tb-filter", Input).value)
        if isinstance(current, Compare):
            profile = next((p for p in self.profiles if p.name == current.column), None)
            if profile is not None:
                self.choose_column(profile, focus=False)
            value = current.value
            self.query_one("#tb-value", Input).value = ", ".join(map(rules.format_value, value)) \
                if isinstance(value, tuple) else rules.format_value(value)
            self.query_one("#tb-value", Input).focus()
        elif isinstance(current, Sql):
            self.choose_sql()
            self.query_one("#tb-value", Input).value = current.text

    def list_columns(self, text: str) -> None:
        """The columns whose name holds every word of `text` ("pricing win" finds pricing_page_visit_window),
        best first (names starting with it), with their kind, fill rate and a few values."""
        wanted = text.strip().lower()
        words = wanted.split()
        found = [p for p in self.profiles if all(word in p.name.lower() for word in words)]
        found.sort(key=lambda p: not p.name.lower().startswith(wanted))
        width = max((len(p.name) for p in found), default=0)
        options = [Option(Content.from_markup("[b]sql[/]  [$text-muted]a condition written in SQL[/]"), SQL_CHOICE)] \
            if SQL_CHOICE.startswith(wanted) or not wanted else []
        options.extend(Option(_column_line(p, width), p.name) for p in found)
        listed = self.query_one("#tb-columns", OptionList)
        listed.set_options(options)
        self._shown = [str(o.id) for o in options]
        if options:
            first = 1 if wanted and len(options) > 1 and options[0].id == SQL_CHOICE and found else 0
            listed.highlighted = first

    @on(Input.Changed, "#tb-filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self.list_columns(event.value)

    @on(Input.Submitted, "#tb-filter")
    def filter_submitted(self) -> None:
        listed = self.query_one("#tb-columns", OptionList)
        if listed.highlighted is not None and self._shown:
            self.picked_column(self._shown[listed.highlighted])

    @on(OptionList.OptionSelected, "#tb-columns")
    def column_selected(self, event: OptionList.OptionSelected) -> None:
        self.picked_column(str(event.option.id))

    def picked_column(self, name: str) -> None:
        if name == SQL_CHOICE:
            self.choose_sql()
            return
        profile = next(p for p in self.profiles if p.name == name)
        self.choose_column(profile, focus=True)

    def choose_sql(self) -> None:
        self.sql, self.column, self.op = True, None, None
        self.query_one("#tb-filter", Input).value = SQL_CHOICE
        self.query_one("#tb-ops", OptionList).display = False
        self.query_one("#tb-values", SelectionList).display = False
        value = self.query_one("#tb-value", Input)
        value.placeholder = "a SQL condition, such as employees > 500 AND country = 'US'"
        value.focus()
        self.refresh_preview()

    def choose_column(self, profile: ColumnProfile, *, focus: bool) -> None:
        self.sql, self.column = False, profile
        ops = ops_for(profile.kind)
        if self.op not in ops:
            self.op = DEFAULT_OP.get(profile.kind, ops[0])
        listed = self.query_one("#tb-ops", OptionList)
        listed.set_options([Option(f"{OP_WORDS[op]}  ({TABLE[op].words or op.value})", op.value) for op in ops])
        listed.highlighted = ops.index(self.op)
        listed.display = True
        self.query_one("#tb-filter", Input).value = profile.name
        self.show_op()
        if focus:
            listed.focus()
        if profile.kind in ("text", "lists"):
            self.count_values(TextRequest(self.values.next(), profile.name))
        else:
            self.values.next()
            self.query_one("#tb-values", SelectionList).display = False

    @on(OptionList.OptionHighlighted, "#tb-ops")
    def op_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.op = Op(str(event.option.id))
        self.show_op()

    @on(OptionList.OptionSelected, "#tb-ops")
    def op_selected(self, event: OptionList.OptionSelected) -> None:
        self.op = Op(str(event.option.id))
        self.show_op()
        self.query_one("#tb-value", Input).focus()

    def show_op(self) -> None:
        """The value's placeholder and the values list follow the op."""
        profile, op = self.column, self.op
        if profile is None or op is None:
            return
        value = self.query_one("#tb-value", Input)
        value.placeholder = {Op.IS_NULL: "true (empty) or false (has a value)"}.get(
            op, "values, separated by commas" if op in LISTED else f"a value ({profile.kind}); e.g. "
            + ", ".join(profile.examples[:2]))
        picked = self.query_one("#tb-values", SelectionList)
        picked.display = op in PICKED and profile.kind in ("text", "lists") and picked.option_count > 0
        self.refresh_preview()

    @work(thread=True, exclusive=True, exit_on_error=False, group="author.values",
          description="counting a column's values")
    def count_values(self, request: TextRequest) -> None:
        self.post_message(ValuesRead(request.token, request.text, self.read_values(request.text)))

    @on(ValuesRead)
    def values_read(self, message: ValuesRead) -> None:
        if not self.values.current(message.token):
            return
        typed = set(self.typed_values())
        width = max((len(v) for v, _ in message.counts), default=0)
        picked = self.query_one("#tb-values", SelectionList)
        picked.clear_options()
        picked.add_options([Selection(_count_line(v, n, width), v, v in typed) for v, n in message.counts])
        self.show_op()

    def typed_values(self) -> list[str]:
        return [part.strip() for part in self.query_one("#tb-value", Input).value.split(",") if part.strip()]

    @on(SelectionList.SelectionToggled, "#tb-values")
    def value_toggled(self, event: SelectionList.SelectionToggled[str]) -> None:
        """A ticked value goes into the value: added to an `in` list, or replacing a single value."""
        picked, value = event.selection_list, str(event.selection.value)
        typed = self.typed_values()
        if self.op in LISTED:
            chosen = [v for v in typed if v != value] + ([value] if value in picked.selected else [])
        else:
            chosen = [value] if value in picked.selected else []
            for other in list(picked.selected):
                if other != value:
                    picked.deselect(other)
        self.query_one("#tb-value", Input).value = ", ".join(chosen)

    @on(Input.Changed, "#tb-value")
    def value_changed(self) -> None:
        """Values typed are ticked in the list too, so the list always shows what the test holds."""
        self.hide_error()
        picked = self.query_one("#tb-values", SelectionList)
        typed = set(self.typed_values())
        with picked.prevent(SelectionList.SelectionToggled):
            for index in range(picked.option_count):
                value = str(picked.get_option_at_index(index).value)
                if (value in typed) != (value in picked.selected):
                    picked.toggle(value)
        self.refresh_preview()

    @on(Input.Submitted, "#tb-value")
    def value_submitted(self) -> None:
        self.action_commit()

    def action_nudge(self, direction: int) -> None:
        """Up and down step a number typed in the value (80 moves by 5, 5,000 by 500); elsewhere they move."""
        value = self.query_one("#tb-value", Input)
        if not value.has_focus or self.column is None or self.column.kind != "numbers":
            self.focus_next() if direction < 0 else self.focus_previous()
            return
        try:
            number = edits.parse_number(value.value or "0")
        except AbmError:
            return
        value.value = rules.format_value(edits.nudge(int(number) if number.is_integer() else number, direction))

    def condition(self) -> Condition:
        text = self.query_one("#tb-value", Input).value
        if self.sql:
            if not text.strip():
                raise AbmError("type a SQL condition")
            sql_rule.checked(text)
            return Sql(text.strip())
        if self.column is None or self.op is None:
            raise AbmError("pick a column first")
        return edits.parse_test(self.column.name, self.column.kind, self.op, text)

    def built(self) -> Plan:
        return self.build(self.condition())


def _column_line(profile: ColumnProfile, width: int) -> Content:
    return Content.from_markup("$name  [$text-muted]$kind · $fill filled · $examples[/]",
                               name=profile.name.ljust(width), kind=profile.kind, fill=f"{profile.fill:.0%}",
                               examples=", ".join(profile.examples) or "no values")


def _count_line(value: str, count: int, width: int) -> Content:
    return Content.from_markup("$value  [$text-muted]($count)[/]", value=value.ljust(width), count=f"{count:,}")


class FormDialog(PreviewedDialog):
    """A few fields (a rule's name and points, a tier's motion and limit, a play, the engagement settings),
    previewed as they change; ctrl+s (or enter in a line) applies them. With `then`, enter goes on to a
    next step instead (answered as `Next`: a new rule's first test) and ctrl+s applies the form as it is."""

    BINDINGS = [
        Binding("ctrl+s", "commit", "Apply", id="form.commit", tooltip="Apply the change", priority=True),
        Binding("escape", "dismiss", "Cancel", id="form.cancel", tooltip="Close without changing anything"),
    ]
    AUTO_FOCUS = ".abm-form-input, .abm-form-choices"  # Textual's own focus on showing: no race with typing

    def __init__(self, title: str, fields: tuple[Field | tuple[Field, ...], ...], build: Callable[[Answers], Plan],
                 preview: Previews, check: Checks, note: str = "", then: bool = False) -> None:
        super().__init__(preview, check)
        self.title_text = title
        self.rows = tuple(row if isinstance(row, tuple) else (row,) for row in fields)
        self.fields = tuple(field for row in self.rows for field in row)
        self.build = build
        self.note = note
        self.then = then

    def compose(self) -> ComposeResult:
        with Vertical(classes="abm-dialog abm-form"):
            yield Label(self.title_text, classes="abm-dialog-title", markup=False)
            if self.note:
                yield Static(self.note, classes="abm-form-note", markup=False)
            with VerticalScroll(classes="abm-form-fields", can_focus=False):
                for row in self.rows:
                    with Horizontal(classes="abm-form-row"):
                        yield Label(row[0].label, classes="abm-form-label", markup=False)
                        for field in row:
                            yield from self._entry(field)
            yield Static("", classes="abm-error", markup=False)
            yield Static("", classes="abm-preview", markup=False)
            enter = "enter: on to its first test · ctrl+s: add it as it is" if self.then else "enter or ctrl+s applies"
            yield Label(f"tab moves · space ticks · {enter} · esc cancels", classes="abm-dialog-hint")
        yield Footer()

    def _entry(self, field: Field) -> ComposeResult:
        if field.choices is None:
            yield Input(field.value, placeholder=field.hint, id=f"field-{field.key}", classes="abm-form-input")
        else:
            yield SelectionList[str](*(Selection(c, c, c in field.chosen) for c in field.choices),
                                     id=f"field-{field.key}", classes="abm-form-choices")

    def on_mount(self) -> None:
        self.refresh_preview()

    def answers(self) -> dict[str, str | tuple[str, ...]]:
        found: dict[str, str | tuple[str, ...]] = {}
        for field in self.fields:
            if field.choices is None:
                found[field.key] = self.query_one(f"#field-{field.key}", Input).value
            else:
                ticked = set(self.query_one(f"#field-{field.key}", SelectionList).selected)
                found[field.key] = tuple(c for c in field.choices if c in ticked)
        return found

    def built(self) -> Plan:
        return self.build(self.answers())

    @on(Input.Changed)
    @on(SelectionList.SelectedChanged)
    def changed(self) -> None:
        self.hide_error()
        self.refresh_preview()

    @on(Input.Submitted)
    def submitted(self) -> None:
        if not self.then:
            self.action_commit()
            return
        try:
            self.built()
        except AbmError as err:
            return self.show_error(str(err))
        self.dismiss(Next(self.answers()))


class ConfirmDelete(PreviewedDialog):
    """Asked before a delete that removes a whole rule or play: says what goes, and what that moves."""

    BINDINGS = [
        Binding("y,enter", "commit", "Delete", id="delete.yes", tooltip="Delete it", priority=True),
        Binding("n,escape", "dismiss", "Keep", id="delete.no", tooltip="Keep it"),
    ]

    def __init__(self, said: str, plan: Plan, preview: Previews, check: Checks) -> None:
        super().__init__(preview, check)
        self.said = said
        self.plan = plan

    def compose(self) -> ComposeResult:
        with Vertical(classes="abm-dialog"):
            yield Label("Delete?", classes="abm-dialog-title")
            yield Static(f"This deletes {self.said}.", markup=False)
            yield Static("", classes="abm-error", markup=False)
            yield Static("working out what it moves…", classes="abm-preview", markup=False)
            yield Label("y or enter deletes · n or esc keeps it · ctrl+z undoes it afterwards",
                        classes="abm-dialog-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_preview()

    def built(self) -> Plan:
        return self.plan

