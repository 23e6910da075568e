"""What a rule builder shows about the data: each column's kind, fill rate and a few values, a column's
values with their account counts, and which plays the accounts of one matrix cell get.

These run on the session thread (never the UI's); each is one pass over a column at most, so they stay
well under the workbench's 100 ms at a million accounts.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
import polars as pl

from abm_tui.engine.segment import Assignment, Engine
from abm_tui.plan.model import NO_PLAY
from abm_tui.plan.validate import column_kind

EXAMPLES = 3
SAMPLE = 2_000  # the rows examples are drawn from: the first values seen, not a scan of the column


@dataclass(frozen=True)
class ColumnProfile:
    """A column as the picker lists it: `kind` is validate's word (numbers, text, lists, dates, ...)."""

    name: str
    kind: str
    fill: float  # the share of accounts with a value
    examples: tuple[str, ...]


def profiles(frame: pl.DataFrame, extra: dict[str, pl.DataType] | None = None) -> tuple[ColumnProfile, ...]:
    """Every column of `frame`, then `extra` (columns the plan derives, such as fit_score, which a later
    section may read), in the frame's order."""
    rows = max(frame.height, 1)
    head = frame.head(SAMPLE)
    found = []
    for name, dtype in frame.schema.items():
        sample = head.get_column(name).drop_nulls()
        if isinstance(dtype, pl.List):
            sample = sample.explode().drop_nulls()
        shown = sample.cast(pl.String).unique(maintain_order=True).head(EXAMPLES).to_list()
        found.append(ColumnProfile(name, column_kind(dtype), 1 - frame.get_column(name).null_count() / rows,
                                   tuple(shown)))
    for name, dtype in (extra or {}).items():
        if name not in frame.schema:
            found.append(ColumnProfile(name, column_kind(dtype), 1.0, ()))
    return tuple(found)


def value_counts(frame: pl.DataFrame, column: str, limit: int = 200) -> list[tuple[str, int]]:
    """The values of a column with their account counts, most common first; a list column's elements
    (an account counted once per time its list names one: ingest keeps lists as the file had them, and
    deduplicating each account's list first costs seconds at a million accounts).

    Counted on the values, then written as text (casting a million numbers to text first costs five
    times as much), and kept per frame: picking values from the same column again is instant."""
    if column not in frame.columns:
        return []
    if id(frame) not in _COUNTS:  # a frame is not hashable: kept by id, and forgotten when it is collected
        _COUNTS[id(frame)] = {}
        weakref.finalize(frame, _COUNTS.pop, id(frame), None)
    cached = _COUNTS[id(frame)]
    if (column, limit) not in cached:
        values = frame.get_column(column)
        if isinstance(values.dtype, pl.List):
            values = values.explode()
        counts = values.drop_nulls().value_counts(sort=True).head(limit)
        cached[column, limit] = [(str(v), int(n)) for v, n in counts.iter_rows()]
    return cached[column, limit]


_COUNTS: dict[int, dict[tuple[str, int], list[tuple[str, int]]]] = {}


@dataclass(frozen=True)
class CellPlays:
    """The plays the accounts of a matrix cell get (most accounts first), and how many accounts of the
    whole plan get no play."""

    plays: tuple[tuple[str, int], ...]
    no_play: int
    accounts: int


def cell_plays(engine: Engine, assignment: Assignment, rows: str, row: str | None, cols: str,
               col: str | None) -> CellPlays:
    """`row` or `col` None is that axis's total."""
    mask = np.ones(assignment.size, dtype=bool)
    for dim, label in ((rows, row), (cols, col)):
        if label is not None:
            codes, labels = engine.dimension(assignment, dim)
            mask &= codes == (labels.index(label) if label in labels else -1)
    counts = np.bincount(assignment.play[mask], minlength=len(assignment.play_labels))
    order = np.argsort(-counts, kind="stable")
    plays = tuple((assignment.play_labels[i], int(counts[i])) for i in order if counts[i])
    none = assignment.play_labels.index(NO_PLAY) if NO_PLAY in assignment.play_labels else -1
    no_play = int(np.count_nonzero(assignment.play == none)) if none >= 0 else 0
    return CellPlays(plays, no_play, assignment.size)
