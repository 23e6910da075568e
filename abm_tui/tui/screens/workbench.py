"""The workbench: the plan's rules on the left, the live matrix on the right, the status on top.

Every change (an edit, undo, redo, a pivot) goes to a thread worker. Workers take turns in the
order the keys were pressed, so the plan history is exactly what the planner did; a worker whose
result is already stale (newer keys are queued) skips the matrix, and the screen drops any stale
result, so typing never waits for a recount.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, ProgressBar, Static

from abm_tui.engine.guidance import size_warnings
from abm_tui.engine.segment import MAX_DIMENSION_VALUES, Assignment, Matrix
from abm_tui.errors import AbmError
from abm_tui.history.movement import preview_text
from abm_tui.plan import edits
from abm_tui.plan.dump import save_plan
from abm_tui.plan.edits import Target
from abm_tui.plan.model import Plan, Section
from abm_tui.session import Session
from abm_tui.tui.widgets.matrix_table import MEASURE_COLUMN, MEASURES, MatrixTable, MatrixView
from abm_tui.tui.widgets.rules_tree import RulesTree
from abm_tui.userstate import autosave

PLAN_DIMENSIONS = ("tier", "stage", "bucket", "play")
EXTRA_DIMENSIONS = ("top_intent_theme", "industry", "region", "funding_stage", "crm_stage", "owner", "country")
IDENTITY = ("account_id", "name", "domain")
DESTINATION_LABELS = {
    "hubspot": "HubSpot companies import (hubspot_companies.csv)",
    "salesforce": "Salesforce accounts update (salesforce_accounts.csv)",
    "linkedin": "LinkedIn Matched Audiences company lists (linkedin/)",
    "sql": "the whole plan as one SQL query (plan.sql)",
}


@dataclass(frozen=True)
class Measured:
    matrix: MatrixView
    warnings: tuple[str, ...]


class Changed(Message):
    """A worker finished change `seq`: the session's plan now, and the matrix if it is still current."""

    def __init__(self, seq: int, plan: Plan, measured: Measured | None, refused: str | None, note: str) -> None:
        super().__init__()
        self.seq, self.plan, self.measured, self.refused, self.note = seq, plan, measured, refused, note


class ExportStep(Message):
    def __init__(self, step: str) -> None:
        super().__init__()
        self.step = step


class Exported(Message):
    def __init__(self, written: list[Path] | None, error: str | None, warnings: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.written, self.error, self.warnings = written, error, warnings


class WorkbenchScreen(Screen[None]):
    HELP_TITLE = "Workbench"
    CSS_PATH = "../styles/app.tcss"
    BINDINGS = [
        Binding("plus,equals_sign", "nudge(1)", "+/- nudge", id="nudge-up", tooltip="Raise the value under the cursor"),
        Binding("minus", "nudge(-1)", "nudge down", show=False, id="nudge-down"),
        Binding("asterisk", "nudge(1, True)", "big step up", show=False, id="nudge-up-big"),
        Binding("underscore", "nudge(-1, True)", "big step down", show=False, id="nudge-down-big"),
        Binding("e", "edit", "⏎ Edit", id="edit", tooltip="Type a value, or pick values from the data (or Enter)"),
        Binding("o", "toggle", "On/off", id="toggle", tooltip="Switch the rule under the cursor off or on"),
        Binding("ctrl+up", "move(-1)", "Move up", show=False, id="move-up"),
        Binding("ctrl+down", "move(1)", "Move down", show=False, id="move-down"),
        Binding("a", "duplicate", "Add rule", show=False, id="add-rule", tooltip="Add a copy of the rule below it"),
        Binding("n", "rename", "Rename", show=False, id="rename", tooltip="Rename the rule (plays follow)"),
        Binding("delete,x", "delete", "Delete", show=False, id="delete"),
        Binding("ctrl+z", "undo", "Undo", id="undo"),
        Binding("ctrl+y", "redo", "Redo", id="redo"),
        Binding("r", "pivot('rows')", "Rows", id="pivot-rows", tooltip="Pivot the matrix rows to the next dimension"),
        Binding("c", "pivot('cols')", "Cols", id="pivot-cols"),
        Binding("m", "measure", "Measure", id="measure", tooltip="Counts, pipeline amount, or share"),
        Binding("b", "pin_baseline", "Pin baseline", show=False, id="pin-baseline"),
        Binding("ctrl+s", "save", "Save", id="save"),
        Binding("ctrl+e", "export", "Export", id="export",
                tooltip="Write run's files, and HubSpot, Salesforce, LinkedIn or SQL files, to a folder"),
        Binding("l", "load_report", "Load report", show=False, id="load-report",
                tooltip="What was read, mapped, cleaned, matched and dropped"),
        Binding("w", "save_as", "Save as", show=False, id="save-as"),
        Binding("v", "movement", "Movement", id="movement",
                tooltip="Which accounts moved since the baseline plan or a snapshot, from where to where, and why"),
        Binding("R", "review", "Review", id="review",
                tooltip="The quarterly review from the plan's history: progress, opportunities, wins, conversion"),
    ]

    def __init__(self, session: Session, plan_path: Path, *, writable: bool = True) -> None:
        super().__init__()
        self.session = session
        self.plan_path = plan_path
        self.writable = writable
        self.plan = session.plan  # the newest plan asked for; the session catches up in the workers
        self.rows, self.cols, self.measure = "tier", "stage", "count"
        self._seq = 0
        self._applied = 0
        self._turn = threading.Condition()
        self._baseline_cache: dict[tuple[object, ...], Matrix] = {}
        self._then: dict[int, Callable[[], object]] = {}  # run once change `seq` has landed
        self._dimensions: list[str] | None = None
        self._previewed_from: tuple[Plan, Assignment] | None = None  # what an edit preview compares against
        self.message = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="status")
        yield ProgressBar(id="export-progress", show_eta=False)
        with Horizontal(id="panes"):
            with Vertical(id="rules-pane"):
                yield Static("Rules", classes="pane-title")
                yield RulesTree(id="rules")
            with Vertical(id="matrix-pane"):
                yield Static(id="matrix-title", classes="pane-title")
                yield MatrixTable(id="matrix")
                yield Static(id="warnings")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(RulesTree).show(self.plan)
        self.query_one(RulesTree).focus()
        self.submit(None, "")

    # -- the change queue ------------------------------------------------------------------

    def submit(self, action: Callable[[], object] | None, note: str, then: Callable[[], object] | None = None) -> None:
        """Queue a change; the screen shows the optimistic plan at once and the counts when ready.
        `then` runs on the UI thread once the change has landed (not if it was refused)."""
        self._seq += 1
        if then is not None:
            self._then[self._seq] = then
        self.recompute(self._seq, action, note)

    @work(thread=True, group="recompute")
    def recompute(self, seq: int, action: Callable[[], object] | None, note: str) -> None:
        with self._turn:
            self._turn.wait_for(lambda: self._applied == seq - 1)
            try:
                refused = None
                with self.session.lock:
                    try:
                        if action is not None:
                            said = action()
                            autosave.write(self.plan_path, self.session.plan)
                            if isinstance(said, str):  # a change says what it moved
                                note = f"{note} · {said}" if note else said
                    except AbmError as err:
                        refused = str(err)
                    measured = self._measure() if seq == self._seq else None
                    plan = self.session.plan
            finally:
                self._applied = seq
                self._turn.notify_all()
        self.post_message(Changed(seq, plan, measured, refused, note))

    def _measure(self) -> Measured:
        session = self.session
        current = session.matrix(self.rows, self.cols, MEASURE_COLUMN[self.measure])
        key = (session.baseline, self.rows, self.cols, self.measure)
        if key not in self._baseline_cache:
            self._baseline_cache = {key: session.matrix(self.rows, self.cols, MEASURE_COLUMN[self.measure],
                                                        plan=session.baseline)}
            session.matrix(self.rows, self.cols, plan=session.plan)  # keep the engine's memo on the current plan
        tiers = current if (self.rows, self.cols, self.measure) == ("tier", "stage", "count") else session.matrix()
        return Measured(MatrixView(current, self._baseline_cache[key], self.measure),
                        tuple(size_warnings(session.plan, tiers)))

    @on(Changed)
    def apply_change(self, message: Changed) -> None:
        then = self._then.pop(message.seq, None)
        if then is not None and not message.refused:
            self.call_after_refresh(then)
        if message.refused:
            self.message = f"refused: {message.refused}"
            self.plan = message.plan
            self.query_one(RulesTree).show(self.plan)
        else:
            self.message = message.note  # a landed change replaces the last message, even with none
        if message.seq != self._seq:
            self.update_status()
            return
        if message.plan != self.plan:  # undo, redo or a refusal: the tree still shows the old plan
            self.plan = message.plan
            self.query_one(RulesTree).show(self.plan)
        if message.measured is not None:
            self.show_matrix(message.measured)
        self.update_status()

    def show_matrix(self, measured: Measured) -> None:
        theme = self.app.current_theme
        table = self.query_one(MatrixTable)
        table.show(measured.matrix, up=theme.success or "green", down=theme.error or "red")
        current = measured.matrix.current
        word = {"count": "accounts", "pipeline": "pipeline (sum of opportunity_amount)", "percent": "% of accounts"}
        set_text(self.query_one("#matrix-title", Static),
                 f"{current.row_dim} x {current.col_dim} · {word[self.measure]} · change against the baseline")
        set_text(self.query_one("#warnings", Static), "\n".join(f"⚠ {w}" for w in measured.warnings))

    def update_status(self) -> None:
        report = self.session.report
        parts = [f"{report.rows_kept:,} accounts", f"{len(report.dropped):,} rows dropped at load"]
        if report.preset != "canonical":
            parts.append(f"{report.preset} layout")
        if report.match is not None:
            parts.append(f"engagement {report.match.rate:.0%} matched")
        parts.append(f"as of {self.session.as_of.isoformat()}")
        if self.session.dirty:
            parts.append("unsaved changes")
        if self._applied < self._seq:
            parts.append("recounting…")
        status = " · ".join(parts) + (f"   {self.message}" if self.message else "")
        set_text(self.query_one("#status", Static), status)
        title = f"{self.plan.name}{' *' if self.session.dirty else ''}"
        if self.sub_title != title:
            self.sub_title = title

    # -- edits -----------------------------------------------------------------------------

    def change(self, plan: Plan, note: str = "") -> None:
        """Show `plan` at once and have a worker make it current; the status then says which accounts it moved."""
        self.plan = plan
        self.query_one(RulesTree).show(plan)

        def apply() -> str:
            before = self.session.assignment()
            return preview_text(before, self.session.apply(plan)).replace("moves", "moved", 1)

        self.submit(apply, note)

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

    def action_toggle(self) -> None:
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
        self.change(moved)
        self.query_one(RulesTree).move_to(Target(target.section, target.index + offset))

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

    def action_delete(self) -> None:
        target = self.target()
        if target is None or target.index is None or target.section == "engagement":
            return self.refuse("move to a rule or a test to delete it")
        if target.is_test and target.column is not None and target.op is not None:
            self.change(edits.remove_test(self.plan, target.section, target.index, target.column, target.op))
        elif target.section == "plays":
            self.change(replace(self.plan, plays=self.plan.plays[: target.index] + self.plan.plays[target.index + 1 :]))
        else:
            self.change(edits.delete(self.plan, target.section, target.index))

    def action_edit(self) -> None:
        from abm_tui.tui.modals import AskText, PickValues

        target = self.target()
        if target is None:
            return
        spec = edits.editable(self.plan, target)
        if spec is None:
            return self.refuse("nothing to type here: move to a threshold, a criterion's points or a tier's limit")
        title, current, apply_text = spec
        if target.op in ("in", "not_in") and target.column is not None:
            options = self.value_counts(target.column)
            if options:
                chosen = tuple(current) if isinstance(current, tuple) else ()

                def picked(values: tuple[str, ...] | None) -> None:
                    if values:
                        self.change(edits.set_test(self.plan, target.section, target.index, target.column,
                                                   target.op, values))

                self.app.push_screen(PickValues(title, options, chosen), picked)
                return

        def check(text: str) -> str | None:
            try:
                with self.session.lock:
                    problems = self.session.problems(apply_text(text))
            except AbmError as err:
                return str(err)
            return "; ".join(str(p) for p in problems) or None

        def typed(text: str | None) -> None:
            if text is not None:
                self.change(apply_text(text))

        shown = ", ".join(map(str, current)) if isinstance(current, tuple) else str(current)
        self.app.push_screen(AskText(title, shown, check, preview=lambda text: self.moves(apply_text(text))), typed)

    def moves(self, plan: Plan) -> str:
        """Which accounts `plan` would move against the plan now, for a dialog to show before it is applied."""
        with self.session.lock:
            after = self.session.preview(plan)
            if after is None:
                problems = self.session.problems(plan)
                if problems:
                    return "; ".join(str(p) for p in problems)
                return ("this change reloads the data or recomputes the engagement features: the matrix shows "
                        "its effect once applied")
            now = self.session.plan
            if self._previewed_from is None or self._previewed_from[0] is not now:
                # The engine keeps one assignment per rule set, and the preview just replaced the current
                # plan's: remembered here, it is not recomputed on every keystroke of the dialog.
                self._previewed_from = (now, self.session.assignment())
            return preview_text(self._previewed_from[1], after)

    def value_counts(self, column: str) -> list[tuple[str, int]]:
        """The values of a column with their account counts, most common first, for picking `in` lists."""
        table = self.session.engine.table
        if column not in table.columns:
            return []
        counts = table.get_column(column).cast(str).drop_nulls().value_counts(sort=True)
        return [(str(v), int(n)) for v, n in counts.head(200).iter_rows()]

    # -- history, pivots, files ------------------------------------------------------------

    def action_undo(self) -> None:
        self.submit(self.session.undo, "undone")

    def action_redo(self) -> None:
        self.submit(self.session.redo, "redone")

    def action_pin_baseline(self) -> None:
        self.submit(self.session.pin_baseline, "baseline pinned: changes now count from this plan")

    def action_pivot(self, axis: str) -> None:
        choices = self.dimensions()
        current = self.rows if axis == "rows" else self.cols
        other = self.cols if axis == "rows" else self.rows
        options = [d for d in choices if d != other]
        following = options[(options.index(current) + 1) % len(options)] if current in options else options[0]
        if axis == "rows":
            self.rows = following
        else:
            self.cols = following
        self.submit(None, f"{axis}: {following}")

    def dimensions(self) -> list[str]:
        """The plan's own dimensions, then every text column with few enough values to pivot on."""
        if self._dimensions is None:
            table = self.session.engine.table
            texts = [c for c, t in table.schema.items() if t in (pl.String, pl.Categorical) and c not in IDENTITY]
            few = [c for c in texts if table.get_column(c).n_unique() <= MAX_DIMENSION_VALUES]
            known = [d for d in EXTRA_DIMENSIONS if d in few]
            self._dimensions = list(PLAN_DIMENSIONS) + known + sorted(set(few) - set(known))
        return self._dimensions

    def action_measure(self) -> None:
        if "opportunity_amount" not in self.session.engine.table.columns and self.measure == "count":
            self.measure = "percent"
        else:
            self.measure = MEASURES[(MEASURES.index(self.measure) + 1) % len(MEASURES)]
        self.submit(None, f"measure: {self.measure}")

    @on(RulesTree.NodeSelected)
    def edit_selected(self) -> None:
        """Enter on a rule or a test edits it, as `e` does."""
        self.action_edit()

    @on(MatrixTable.CellSelected)
    def drill(self, event: MatrixTable.CellSelected) -> None:
        from abm_tui.tui.screens.drill import DrillScreen

        row, col = self.query_one(MatrixTable).cell_labels()
        self.app.push_screen(DrillScreen.of_cell(self.session, self.session.plan, self.rows, row, self.cols, col))

    def action_save(self, then: Callable[[], object] | None = None) -> None:
        if not self.writable:
            self.action_save_as()
            return
        self.submit(lambda: self._write(self.plan_path), f"saved {self.plan_path}", then)

    def _write(self, path: Path) -> None:
        save_plan(self.session.plan, path)
        self.session.mark_saved()
        autosave.clear(self.plan_path)

    def action_export(self) -> None:
        from abm_tui.outputs.run_files import RUN_FILES
        from abm_tui.plan.model import DESTINATIONS
        from abm_tui.plan.paths import input_paths
        from abm_tui.tui.modals import ChooseExport

        def check(text: str, chosen: tuple[str, ...]) -> str | None:
            folder = Path(text).expanduser()
            if not chosen:
                return "tick at least one file"
            if not text:
                return "expected a folder"
            if folder.exists() and not folder.is_dir():
                return f"{folder} is a file; expected a folder"
            inputs = input_paths(self.session.plan, self.plan_path)
            clashes = [folder / name for name in chosen if (folder / name).resolve() in inputs]
            return f"{clashes[0]} is an input of this plan" if clashes else None

        def chosen(answer: tuple[str, tuple[str, ...]] | None) -> None:
            if answer is None:
                return
            folder, picked = answer
            bar = self.query_one("#export-progress", ProgressBar)
            bar.update(total=None, progress=0)
            bar.display = True
            self.message = f"exporting {self.session.report.rows_kept:,} accounts to {folder} ..."
            self.update_status()
            run_files = tuple(name for name in picked if name in RUN_FILES)
            self.export(Path(folder).expanduser(), run_files, tuple(name for name in picked if name in DESTINATIONS))

        default = self.plan_path.resolve().parent / "exports" if self.writable else Path.cwd() / "exports"
        targets = self.session.plan.export.to
        choices = (*((name, name, True) for name in RUN_FILES),
                   *((name, DESTINATION_LABELS[name], name in targets) for name in DESTINATIONS))
        self.app.push_screen(ChooseExport(str(default), choices, check), chosen)

    @work(thread=True, group="export")
    def export(self, folder: Path, run_files: tuple[str, ...], destinations: tuple[str, ...]) -> None:
        """Run's files and the chosen CRM and ad-platform files, from the session's current plan (not the screen)."""
        from abm_tui.outputs.destinations import ExportContext
        from abm_tui.outputs.publish import publish

        try:
            with self.session.lock:
                self.post_message(ExportStep("building the assignments"))
                context = ExportContext.of(self.session, self.plan_path)
                matrix, report = self.session.matrix(), self.session.report
            published = publish(context, matrix, report, folder, self.plan_path, run_files, destinations,
                                progress=lambda name: self.post_message(ExportStep(f"writing {name}")))
            self.post_message(Exported([*published.files, published.manifest], None, published.warnings))
        except AbmError as err:
            self.post_message(Exported(None, str(err)))

    def action_movement(self) -> None:
        from abm_tui.tui.screens.movement import MovementScreen

        self.app.push_screen(MovementScreen(self.session))

    def action_review(self) -> None:
        from abm_tui.tui.screens.review import ReviewScreen

        self.app.push_screen(ReviewScreen(self.session.plan, self.plan_path))

    def action_load_report(self) -> None:
        from abm_tui.tui.modals import ShowText

        self.app.push_screen(ShowText("Load report", "\n".join(self.session.report.summary())))

    @on(ExportStep)
    def export_step(self, message: ExportStep) -> None:
        self.query_one("#export-progress", ProgressBar).advance(1)
        self.message = f"export: {message.step} ..."
        self.update_status()

    @on(Exported)
    def exported(self, message: Exported) -> None:
        self.query_one("#export-progress", ProgressBar).display = False
        if message.error:
            self.message = f"export failed: {message.error}"
            self.app.notify(message.error, title="Export failed", severity="error")
        else:
            written = message.written or []
            more = f" and {len(written) - 6} more" if len(written) > 6 else ""
            names = ", ".join(p.name for p in written[:6]) + more
            folder = written[0].parent if written else ""
            self.message = f"exported {names} to {folder}"
            self.app.notify(f"{names}\nin {folder}", title="Exported")
            for warning in message.warnings:
                self.app.notify(warning, title="Export warning", severity="warning", timeout=12)
        self.update_status()

    def action_save_as(self) -> None:
        from abm_tui.plan.paths import data_paths, relocated
        from abm_tui.tui.modals import AskText

        def check(text: str) -> str | None:
            path = Path(text).expanduser()
            if path.suffix != ".toml":
                return "expected a path ending in .toml"
            if path.is_dir():
                return f"{path} is a folder"
            if path.resolve() in data_paths(self.session.plan):
                return f"{path} is one of this plan's data files"
            return None

        def chosen(text: str | None) -> None:
            if text is None:
                return
            path = Path(text).expanduser().resolve()

            def write() -> None:
                save_plan(relocated(self.session.plan, path.parent), path)
                self.session.mark_saved()
                autosave.clear(self.plan_path)
                self.plan_path, self.writable = path, True

            self.submit(write, f"saved as {path}")

        default = self.plan_path if self.writable else Path.cwd() / "plan.toml"
        self.app.push_screen(AskText("Save the plan as", str(default), check), chosen)


def set_text(widget: Static, text: str) -> None:
    """Update only on change: every update repaints, and a new height re-lays the screen out."""
    if str(widget.render()) != text:
        widget.update(text)


