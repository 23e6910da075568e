"""The one thread that owns the workbench's Session (see `tui/workers.py`, point 4).

Edits arrive as frozen `EditRequest`s, queued in the order the keys were pressed; the thread takes
whatever has queued up (a burst: a held `-` key, a fast undo), applies every edit in order so the
history is exactly what the planner did, then measures the matrix once, for the burst's last request.
Anything else that needs the session is a query (`ask`) queued behind the edits, answered through a
future that a worker waits on in its own thread. Nothing else ever calls the session, so it needs no
lock, and the UI thread never waits for it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import polars as pl
from textual.message import Message

from abm_tui.engine.guidance import size_warnings
from abm_tui.engine.segment import MAX_DIMENSION_VALUES, Assignment, Matrix
from abm_tui.errors import AbmError, first_line
from abm_tui.history.movement import preview_text
from abm_tui.plan.dump import save_plan
from abm_tui.plan.model import Plan
from abm_tui.plan.paths import relocated
from abm_tui.session import Session
from abm_tui.tui.messages import EditApplied, MatrixMeasured, Measured, SessionState, WorkFailed
from abm_tui.tui.read_only import REFUSAL
from abm_tui.tui.widgets.matrix_table import MEASURE_COLUMN, MatrixView
from abm_tui.userstate import autosave

T = TypeVar("T")

PLAN_DIMENSIONS = ("tier", "stage", "bucket", "play")
EXTRA_DIMENSIONS = ("top_intent_theme", "industry", "region", "funding_stage", "crm_stage", "owner", "country")
IDENTITY = ("account_id", "name", "domain")
# What a plan that loads can still raise while segmenting its data (a sql rule's cast that fails on
# the values, a number too big for the column): said as a problem of the plan, never as a traceback.
SEGMENT_ERRORS = (pl.exceptions.PolarsError, ArithmeticError, ValueError)


class Step(StrEnum):
    """What an edit request does to the session."""

    APPLY = "apply"  # make `plan` current
    UNDO = "undo"
    REDO = "redo"
    PIN = "pin"  # the current plan becomes the baseline the matrix compares with
    SAVE = "save"  # write the current plan to `path` (rewritten for its folder when `relocate`)
    MEASURE = "measure"  # change nothing, measure again (a pivot, another measure)


CHANGES = frozenset({Step.APPLY, Step.UNDO, Step.REDO, Step.SAVE})  # what a read-only session refuses


@dataclass(frozen=True)
class MatrixRequest:
    """The matrix the screen shows: its rows, columns and measure."""

    rows: str = "tier"
    cols: str = "stage"
    measure: str = "count"


@dataclass(frozen=True)
class EditRequest:
    """One change, captured on the UI thread with everything the session thread needs for it."""

    token: int
    step: Step
    view: MatrixRequest
    autosave_for: Path  # the plan file whose autosave follows the change
    note: str = ""
    plan: Plan | None = None  # APPLY
    path: Path | None = None  # SAVE
    relocate: bool = False  # SAVE as another file: its data paths rewritten for the new folder


@dataclass(frozen=True)
class _Query:
    run: Callable[[Session], Any]
    future: Future[Any]


_STOP = object()


def segment_failure(plan: Plan, err: BaseException) -> str:
    return f"{plan.source}: the plan loads but cannot be segmented: {first_line(err)}"


def dimensions(table: pl.DataFrame) -> tuple[str, ...]:
    """The plan's own dimensions, then every text column with few enough values to pivot on."""
    texts = [c for c, t in table.schema.items() if t in (pl.String, pl.Categorical) and c not in IDENTITY]
    few = [c for c in texts if table.get_column(c).n_unique() <= MAX_DIMENSION_VALUES]
    known = [d for d in EXTRA_DIMENSIONS if d in few]
    return (*PLAN_DIMENSIONS, *known, *sorted(set(few) - set(known)))


def state_of(session: Session, pivots: tuple[str, ...] | None = None) -> SessionState:
    """The session as the screens show it; `pivots` reuses the dimensions while the table is the same."""
    table = session.engine.table
    return SessionState(session.plan, session.saved, session.report, session.as_of,
                        pivots if pivots is not None else dimensions(table), "opportunity_amount" in table.columns)


class SessionThread:
    """The consumer of edits and queries for one session; `start` it with where its answers go."""

    def __init__(self, session: Session, state: SessionState, *, read_only: bool = False) -> None:
        """Made on the thread that opened the session (the load worker); from `start` on, only this one.
        `read_only` refuses every step that changes or writes the plan (`tui/read_only.py`)."""
        self._session = session
        self._read_only = read_only
        self._state = state
        self._table = session.engine.table  # the table `state.dimensions` were counted on
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._pending = 0
        self._count = threading.Lock()  # guards `_pending` and `_stopped` only, held for an increment
        self._stopped = False
        self._idle = threading.Event()
        self._idle.set()
        self._baseline: tuple[tuple[object, ...], Matrix | None] | None = None
        self._autosave_said = False
        self._previewed_from: tuple[Plan, Assignment] | None = None  # what an edit preview compares against
        self._post: Callable[[Message], object] = lambda message: None
        self._thread = threading.Thread(target=self._run, name="abm-session", daemon=True)

    @property
    def session(self) -> Session:
        """The session itself, for a test or a notebook to read once `wait_idle` says nothing is queued."""
        return self._session

    def start(self, post: Callable[[Message], object]) -> None:
        self._post = post
        self._thread.start()

    def stop(self) -> None:
        """Finish what is queued, then end the thread; anything asked later is cancelled."""
        self._put(_STOP)

    def edit(self, request: EditRequest) -> None:
        self._put(request)

    def ask(self, run: Callable[[Session], T]) -> Future[T]:
        """Run `run(session)` on the session thread after the edits queued so far; wait on the future
        from a worker, never from the UI thread."""
        future: Future[T] = Future()
        self._put(_Query(run, future))
        return future

    def preview(self, plan: Plan) -> Future[str]:
        """Which accounts `plan` would move against the plan now, for a dialog to show before it is applied."""
        return self.ask(lambda session: self._moves(session, plan))

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Whether everything queued has been done (and its answer posted) within `timeout`."""
        return self._idle.wait(timeout)

    # -- on the session thread -----------------------------------------------------------------

    def _put(self, item: object) -> None:
        """Queue `item`; once stopped, nothing more is taken (a query's future is cancelled, never left waiting)."""
        with self._count:
            if self._stopped:
                if isinstance(item, _Query):
                    item.future.cancel()
                return
            self._stopped = item is _STOP
            self._pending += 1
            self._idle.clear()
            self._queue.put(item)

    def _done(self, count: int) -> None:
        with self._count:
            self._pending -= count
            if self._pending == 0:
                self._idle.set()

    def _run(self) -> None:
        while True:
            burst = [self._queue.get()]
            while True:
                try:
                    burst.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = self._burst(burst)
            self._done(len(burst))
            if stop:
                return

    def _burst(self, burst: list[object]) -> bool:
        """Every item in order, then one measurement for the last edit; True once asked to stop."""
        last: EditRequest | None = None
        for item in burst:
            if item is _STOP:
                return True  # always the last item: `_put` takes nothing after it
            if isinstance(item, _Query):
                self._answer(item)
            elif isinstance(item, EditRequest):
                self._guarded(f"the {item.step} edit", partial(self._edit, item))
                last = item
        if last is not None:
            self._guarded("measuring the matrix", partial(self._measured, last))
        return False

    def _guarded(self, description: str, run: Callable[[], object]) -> None:
        """A bug in one edit is said like a failed worker's; the thread goes on with the next."""
        try:
            run()
        except Exception as err:  # noqa: BLE001 - the thread must outlive any one request
            self._post(WorkFailed(description, err))

    def _answer(self, query: _Query) -> None:
        if not query.future.set_running_or_notify_cancel():
            return
        try:
            query.future.set_result(query.run(self._session))
        except BaseException as err:  # noqa: BLE001 - the waiting worker re-raises it
            query.future.set_exception(err)

    def _moves(self, session: Session, plan: Plan) -> str:
        after = session.preview(plan)
        if after is None:
            problems = session.problems(plan)
            if problems:
                return "; ".join(str(p) for p in problems)
            return ("this change reloads the data or recomputes the engagement features: the matrix shows "
                    "its effect once applied")
        now = session.plan
        if self._previewed_from is None or self._previewed_from[0] is not now:
            # The engine keeps one assignment per rule set, and the preview just replaced the current
            # plan's: remembered here, it is not recomputed on every keystroke of the dialog.
            self._previewed_from = (now, session.assignment())
        return preview_text(self._previewed_from[1], after)

    def _edit(self, request: EditRequest) -> None:
        note, refused, saved_to = request.note, None, None
        try:
            said = self._change(request)
        except AbmError as err:
            refused = str(err)
        else:
            note = f"{note} · {said}" if note and said else note or said
            saved_to = request.path if request.step is Step.SAVE else None
        problem = None
        if refused is None and request.step in (Step.APPLY, Step.UNDO, Step.REDO):
            problem = autosave.write(request.autosave_for, self._session.plan)
        told = None
        if problem is not None and not self._autosave_said:
            self._autosave_said, told = True, f"{problem}: changes are not autosaved; save with ctrl+s"
        table = self._session.engine.table
        self._state = state_of(self._session, self._state.dimensions if table is self._table else None)
        self._table = table
        self._post(EditApplied(request.token, self._state, note, refused, saved_to, told))

    def _change(self, request: EditRequest) -> str:
        """Apply one request; says what it moved when it can. A plan that fails while segmenting is
        refused and the session steps back to the plan before it."""
        session = self._session
        if self._read_only and request.step in CHANGES:
            raise AbmError(REFUSAL)
        match request.step:
            case Step.APPLY:
                assert request.plan is not None
                return self._apply(request.plan)
            case Step.UNDO:
                session.undo()
            case Step.REDO:
                session.redo()
            case Step.PIN:
                session.pin_baseline()
            case Step.SAVE:
                assert request.path is not None
                plan = relocated(session.plan, request.path.parent) if request.relocate else session.plan
                save_plan(plan, request.path)
                session.mark_saved()
                autosave.clear(request.autosave_for)
            case Step.MEASURE:
                pass
        return ""

    def _apply(self, plan: Plan) -> str:
        session = self._session
        try:
            before = session.assignment()
        except SEGMENT_ERRORS:
            before = None  # the plan now does not segment: the new one may fix it
        try:
            after = session.apply(plan)
        except SEGMENT_ERRORS as err:
            if session.plan is plan:
                session.undo()
            raise AbmError(segment_failure(plan, err)) from err
        return "" if before is None else preview_text(before, after).replace("moves", "moved", 1)

    def _measured(self, request: EditRequest) -> None:
        plan = self._session.plan
        try:
            measured = self._measure(request.view)
        except SEGMENT_ERRORS as err:
            self._post(MatrixMeasured(request.token, None, segment_failure(plan, err)))
            return
        self._post(MatrixMeasured(request.token, measured, None))

    def _measure(self, view: MatrixRequest) -> Measured:
        session = self._session
        column = MEASURE_COLUMN[view.measure]
        current = session.matrix(view.rows, view.cols, column)
        key = (session.baseline, view.rows, view.cols, view.measure)
        if self._baseline is None or self._baseline[0] != key:
            self._baseline = (key, self._baseline_matrix(view))
            session.matrix(view.rows, view.cols, plan=session.plan)  # keep the engine's memo on the current plan
        tiers = current if (view.rows, view.cols, view.measure) == ("tier", "stage", "count") else session.matrix()
        return Measured(MatrixView(current, self._baseline[1], view.measure), tuple(size_warnings(session.plan, tiers)))

    def _baseline_matrix(self, view: MatrixRequest) -> Matrix | None:
        """The baseline's matrix; None when the baseline itself does not segment (the plan as opened failed,
        the planner has fixed it since): the matrix then shows no change column."""
        session = self._session
        try:
            return session.matrix(view.rows, view.cols, MEASURE_COLUMN[view.measure], plan=session.baseline)
        except SEGMENT_ERRORS:
            return None
