"""Every answer a worker or the session thread gives the screens, as dataclass messages.

Each answer carries the token of the request it answers (see `tui/workers.py`), so the handler can
drop it when a newer request has been made since. The data they carry is frozen: the UI thread only
reads it, it never reaches back into the session or the worker. A message that carries a type of
one screen's own (the drill-down's view, the account's detail) is declared beside that screen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

from abm_tui.errors import Problem
from abm_tui.ingest.load import LoadReport
from abm_tui.plan.model import Plan
from abm_tui.tui.widgets.matrix_table import MatrixView

if TYPE_CHECKING:
    from abm_tui.tui.session_thread import SessionThread


@dataclass(frozen=True)
class SessionState:
    """What the screens show about the session, read on its own thread after each change."""

    plan: Plan
    saved: Plan
    report: LoadReport
    as_of: dt.date
    dimensions: tuple[str, ...]  # what the matrix can pivot on: the plan's own, then few-valued text columns
    has_pipeline: bool  # the accounts carry opportunity_amount, so the matrix can sum it
    problems: tuple[Problem, ...] = ()  # what is wrong with the plan against its data; () once it segments
    columns: tuple[tuple[str, str], ...] = ()  # the data's columns and their kinds, for a fix to pick from

    @property
    def dirty(self) -> bool:
        return self.plan != self.saved


@dataclass(frozen=True)
class Measured:
    """The matrix as asked for, against the baseline, and the plan's size warnings."""

    matrix: MatrixView
    warnings: tuple[str, ...]
    passed: tuple[tuple[str, int, int], ...] = ()  # per limited tier: its name, the accounts that pass, those kept


# -- opening ---------------------------------------------------------------------------------


@dataclass
class Progress(Message):
    """A step of opening the plan ("reading accounts.csv")."""

    step: str


@dataclass
class SessionReady(Message):
    """The plan opened: the thread that now owns the session, and the session's first state."""

    sessions: SessionThread
    state: SessionState


@dataclass
class SessionFailed(Message):
    """The plan did not open: why, in one message naming the file."""

    error: str


# -- the session thread ------------------------------------------------------------------------


@dataclass
class EditApplied(Message):
    """Edit `token` has been applied (or refused); the session's state after it."""

    token: int
    state: SessionState
    note: str
    refused: str | None
    saved_to: Path | None  # a save that landed: where the plan now lives
    autosave_problem: str | None  # said once: autosave cannot write, work goes on


@dataclass
class MatrixMeasured(Message):
    """The matrix after a burst of edits, whose last edit was `token`; or why it could not be segmented."""

    token: int
    measured: Measured | None
    problem: str | None
    problems: tuple[Problem, ...] = ()  # the plan's own, each at its key path, while it does not fit the data


@dataclass
class WorkFailed(Message):
    """Work on the session thread that failed unexpectedly: said by the App like any failed worker."""

    description: str
    error: BaseException


# -- the workbench's other workers ---------------------------------------------------------------


@dataclass
class ValuesCounted(Message):
    """The values of a column with their account counts, most common first, for picking an `in` list."""

    token: int
    options: list[tuple[str, int]]


@dataclass
class ExportStep(Message):
    token: int
    step: str


@dataclass
class Exported(Message):
    """An export finished: the files written, or why none were."""

    token: int
    written: tuple[Path, ...]
    error: str | None
    warnings: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()  # the choices the planner left unticked, by their labels
