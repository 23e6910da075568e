"""The workbench: the plan's rules on the left, the live matrix on the right, the status on top.

Every change (an edit, undo, redo, a pivot, a save) is a frozen request queued to the session thread
(`tui/session_thread.py`), which applies them in the order the keys were pressed, so the plan history
is exactly what the planner did, and measures the matrix once per burst. The screen shows the edited
plan at once and the counts when they land; an answer for a request that is no longer the latest is
dropped, so typing never waits for a recount.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, ProgressBar, Static

from abm_tui.engine import profile
from abm_tui.errors import AbmError, Problem
from abm_tui.plan import edits
from abm_tui.plan.edits import Editable, Target
from abm_tui.plan.model import Criterion, Plan, Section
from abm_tui.session import Session
from abm_tui.tui.messages import (
    EditApplied,
    Exported,
    ExportStep,
    MatrixMeasured,
    Measured,
    SessionState,
    ValuesCounted,
)
from abm_tui.tui.read_only import HidesChanges
from abm_tui.tui.screens.authoring import AUTHORING_BINDINGS, Authoring
from abm_tui.tui.session_thread import EditRequest, MatrixRequest, SessionThread, Step
from abm_tui.tui.widgets.matrix_table import MEASURES, MatrixTable
from abm_tui.tui.widgets.rules_tree import SECTIONS, RulesTree
from abm_tui.tui.workers import ToApp, Tokens

DESTINATION_LABELS = {
    "hubspot": "HubSpot companies import (hubspot_companies.csv)",
    "salesforce": "Salesforce accounts update (salesforce_accounts.csv)",
    "sql": "the plan as SQL, its tables and load.sql (plan.sql, warehouse/)",
}
# LinkedIn Matched Audiences is offered twice, one list per segment or per tier (`[export] linkedin_per`).
LINKEDIN_PER = {"linkedin": "segment", "linkedin-per-tier": "tier"}
LINKEDIN_LABELS = {"segment": "LinkedIn company lists, one per segment (linkedin/)",
                   "tier": "LinkedIn company lists, one per tier (linkedin/)"}


def export_choices(plan: Plan) -> tuple[tuple[str, str, bool], ...]:
    """The export dialog's (value, label, ticked): run's files ticked, and the plan's `[export] to` targets
    (LinkedIn as the plan splits it)."""
    from abm_tui.outputs.run_files import RUN_FILES
    from abm_tui.plan.model import DESTINATIONS

    targets, per = plan.export.to, plan.export.linkedin_per
    choices = [(name, name, True) for name in RUN_FILES]
    for name in DESTINATIONS:
        if name in DESTINATION_LABELS:
            choices.append((name, DESTINATION_LABELS[name], name in targets))
            continue
        choices += [(value, LINKEDIN_LABELS[split], name in targets and per == split)
                    for value, split in LINKEDIN_PER.items()]
    return tuple(choices)


@dataclass(frozen=True)
class ValuesRequest:
    """The values of `column`, for picking an `in` list."""

    token: int
    column: str


@dataclass(frozen=True)
class ExportRequest:
    """An export as chosen in the dialog, with the plan file its inputs are resolved against."""

    token: int
    folder: Path
    run_files: tuple[str, ...]
    destinations: tuple[str, ...]
    plan_path: Path
    linkedin_per: str | None = None  # LinkedIn's lists as chosen in the dialog, over the plan's `linkedin_per`
    skipped: tuple[str, ...] = ()  # what the dialog offered and the planner left unticked, said afterwards


def value_counts(session: Session, column: str) -> list[tuple[str, int]]:
    """The values of a column with their account counts, most common first (run on the session thread)."""
    return profile.value_counts(session.engine.table, column)


def problems_text(session: Session, plan: Plan) -> str | None:
    """The plan's problems in one line, or None (run on the session thread)."""
    return "; ".join(str(p) for p in session.problems(plan)) or None


def blocked_by_file(folder: Path) -> Path | None:
    """The file standing where `folder` or one of its parents should be a folder, if any."""
    return next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None)


def cannot_write(folder: Path, err: OSError) -> str:
    """An OSError met while writing into `folder`, in one line naming it (and the file in the way, if any)."""
    blocker = blocked_by_file(folder)
    if blocker is not None:
        return f"{folder}: cannot write: {blocker} is a file, not a folder"
    return f"{folder}: cannot write: {(err.strerror or str(err)).lower()}"


NAVIGATION = [
    Binding("tab", "app.focus_next", "Pane", id="pane", tooltip="Between the rules and the matrix (shift+tab back)"),
    Binding("left_square_bracket", "section(-1)", "Previous section", show=False, id="section-prev",
            tooltip="The cursor to the section before (1 to 6 go to a section at once)"),
    Binding("right_square_bracket", "section(1)", "Jump", key_display="[]", id="section-next",
            tooltip="The cursor to the next section (1 to 6 go to a section at once)"),
    *(Binding(str(number), f"jump('{section}')", f"Go to {title}", show=False, id=f"jump-{section}",
              tooltip=f"Put the cursor on the {title} section") for number, (section, title) in enumerate(SECTIONS, 1)),
    Binding("slash", "search", "Find", id="search",
            tooltip="Find a rule or test by name or column as you type; up and down go to the other matches"),
    Binding("f", "fold", "Fold", show=False, id="fold", tooltip="Fold or unfold the section under the cursor"),
    Binding("F", "fold_all", "Fold all", show=False, id="fold-all", tooltip="Fold every section, or unfold them all"),
    Binding("less_than_sign", "widen(-4)", "Narrower rules", show=False, id="rules-narrower",
            tooltip="Give the matrix 4 more columns (remembered for next time)"),
    Binding("greater_than_sign", "widen(4)", "Wider rules", show=False, id="rules-wider",
            tooltip="Give the rules pane 4 more columns (remembered for next time)"),
]
# Keys that act on the rules: they work, and show in the footer, only while the rules have focus (`check_action`).
# The matrix's keys work from either pane; MatrixTable shows them in the footer while it has focus.
RULES_ACTIONS = frozenset({"nudge", "edit", "toggle_rule", "move", "duplicate", "rename", "delete", "fold",
                           "fold_all", "widen", "section", "search", "add", "add_test", "change_test", "group_any",
                           "negate"})
RULES_MIN_WIDTH = 34  # the pane's min-width in app.tcss
MATRIX_MIN_WIDTH = 30


class RulesSearch(Input):
    """The `/` line over the rules: the cursor follows the first match as the planner types."""

    BINDINGS = [
        Binding("escape", "screen.close_search", "Close", id="search.close", tooltip="Back to the rules"),
        Binding("down", "screen.find(1)", "Next match", id="search.next"),
        Binding("up", "screen.find(-1)", "Previous match", id="search.previous"),
    ]


class WorkbenchScreen(HidesChanges, Authoring, ToApp, Screen[None]):
    HELP_TITLE = "Workbench"
    CHANGES = frozenset({"nudge", "edit", "toggle_rule", "move", "duplicate", "rename", "delete", "undo", "redo",
                         "save", "save_as", "export", "add", "add_test", "change_test", "group_any", "negate",
                         "engagement"})
    BINDINGS = [
        Binding("plus,equals_sign", "nudge(1)", "Nudge", key_display="+-", id="nudge-up",
                tooltip="Raise the value under the cursor (minus lowers it)"),
        Binding("minus", "nudge(-1)", "nudge down", show=False, id="nudge-down"),
        Binding("asterisk", "nudge(1, True)", "big step up", show=False, id="nudge-up-big"),
        Binding("underscore", "nudge(-1, True)", "big step down", show=False, id="nudge-down-big"),
        Binding("e", "edit", "Edit", id="edit", tooltip="Type a value, or pick values from the data (or Enter)"),
        Binding("o", "toggle_rule", "On/off", show=False, id="toggle",
                tooltip="Switch the rule under the cursor off or on"),
        Binding("ctrl+up", "move(-1)", "Move up", show=False, id="move-up"),
        Binding("ctrl+down", "move(1)", "Move down", show=False, id="move-down"),
        Binding("d", "duplicate", "Copy rule", show=False, id="add-rule", tooltip="Add a copy of the rule below it"),
        Binding("n", "rename", "Rename", show=False, id="rename", tooltip="Rename the rule (plays follow)"),
        Binding("delete,x", "delete", "Delete", show=False, id="delete",
                tooltip="Delete the test under the cursor, or (asked first) the whole rule or play"),
        *AUTHORING_BINDINGS,
        Binding("ctrl+z", "undo", "Undo", id="undo"),
        Binding("ctrl+y", "redo", "Redo", show=False, id="redo"),
        Binding("r", "pivot('rows')", "Rows", show=False, id="pivot-rows",
                tooltip="Pivot the matrix rows to the next dimension"),
        Binding("c", "pivot('cols')", "Cols", show=False, id="pivot-cols"),
        Binding("m", "measure", "Measure", show=False, id="measure", tooltip="Counts, pipeline amount, or share"),
        Binding("b", "pin_baseline", "Pin baseline", show=False, id="pin-baseline"),
        Binding("ctrl+s", "save", "Save", id="save"),
        Binding("ctrl+e", "export", "Export", id="export",
                tooltip="Write run's files, and HubSpot, Salesforce, LinkedIn or SQL files, to a folder"),
        Binding("l", "load_report", "Load report", show=False, id="load-report",
                tooltip="What was read, mapped, cleaned, matched and dropped"),
        Binding("w", "save_as", "Save as", show=False, id="save-as"),
        Binding("v", "movement", "Movement", id="movement", show=False,
                tooltip="Which accounts moved since the baseline plan or a snapshot, from where to where, and why"),
        Binding("R", "review", "Review", show=False, id="review",
                tooltip="The quarterly review from the plan's history: progress, opportunities, wins, conversion"),
        Binding("i", "icp", "ICP", show=False, id="icp",
                tooltip="What the won accounts share, how the plan ranks them, lookalikes; add a suggested criterion"),
        *NAVIGATION,
    ]

    def __init__(self, sessions: SessionThread, state: SessionState, plan_path: Path, *,
                 writable: bool = True) -> None:
        super().__init__()
        self.sessions = sessions
        self.state = state  # the session as its thread last reported it
        self.plan_path = plan_path
        self.writable = writable
        self.plan = state.plan  # the newest plan asked for; the session catches up on its thread
        self.view = MatrixRequest()
        self.edits = Tokens()
        self._measured = 0  # the edit token whose matrix is on screen
        self._unsegmented: str | None = None  # why the plan does not segment, said once until it changes
        self._then: dict[int, Callable[[], object]] = {}  # run once edit `token` has landed
        self._saves: set[int] = set()  # edit tokens that are saves: a refused one is said loudly
        self.values = Tokens()
        self._picking: tuple[Target, Editable] | None = None  # the `in` list whose values are being counted
        self.exports = Tokens()
        self.cells = Tokens()  # the play line of the matrix cell under the cursor
        self.message = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="status")
        yield ProgressBar(id="export-progress", show_eta=False)
        with Horizontal(id="panes"):
            with Vertical(id="rules-pane"):
                yield Static("Rules", classes="pane-title")
                yield RulesSearch(placeholder="find a rule, a test or a column", id="rules-search", compact=True)
                yield RulesTree(id="rules")
                yield Static(id="rule-detail", markup=False)
            with Vertical(id="matrix-pane"):
                yield Static(id="matrix-title", classes="pane-title")
                yield MatrixTable(id="matrix")
                yield Static(id="cell-plays")
                yield Static(id="warnings")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        from abm_tui.userstate.settings import load_settings

        width = load_settings().rules_width
        if width:
            self.set_rules_width(width)
        self.query_one(RulesTree).show(self.plan)
        self.query_one(RulesTree).focus()
        self.sessions.start(self.post_message)
        self.submit(Step.MEASURE)

    def on_unmount(self) -> None:
        self.sessions.stop()

    @property
    def dirty(self) -> bool:
        return self.state.dirty

    # -- the edit queue --------------------------------------------------------------------

    def submit(self, step: Step, note: str = "", *, plan: Plan | None = None, path: Path | None = None,
               relocate: bool = False, then: Callable[[], object] | None = None) -> None:
        """Queue a change for the session thread. `then` runs on the UI thread once it has landed (not if
        it was refused)."""
        token = self.edits.next()
        if then is not None:
            self._then[token] = then
        if step is Step.SAVE:
            self._saves.add(token)
        self.sessions.edit(EditRequest(token, step, self.view, self.plan_path, note, plan, path, relocate))

    @on(EditApplied)
    def edit_applied(self, message: EditApplied) -> None:
        self.state = message.state
        then = self._then.pop(message.token, None)
        saving = message.token in self._saves
        self._saves.discard(message.token)
        if message.autosave_problem:
            self.app.notify(message.autosave_problem, title="Autosave", severity="warning", timeout=12)
        if message.refused:
            self.message = f"refused: {message.refused}"
            if saving:
                self.app.notify(message.refused, title="Not saved", severity="error")
            self.plan = message.state.plan
            self.query_one(RulesTree).show(self.plan)
        else:
            self.message = message.note  # a landed change replaces the last message, even with none
            if message.saved_to is not None:
                self.plan_path, self.writable = message.saved_to, True
            if then is not None:
                self.call_after_refresh(then)
        if not self.edits.current(message.token):
            self.update_status()  # more edits are queued: the status says this one landed
            return
        if message.state.plan != self.plan:
            self.plan = message.state.plan  # undo, redo: the tree still shows the plan before
            self.query_one(RulesTree).show(self.plan)
        # The matrix of this edit follows at once (the thread measures after every burst's last edit) and
        # updates the status with it: one re-layout of the status line per key, not two.

    @on(MatrixMeasured)
    def matrix_measured(self, message: MatrixMeasured) -> None:
        if not self.edits.current(message.token):
            return  # newer edits are queued: their matrix follows
        self._measured = message.token
        was_broken = bool(self.query_one(RulesTree).marks)
        self.show_problems(message.problems)
        if message.problem is not None:
            if message.problem not in self.message:  # a refused edit already says it
                self.message = message.problem
            if message.problems and not was_broken:  # listed in the pane: said once, not after every fix
                self.app.notify(message.problem, title="The plan does not fit its data", severity="warning")
            elif not message.problems and message.problem != self._unsegmented:
                self.app.notify(message.problem, title="Cannot segment", severity="error")
        elif message.measured is not None:
            self.show_matrix(message.measured)
            self.show_cell_plays()
        self._unsegmented = message.problem
        self.update_status()

    def show_problems(self, problems: tuple[Problem, ...]) -> None:
        """A plan that does not fit its data: its problems listed where the matrix goes and marked in the rules,
        until the planner's fixes leave none; then the matrix comes back."""
        from abm_tui.plan.edits import problem_target

        marks: dict[Target, str] = {}
        for problem in problems:
            target = problem_target(problem.path)
            if target is not None:
                marks.setdefault(target, problem.message)
        self.query_one(RulesTree).mark(marks)
        self.query_one(MatrixTable).display = not problems
        if problems:
            noun = "problem" if len(problems) == 1 else "problems"
            set_text(self.query_one("#matrix-title", Static),
                     f"The plan does not fit its data: {len(problems)} {noun}; it segments once they are fixed")
            hint = ("Enter on a ⚠ test picks its column from the data; x deletes a rule or test; o switches a rule off")
            set_text(self.query_one("#warnings", Static), "\n".join([*(f"⚠ {p}" for p in problems), "", hint]))

    def show_matrix(self, measured: Measured) -> None:
        self.query_one(RulesTree).count({name: (passed, kept) for name, passed, kept in measured.passed})
        theme = self.app.current_theme
        table = self.query_one(MatrixTable)
        table.show(measured.matrix, up=theme.success or "green", down=theme.error or "red")
        current = measured.matrix.current
        word = {"count": "accounts", "pipeline": "pipeline (sum of opportunity_amount)", "percent": "% of accounts"}
        set_text(self.query_one("#matrix-title", Static),
                 f"{current.row_dim} x {current.col_dim} · {word[self.view.measure]} · change against the baseline")
        set_text(self.query_one("#warnings", Static), "\n".join(f"⚠ {w}" for w in measured.warnings))

    def say(self, text: str) -> None:
        """Put `text` on the status line (the App says failed work here too)."""
        self.message = text
        self.update_status()

    def update_status(self) -> None:
        state, report = self.state, self.state.report
        parts = [f"{report.rows_kept:,} accounts", f"{len(report.dropped):,} rows dropped at load"]
        if report.preset != "canonical":
            parts.append(f"{report.preset} layout")
        if report.match is not None:
            parts.append(f"engagement {report.match.rate:.0%} matched")
        parts.append(f"as of {state.as_of.isoformat()}")
        if state.dirty:
            parts.append("unsaved changes")
        if self._measured < self.edits.latest:
            parts.append("recounting…")
        status = " · ".join(parts) + (f"   {self.message}" if self.message else "")
        set_text(self.query_one("#status", Static), status)
        self.show_detail()  # an edit relabels the line under the cursor
        title = f"{self.plan.name}{' *' if state.dirty else ''}"
        if self.sub_title != title:
            self.sub_title = title

    # -- edits -----------------------------------------------------------------------------

    def change(self, plan: Plan, note: str = "", at: Target | None = None) -> None:
        """Show `plan` at once (the cursor on `at`, if given) and have the session thread make it current; the
        status then says which accounts it moved."""
        self.plan = plan
        self.query_one(RulesTree).show(plan, at)
        self.submit(Step.APPLY, note, plan=plan)

    def target(self) -> Target | None:
        tree = self.query_one(RulesTree)
        return tree.target if tree.has_focus else None

    def refuse(self, reason: str) -> None:
        self.message = reason
        self.update_status()
        self.app.bell()

    def action_nudge(self, direction: int, large: bool = False) -> None:
        target = self.target()
        if target is None:
            return self.refuse("move to a threshold in the rules pane to nudge it")
        try:
            self.change(edits.nudged(self.plan, target, direction, large))
        except AbmError as err:
            self.refuse(str(err))

    def action_toggle_rule(self) -> None:
        target = self.target()
        if target is None or target.index is None or target.section in ("plays", "engagement"):
            return self.refuse("move to a fit criterion, tier, stage or bucket to switch it off or on")
        self.change(edits.toggle(self.plan, target.section, target.index))

    def action_move(self, offset: int) -> None:
        target = self.target()
        if target is None or target.index is None or target.section == "engagement":
            return self.refuse("move to a rule to reorder it")
        try:
            moved = edits.move(self.plan, target.section, target.index, offset) if target.section != "plays" \
                else edits.move_play(self.plan, target.index, offset)
        except AbmError as err:
            return self.refuse(str(err))
        self.change(moved, at=Target(target.section, target.index + offset))

    def action_duplicate(self) -> None:
        target = self.target()
        if target is None or target.index is None or target.section in ("plays", "engagement"):
            return self.refuse("move to a rule to add a copy of it below")
        self.change(edits.duplicate(self.plan, target.section, target.index), "added a copy: n renames it")

    def action_rename(self) -> None:
        from abm_tui.tui.modals import AskText

        target = self.target()
        if target is None or target.index is None or target.section in ("plays", "engagement"):
            return self.refuse("move to a fit criterion, tier, stage or bucket to rename it")
        section, index = target.section, target.index

        def check(text: str) -> str | None:
            try:
                edits.rename(self.plan, section, index, text)
            except AbmError as err:
                return str(err)
            return None

        def named(text: str | None) -> None:
            if text is not None:
                self.change(edits.rename(self.plan, section, index, text))

        current = Section.parse(section).rules(self.plan)[index].name
        self.app.push_screen(AskText(f"Rename {current}", current, check), named)

    def action_edit(self) -> None:
        target = self.target()
        if target is None or self.author_edit(target):
            return
        known = [name for name, _ in self.state.columns]
        if target.is_test and target.column is not None and known and target.column not in known:
            return self.pick_column(target)
        spec = edits.editable(self.plan, target)
        marks = self.query_one(RulesTree).marks
        if spec is None and any((m.section, m.index) == (target.section, target.index) for m in marks):
            said = marks.get(target, "this rule has a problem")
            return self.refuse(f"{said}: Enter on a ⚠ test picks its column; x deletes it, o switches the rule off")
        if spec is None:
            return self.refuse("nothing to type here: move to a threshold, a criterion's points or a tier's limit")
        if target.op in ("in", "not_in") and target.column is not None:
            self._picking = (target, spec)
            self.count_values(ValuesRequest(self.values.next(), target.column))
            return
        self.ask_value(spec)

    def pick_column(self, target: Target) -> None:
        """A test on a column the data does not have: pick the one it meant, the nearest names first."""
        from difflib import get_close_matches

        from abm_tui.tui.modals import ChooseOne

        section, index, column = target.section, target.index, target.column
        assert index is not None and column is not None
        kinds = dict(self.state.columns)
        near = get_close_matches(column, kinds, n=5, cutoff=0.5)
        names = [*near, *(name for name in kinds if name not in near)]

        def picked(choice: int | None) -> None:
            if choice is not None:
                self.change(edits.rename_column(self.plan, section, index, column, names[choice]),
                            f"{column} -> {names[choice]}")

        labels = [f"{name}  ({kinds[name]})" for name in names]
        self.app.push_screen(ChooseOne(f"{column} is not a column of the data: pick the column it means", labels),
                             picked)

    @work(thread=True, exclusive=True, exit_on_error=False, group="workbench.values",
          description="counting a column's values")
    def count_values(self, request: ValuesRequest) -> None:
        options = self.sessions.ask(lambda session: value_counts(session, request.column)).result()
        self.post_message(ValuesCounted(request.token, options))

    @on(ValuesCounted)
    def pick_values(self, message: ValuesCounted) -> None:
        """The values are counted: pick from them (or type, when the column is not in the data)."""
        from abm_tui.tui.modals import PickValues

        if not self.values.current(message.token) or self._picking is None:
            return
        (target, spec), self._picking = self._picking, None
        if not message.options:
            return self.ask_value(spec)
        title, current, _ = spec
        section, index, column, op = target.section, target.index, target.column, target.op
        assert index is not None and column is not None and op is not None
        chosen = tuple(current) if isinstance(current, tuple) else ()

        def picked(values: tuple[str, ...] | None) -> None:
            if values:
                self.change(edits.set_test(self.plan, section, index, column, op, values))

        self.app.push_screen(PickValues(title, message.options, chosen), picked)

    def ask_value(self, spec: Editable) -> None:
        """A typed value: checked against the data and previewed on the session thread, from the dialog's
        own workers, as the planner types."""
        from abm_tui.tui.modals import AskText

        title, current, apply_text = spec

        def check(text: str) -> str | None:
            plan = apply_text(text)  # a value that does not parse is refused here (AbmError)
            return self.sessions.ask(lambda session: problems_text(session, plan)).result()

        def typed(text: str | None) -> None:
            if text is not None:
                self.change(apply_text(text))

        def preview(text: str) -> str:
            return self.sessions.preview(apply_text(text)).result()

        shown = ", ".join(map(str, current)) if isinstance(current, tuple) else str(current)
        self.app.push_screen(AskText(title, shown, check, preview=preview), typed)

    # -- getting around --------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A pane's own keys work, and show in the footer, while that pane has focus."""
        focused = self.focused
        if action in RULES_ACTIONS and isinstance(focused, MatrixTable):
            return False
        return super().check_action(action, parameters)  # a read-only app hides the changes (HidesChanges)

    def rules(self) -> RulesTree:
        """The rules tree, focused: the keys that find a place in the plan work from either pane."""
        tree = self.query_one(RulesTree)
        tree.focus()
        return tree

    def action_section(self, step: int) -> None:
        node = self.rules().section_node(step)
        if node is not None:
            self.rules().move_cursor(node)

    def action_jump(self, section: str) -> None:
        self.rules().move_to(Target(section))

    def action_search(self) -> None:
        box = self.query_one(RulesSearch)
        box.display = True
        box.focus()
        box.select_all()

    def action_close_search(self) -> None:
        self.query_one(RulesSearch).display = False
        self.rules()

    def action_find(self, step: int = 0) -> None:
        """The next match of the search (`step` 0: from the cursor on, as the planner types)."""
        tree, text = self.query_one(RulesTree), self.query_one(RulesSearch).value
        node = tree.find(text, step)
        if node is not None:
            tree.reveal(node)
        elif text.strip():
            self.refuse(f"no rule, test or column holds {text.strip()!r}")

    @on(Input.Changed, "#rules-search")
    def search_changed(self) -> None:
        self.action_find()

    @on(Input.Submitted, "#rules-search")
    def search_submitted(self) -> None:
        self.action_close_search()

    def action_fold(self) -> None:
        tree = self.query_one(RulesTree)
        node = tree.section_node(0)
        if node is not None:
            node.toggle()
            tree.move_cursor(node)

    def action_fold_all(self) -> None:
        tree = self.query_one(RulesTree)
        sections = list(tree.root.children)
        unfold = not any(node.is_expanded for node in sections)
        for node in sections:
            node.expand() if unfold else node.collapse()
        here = tree.section_node(0)
        if tree.cursor_node not in sections and here is not None:
            tree.move_cursor(here)

    def action_widen(self, step: int) -> None:
        """The rules pane by `step` columns, within what leaves the matrix room; remembered for next time."""
        from abm_tui.userstate.settings import load_settings, save_settings

        pane = self.query_one("#rules-pane")
        width = max(RULES_MIN_WIDTH, min(pane.outer_size.width + step, self.size.width - MATRIX_MIN_WIDTH))
        self.set_rules_width(width)
        try:
            save_settings(replace(load_settings(), rules_width=width))
        except AbmError as err:
            self.say(str(err))

    def set_rules_width(self, width: int) -> None:
        """A width the planner chose: the rules pane keeps it and the matrix gets the rest."""
        self.query_one("#rules-pane").styles.width = width
        self.query_one("#matrix-pane").styles.width = "1fr"

    @on(RulesTree.NodeHighlighted)
    def show_detail(self) -> None:
        """The whole line under the cursor, which the pane may have ellipsised."""
        set_text(self.query_one("#rule-detail", Static), self.query_one(RulesTree).full_text())

    # -- history, pivots, files ------------------------------------------------------------

    def action_undo(self) -> None:
        self.submit(Step.UNDO)  # the session thread says what it undid

    def action_redo(self) -> None:
        self.submit(Step.REDO)

    def action_pin_baseline(self) -> None:
        self.submit(Step.PIN, "baseline pinned: changes now count from this plan")

    def action_pivot(self, axis: str) -> None:
        choices = self.state.dimensions
        view = self.view
        current, other = (view.rows, view.cols) if axis == "rows" else (view.cols, view.rows)
        options = [d for d in choices if d != other]
        following = options[(options.index(current) + 1) % len(options)] if current in options else options[0]
        self.view = replace(view, rows=following) if axis == "rows" else replace(view, cols=following)
        self.submit(Step.MEASURE, f"{axis}: {following}")

    def action_measure(self) -> None:
        measure = self.view.measure
        if not self.state.has_pipeline and measure == "count":
            measure = "percent"
        else:
            measure = MEASURES[(MEASURES.index(measure) + 1) % len(MEASURES)]
        self.view = replace(self.view, measure=measure)
        self.submit(Step.MEASURE, f"measure: {measure}")

    @on(RulesTree.NodeSelected)
    async def edit_selected(self) -> None:
        """Enter on a rule or a test edits it, as `e` does (through the same check: off when read-only)."""
        await self.run_action("edit")

    @on(MatrixTable.CellSelected)
    def drill(self, event: MatrixTable.CellSelected) -> None:
        from abm_tui.tui.screens.drill import DrillScreen

        row, col = self.query_one(MatrixTable).cell_labels()
        view = self.view
        self.app.push_screen(DrillScreen.of_cell(self.sessions, self.state.plan, view.rows, row, view.cols, col))

    def action_save(self, then: Callable[[], object] | None = None) -> None:
        if not self.writable:
            self.action_save_as()
            return
        self.submit(Step.SAVE, f"saved {self.plan_path}", path=self.plan_path, then=then)

    def action_export(self) -> None:
        from abm_tui.outputs.run_files import RUN_FILES
        from abm_tui.plan.model import DESTINATIONS
        from abm_tui.plan.paths import input_paths
        from abm_tui.tui.modals import ChooseExport

        plan = self.state.plan

        def check(text: str, chosen: tuple[str, ...]) -> str | None:
            folder = Path(text).expanduser()
            if not chosen:
                return "tick at least one file"
            if len(set(chosen) & set(LINKEDIN_PER)) > 1:
                return "tick LinkedIn per segment or per tier, not both"
            if not text:
                return "expected a folder"
            blocker = blocked_by_file(folder)
            if blocker == folder:
                return f"{folder} is a file; expected a folder"
            if blocker is not None:
                return f"{folder}: cannot write: {blocker} is a file, not a folder"
            inputs = input_paths(plan, self.plan_path)
            clashes = [folder / name for name in chosen if (folder / name).resolve() in inputs]
            return f"{clashes[0]} is an input of this plan" if clashes else None

        def chosen(answer: tuple[str, tuple[str, ...]] | None) -> None:
            if answer is None:
                return
            folder, picked = answer
            bar = self.query_one("#export-progress", ProgressBar)
            bar.update(total=None, progress=0)
            bar.display = True
            self.say(f"exporting {self.state.report.rows_kept:,} accounts to {folder} ...")
            run_files = tuple(name for name in picked if name in RUN_FILES)
            linkedin = [value for value in picked if value in LINKEDIN_PER]
            others = tuple(name for name in picked if name in DESTINATIONS and name not in LINKEDIN_PER)
            skipped = tuple(label for value, label, _ in choices
                            if value not in picked and not (linkedin and value in LINKEDIN_PER))
            self.export(ExportRequest(self.exports.next(), Path(folder).expanduser(), run_files,
                                      others + (("linkedin",) if linkedin else ()), self.plan_path,
                                      LINKEDIN_PER[linkedin[0]] if linkedin else None, skipped))

        default = self.plan_path.resolve().parent / "exports" if self.writable else Path.cwd() / "exports"
        choices = export_choices(plan)
        self.app.push_screen(ChooseExport(str(default), choices, check), chosen)

    @work(thread=True, exit_on_error=False, group="workbench.export", description="exporting")
    def export(self, request: ExportRequest) -> None:
        """Run's files and the chosen CRM and ad-platform files, from the session's current plan (not the
        screen's): the frames are built on the session thread, the files written here."""
        from abm_tui.outputs.destinations import ExportContext
        from abm_tui.outputs.publish import publish

        def step(text: str) -> None:
            self.post_message(ExportStep(request.token, text))

        step("building the assignments")
        try:
            context, matrix, report = self.sessions.ask(
                lambda session: (ExportContext.of(session, request.plan_path), session.matrix(), session.report)
            ).result()
            if request.linkedin_per is not None:
                export = replace(context.plan.export, linkedin_per=request.linkedin_per)
                context = replace(context, plan=replace(context.plan, export=export))
            published = publish(context, matrix, report, request.folder, request.plan_path, request.run_files,
                                request.destinations, progress=lambda name: step(f"writing {name}"))
        except AbmError as err:
            self.post_message(Exported(request.token, (), str(err)))
            return
        except OSError as err:  # a folder made without files.py (run_files' mkdir): said the same way
            self.post_message(Exported(request.token, (), cannot_write(request.folder, err)))
            return
        self.post_message(Exported(request.token, (*published.files, published.manifest), None, published.warnings,
                                   request.skipped))

    def action_movement(self) -> None:
        from abm_tui.tui.screens.movement import MovementScreen

        self.app.push_screen(MovementScreen(self.sessions, self.state.plan))

    def action_review(self) -> None:
        from abm_tui.tui.screens.review import ReviewScreen

        self.app.push_screen(ReviewScreen(self.state.plan, self.plan_path))

    def action_icp(self) -> None:
        """The ICP screen; a suggestion it closes with joins the fit criteria as an edit like any other."""
        from abm_tui.tui.screens.icp import IcpScreen

        def chosen(criterion: Criterion | None) -> None:
            if criterion is None:
                return
            try:
                self.change(edits.add_rule(self.plan, Section.CRITERIA, criterion), f"added {criterion.name}")
            except AbmError as err:
                self.refuse(str(err))

        self.app.push_screen(IcpScreen(self.sessions, self.state.plan), chosen)

    def action_load_report(self) -> None:
        from abm_tui.tui.modals import ShowText

        self.app.push_screen(ShowText("Load report", "\n".join(self.state.report.summary())))

    @on(ExportStep)
    def export_step(self, message: ExportStep) -> None:
        if self.exports.current(message.token):
            self.query_one("#export-progress", ProgressBar).advance(1)
            self.say(f"export: {message.step} ...")

    @on(Exported)
    def exported(self, message: Exported) -> None:
        """Every export that ends is said, even an older one: its files were written (or not)."""
        if self.exports.current(message.token):
            self.query_one("#export-progress", ProgressBar).display = False
        if message.error:
            self.message = f"export failed: {message.error}"
            self.app.notify(message.error, title="Export failed", severity="error")
        else:
            written = message.written
            folder = written[0].parent if written else ""
            names = [str(p.relative_to(folder)) if folder else p.name for p in written]
            more = f" and {len(names) - 6} more" if len(names) > 6 else ""
            skipped = f"; skipped (not ticked): {', '.join(message.skipped)}" if message.skipped else ""
            warned = f"; {len(message.warnings)} warning(s)" if message.warnings else ""
            self.message = f"exported {len(names)} files to {folder}: {', '.join(names[:6])}{more}{skipped}{warned}"
            said = f"Wrote {len(names)} files to {folder}:\n" + "\n".join(f"  {name}" for name in names)
            if message.skipped:
                said += "\nSkipped, not ticked:\n" + "\n".join(f"  {label}" for label in message.skipped)
            self.app.notify(said, title="Exported", timeout=12)
            for warning in message.warnings:
                self.app.notify(warning, title="Export warning", severity="warning", timeout=12)
        self.update_status()

    def action_save_as(self) -> None:
        from abm_tui.plan.paths import data_paths
        from abm_tui.tui.modals import AskText

        plan = self.state.plan

        def check(text: str) -> str | None:
            path = Path(text).expanduser()
            if path.suffix != ".toml":
                return "expected a path ending in .toml"
            if path.is_dir():
                return f"{path} is a folder"
            blocker = blocked_by_file(path.parent)
            if blocker is not None:
                return f"{path}: cannot write: {blocker} is a file, not a folder"
            if path.resolve() in data_paths(plan):
                return f"{path} is one of this plan's data files"
            return None

        def chosen(text: str | None) -> None:
            if text is not None:
                path = Path(text).expanduser().resolve()
                self.submit(Step.SAVE, f"saved as {path}", path=path, relocate=True)

        default = self.plan_path if self.writable else Path.cwd() / "plan.toml"
        self.app.push_screen(AskText("Save the plan as", str(default), check), chosen)


def set_text(widget: Static, text: str) -> None:
    """Update only on change: every update repaints, and a new height re-lays the screen out."""
    if str(widget.render()) != text:
        widget.update(text)
