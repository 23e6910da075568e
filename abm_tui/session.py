"""The working state behind the CLI, the workbench and notebooks: data, features, engine and plan history.

Work is split by what a plan change touches. A change of `[data]` reloads files; a change of
`as_of`, the windows or the half-lives recomputes the channel counts; anything else (weights, criteria, rules,
plays) goes to the engine, which recomputes only the rules that changed.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import polars as pl

from abm_tui.engine import features
from abm_tui.engine.assignments import assignments_frame
from abm_tui.engine.committee import assign_personas, plan_personas, with_committee
from abm_tui.engine.explain import explain_account
from abm_tui.engine.segment import Assignment, Engine, Matrix
from abm_tui.errors import AbmError, PlanError, Problem
from abm_tui.ingest.contacts import load_contacts
from abm_tui.ingest.load import (
    KEY_COLUMNS,
    Accounts,
    LoadReport,
    aggregated_engagement,
    load_accounts,
    load_events,
    usable,
)
from abm_tui.ingest.matching import match_events
from abm_tui.ingest.titles import from_plan
from abm_tui.plan.model import Plan
from abm_tui.plan.parse import load_plan
from abm_tui.plan.validate import check_plan


@dataclass(frozen=True)
class Dataset:
    """The planner's files as loaded: accounts, optional events, and what happened on the way in.

    Events carry `_row`, their account's row in `accounts`, in place of the account_id text.
    """

    accounts: pl.DataFrame
    events: pl.DataFrame | None
    report: LoadReport
    contacts: pl.DataFrame | None = None  # one row per matched contact, `_row` its account's row


def data_key(plan: Plan) -> tuple[object, ...]:
    return (plan.resolve(plan.data.accounts), plan.data.engagement and plan.resolve(plan.data.engagement),
            plan.data.columns, plan.data.preset, plan.data.contacts and plan.resolve(plan.data.contacts),
            plan.data.contact_columns, plan.titles)


def _quiet(_: str) -> None:
    """The default progress: say nothing."""


def load_dataset(plan: Plan, progress: Callable[[str], None] = _quiet) -> Dataset:
    """The files, with each event and contact tied to its account's row (`_row`); those for unknown ids are counted."""
    progress(f"reading {plan.data.accounts}")
    accounts = load_accounts(plan.resolve(plan.data.accounts), plan.data.columns, plan.data.preset, plan.data.sheet)
    contacts = None
    if plan.data.contacts:
        progress(f"reading {plan.data.contacts}")
        contacts = load_contacts(plan.resolve(plan.data.contacts), accounts.frame, plan.data.contact_columns,
                                 title_rules=from_plan(plan.titles))
        accounts = replace(accounts, report=replace(accounts.report, contact_lines=tuple(contacts.report.summary())))
    dataset = _with_events(plan, accounts, progress)
    return replace(dataset, contacts=None if contacts is None else contacts.frame)


def _with_events(plan: Plan, accounts: Accounts, progress: Callable[[str], None]) -> Dataset:
    report = accounts.report
    if not plan.data.engagement:
        own, notes = aggregated_engagement(accounts.frame, plan.as_of or dt.date.today())
        if own is not None:
            report = replace(report, events_file=f"{plan.data.accounts} (engagement columns)",
                             events_read=own.height, events_notes=notes)
        return Dataset(accounts.frame, own, report)
    events_path = plan.resolve(plan.data.engagement)
    progress(f"reading {plan.data.engagement}")
    events = load_events(events_path)
    progress("matching engagement to accounts")
    matched, match = match_events(accounts.frame, events.frame, events.first_row)
    kept = matched.filter(usable()).drop(*KEY_COLUMNS, "_line", strict=False)
    report = replace(
        report,
        events_file=str(events_path),
        events_read=events.frame.height,
        events_dropped=matched.height - kept.height,
        events_notes=events.notes,
        match=match,
    )
    return Dataset(accounts.frame, kept, report)


@dataclass(frozen=True)
class Workspace:
    """A dataset with the features of one as-of date and pair of windows: what an Engine segments."""

    dataset: Dataset
    as_of: dt.date
    channels: tuple[str, ...] | None
    table: pl.DataFrame
    report: LoadReport


def build_workspace(dataset: Dataset, plan: Plan, progress: Callable[[str], None] = _quiet) -> Workspace:
    events = dataset.events
    as_of = features.resolve_as_of(plan.as_of, events)
    if events is None:
        return Workspace(dataset, as_of, None, _with_committee(dataset, plan, dataset.accounts), dataset.report)
    progress(f"computing engagement features for {dataset.accounts.height:,} accounts")
    channels = features.channels_in(events, plan.data.engagement or plan.data.accounts)
    dense = features.account_features(
        events, events.get_column("_row").to_numpy(), dataset.accounts.height, channels, as_of,
        plan.engagement.recent_days, plan.engagement.window_days, plan.engagement.half_life_days,
    )
    half_lives = plan.engagement.half_life_days
    table = _with_committee(dataset, plan, features.with_features(dataset.accounts, dense, channels, half_lives,
                                                                  plan.data.accounts))
    late = events.filter(pl.col("date") > as_of).height
    return Workspace(dataset, as_of, channels, table, replace(dataset.report, events_after_as_of=late))


def _with_committee(dataset: Dataset, plan: Plan, table: pl.DataFrame) -> pl.DataFrame:
    """The table with the committee columns beside it when the plan names a contacts file."""
    if dataset.contacts is None:
        return table
    return with_committee(table, dataset.contacts, plan_personas(plan), plan.data.accounts)


def _features_key(plan: Plan) -> tuple[object, ...]:
    e = plan.engagement
    return (plan.as_of, e.recent_days, e.window_days, e.half_life_days, plan.personas)


class Session:
    """One plan being worked on: apply a changed plan, undo, redo, read assignments and matrices.

    ```python
    from abm_tui import Session, edits
    session = Session.open("plan.toml")
    session.apply(edits.set_test(session.plan, "tiers", 0, "fit_score", "min", 70))
    session.matrix().to_frame()
    ```
    """

    def __init__(self, plan: Plan, workspace: Workspace, *, allow_problems: bool = False) -> None:
        """`allow_problems`: open a plan that does not fit its data (the workbench lists and fixes them);
        otherwise its problems are raised as one PlanError."""
        self._workspace = workspace
        self._engine = Engine(workspace.table, workspace.channels)
        self._checked: dict = {}  # per-rule validation results for one engine's data (see problems)
        self._checked_for: tuple[Engine, pl.Schema] | None = None
        self._problems = tuple(self.problems(plan))  # the current plan's, () once it fits the data
        if self._problems and not allow_problems:
            raise PlanError(plan.source, list(self._problems))
        self._history: list[Plan] = [plan]
        self._position = 0
        self.baseline = plan
        self.saved = plan

    @classmethod
    def open(cls, plan: Plan | str | Path, progress: Callable[[str], None] = _quiet, *,
             allow_problems: bool = False) -> Session:
        """Load the plan's data and compute its features: the slow step, done once.

        `progress` hears each step ("reading accounts.csv", ...) so a screen can show it; `allow_problems`
        opens a plan whose rules do not fit the data, to be fixed with `amend`.
        """
        if not isinstance(plan, Plan):
            plan = load_plan(plan)
        workspace = build_workspace(load_dataset(plan, progress), plan, progress)
        progress("segmenting")
        return cls(plan, workspace, allow_problems=allow_problems)

    # -- state -----------------------------------------------------------------------------

    @property
    def plan(self) -> Plan:
        return self._history[self._position]

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def workspace(self) -> Workspace:
        return self._workspace

    @property
    def report(self) -> LoadReport:
        return self._workspace.report

    @property
    def as_of(self) -> dt.date:
        return self._workspace.as_of

    @property
    def dirty(self) -> bool:
        return self.plan != self.saved

    @property
    def can_undo(self) -> bool:
        return self._position > 0

    @property
    def can_redo(self) -> bool:
        return self._position < len(self._history) - 1

    @property
    def current_problems(self) -> tuple[Problem, ...]:
        """What is wrong with the current plan against its data; () when it segments."""
        return self._problems

    def problems(self, plan: Plan | None = None) -> list[Problem]:
        plan = plan or self.plan
        frame = self._engine.frame(plan)
        if self._checked_for != (self._engine, frame.schema):  # sql rules are run on the data: new data, new checks
            self._checked, self._checked_for = {}, (self._engine, frame.schema)
        missing = set() if self._workspace.channels else set(
            features.feature_names(features.CHANNELS, plan.engagement.half_life_days))
        return check_plan(plan, frame.schema, missing, self._checked, frame)

    def check(self, plan: Plan) -> None:
        problems = self.problems(plan)
        if problems:
            raise PlanError(plan.source, problems)

    # -- changes ---------------------------------------------------------------------------

    def apply(self, plan: Plan) -> Assignment:
        """Make `plan` current (dropping any redo branch) and segment with it.

        A plan with problems is refused with a PlanError and the session stays as it was.
        """
        self._push(plan, Counter())
        return self.assignment()

    def amend(self, plan: Plan) -> Assignment | None:
        """As `apply`, for a current plan that has problems: `plan` may keep them, one at a time fixed, but may
        bring no new one. Its assignment, or None while problems remain."""
        self._push(plan, Counter(p.message for p in self._problems))
        return None if self._problems else self.assignment()

    def _push(self, plan: Plan, tolerated: Counter[str]) -> None:
        self._adopt(plan, tolerated)
        del self._history[self._position + 1 :]
        self._history.append(plan)
        self._position += 1

    def undo(self) -> Plan:
        if not self.can_undo:
            raise AbmError("nothing to undo")
        self._adopt(self._history[self._position - 1])
        self._position -= 1
        return self.plan

    def redo(self) -> Plan:
        if not self.can_redo:
            raise AbmError("nothing to redo")
        self._adopt(self._history[self._position + 1])
        self._position += 1
        return self.plan

    def mark_saved(self, plan: Plan | None = None) -> None:
        self.saved = plan or self.plan

    def pin_baseline(self) -> None:
        self.baseline = self.plan

    def since_baseline(self) -> tuple[Plan, ...]:
        """The plans from the baseline to the current one, step by step along the history (back, after an undo past
        the pin): what a rule became, through renames and edits one at a time."""
        at = next((i for i, plan in enumerate(self._history) if plan is self.baseline), None)
        if at is None:
            return (self.baseline, self.plan)
        if at <= self._position:
            return tuple(self._history[at : self._position + 1])
        return tuple(reversed(self._history[self._position : at + 1]))

    def relocate(self, folder: Path) -> None:
        """The plan was saved as a file in `folder`: every plan of the history, the baseline and the saved one
        name the data files from there, so the next save, the autosave and undo read the same files (the data
        is the same, so nothing reloads)."""
        from abm_tui.plan.paths import relocated

        moved: dict[int, Plan] = {}

        def move(plan: Plan) -> Plan:
            return moved.setdefault(id(plan), relocated(plan, folder))

        self._history = [move(plan) for plan in self._history]
        self.baseline, self.saved = move(self.baseline), move(self.saved)

    def _adopt(self, plan: Plan, tolerated: Counter[str] | None = None) -> None:
        """Rebuild only what the change touches; on any problem beyond the `tolerated` ones (by message, so a
        broken rule that moves stays the same problem) keep the current state. None tolerates any: undo and
        redo go back to plans the session took before."""
        current = self._workspace
        if data_key(plan) != data_key(self.plan):
            current = build_workspace(load_dataset(plan), plan)
        elif _features_key(plan) != _features_key(self.plan):
            current = build_workspace(current.dataset, plan)
        engine = self._engine if current is self._workspace else Engine(current.table, current.channels)
        previous = (self._workspace, self._engine)
        self._workspace, self._engine = current, engine
        try:
            problems = self.problems(plan)
        except AbmError:
            self._workspace, self._engine = previous
            raise
        if tolerated is not None and (new := _beyond(problems, tolerated)):
            self._workspace, self._engine = previous
            raise PlanError(plan.source, new)
        self._problems = tuple(problems)

    def new_problems(self, plan: Plan) -> list[Problem]:
        """The problems `plan` would bring beyond the current plan's, which is what `amend` refuses: a dialog
        on a plan that is still being fixed checks its change with this, not with every problem."""
        return _beyond(self.problems(plan), Counter(p.message for p in self._problems))

    # -- results ---------------------------------------------------------------------------

    def assignment(self, plan: Plan | None = None) -> Assignment:
        return self._engine.assign(plan or self.plan)

    def preview(self, plan: Plan) -> Assignment | None:
        """The assignment `plan` would give, leaving the session as it is: what an edit dialog shows while
        the planner types. None when the plan has problems or needs other data or features (a reload)."""
        if data_key(plan) != data_key(self.plan) or _features_key(plan) != _features_key(self.plan):
            return None
        if self.problems(plan):
            return None
        return self._engine.assign(plan)

    def matrix(self, rows: str = "tier", cols: str = "stage", measure: str | None = None,
               plan: Plan | None = None) -> Matrix:
        return self._engine.matrix(self.assignment(plan), rows, cols, measure, plan or self.plan)

    def assignments(self, plan: Plan | None = None) -> pl.DataFrame:
        """One row per account with its segment, play and the reason, as `run` exports it."""
        plan = plan or self.plan
        return assignments_frame(self._engine, plan, self.assignment(plan))

    def contacts(self, plan: Plan | None = None) -> pl.DataFrame | None:
        """The matched contacts, each with its `persona` under `plan` (`_row` its account's row), for the contact
        exports; None when the plan names no contacts file."""
        people = self._workspace.dataset.contacts
        if people is None:
            return None
        return people.with_columns(assign_personas(people, plan_personas(plan or self.plan)))

    def cell_accounts(self, rows: str, row: str | None, cols: str, col: str | None,
                      plan: Plan | None = None, *, first: int | None = None) -> pl.DataFrame:
        """The accounts behind one matrix cell (None for a row's or column's total), as `assignments()`, then each
        account's own columns (industry, annual_revenue, owner, ...) that the assignment does not repeat.

        `first` builds only that many, in input order: the drill-down's first page, shown while the rest is built.
        """
        plan = plan or self.plan
        positions = self.cell_positions(rows, row, cols, col, plan)
        if first is not None:
            positions = positions[:first]
        frame = assignments_frame(self._engine, plan, self.assignment(plan), positions)
        table = self._engine.frame(plan)
        own = [c for c in table.columns if c not in frame.columns]
        return frame.hstack(table.select(own)[positions].get_columns())

    def cell_positions(self, rows: str, row: str | None, cols: str, col: str | None,
                       plan: Plan | None = None) -> np.ndarray:
        """The positions of one matrix cell's accounts, in input order."""
        assignment = self.assignment(plan or self.plan)
        keep = np.ones(assignment.size, dtype=bool)
        for dim, label in ((rows, row), (cols, col)):
            if label is not None:
                codes, labels = self._engine.dimension(assignment, dim)
                if label not in labels:
                    raise AbmError(f"{dim} has no value {label!r}")
                keep &= codes == labels.index(label)
        return np.flatnonzero(keep)

    def accounts(self, account_ids: Sequence[str], plan: Plan | None = None) -> pl.DataFrame:
        """The accounts with these ids, as `assignments()`, in the order given (a list drilled from the ICP
        screen: lookalikes most points first); ids not in the data are left out."""
        plan = plan or self.plan
        ids = self._engine.frame(plan).get_column("account_id")
        wanted = pl.DataFrame({"account_id": list(account_ids)}, schema={"account_id": ids.dtype})
        rows = wanted.join(ids.to_frame().with_row_index("_row"), on="account_id", how="inner",
                           maintain_order="left").get_column("_row").to_numpy()
        return assignments_frame(self._engine, plan, self.assignment(plan), rows)

    def check_publishable(self) -> None:
        """A scheduled run must fail loudly rather than publish empty or unengaged segments: refuse a load that
        kept no account, or whose engagement rows matched none of the accounts."""
        report = self.report
        if not report.rows_kept:
            raise AbmError(
                f"{report.accounts_file}: no account kept: all {report.rows_read:,} rows have a blank account_id; "
                'expected an id on every row, or map the id column with [data.columns] account_id = "<header>"'
            )
        match = report.match
        if match is not None and match.rows and not match.matched:
            raise AbmError(
                f"{report.events_file}: none of its {match.rows:,} engagement rows matched an account; expected "
                f"them to name accounts of {report.accounts_file} by account_id, domain or company name"
            )

    def explain(self, account_id: str) -> str:
        source = self.report.accounts_file
        return explain_account(self.engine, self.plan, self.assignment(), self.as_of, source, account_id,
                               self.workspace.dataset.contacts)


def _beyond(problems: list[Problem], tolerated: Counter[str]) -> list[Problem]:
    """The problems not among the `tolerated` ones, by message: a broken rule that moves stays the same problem."""
    new = Counter(p.message for p in problems) - tolerated
    return [p for p in problems if p.message in new]
