"""The workbench's matrix arranged for reading, and its baseline matched to it cell by cell.

The contract's matrix (`matrix` on the command line, `run`'s matrix.csv) follows plan order, which for
stages is first-match order: the furthest stage first, since an account at Selecting also meets Aware's
test. A planner reads a funnel left to right, so the workbench shows stages reversed, Identified ->
Aware -> ... -> Closed, and hides a fallback column or row (Unstaged, Not target, ...) that is empty now
and was empty under the baseline. The rules pane keeps first-match order, the order that decides.

The baseline is matched to the current matrix by rule, not by position: a reordered or renamed rule is
the same row or column (`plan.changes.same_rules`), so its change against the baseline stays visible.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from abm_tui.engine.segment import Matrix
from abm_tui.plan.changes import same_rules
from abm_tui.plan.model import NO_PLAY, NOT_TARGET, UNCLASSIFIED, UNSTAGED, Plan

FALLBACKS = frozenset((NOT_TARGET, UNSTAGED, UNCLASSIFIED, NO_PLAY))
PLAN_DIMENSIONS = ("tier", "stage", "bucket", "play")


def funnel(labels: tuple[str, ...]) -> tuple[str, ...]:
    """Stage labels in funnel order: the stages reversed, the fallback (Unstaged) still last."""
    return (*reversed(labels[:-1]), labels[-1]) if labels else labels


def aligned(base: Matrix, current: Matrix, path: Sequence[Plan]) -> Matrix | None:
    """The baseline's values under the current matrix's labels, each rule matched to itself across reorders and
    renames along `path` (the plans from the baseline to the current one); a rule new since the baseline had no
    accounts. None when a rule the baseline had is gone with accounts in it: those accounts have no cell to be
    compared in, and the totals would not add up."""
    if (base.row_dim, base.col_dim) != (current.row_dim, current.col_dim):
        return None
    rows = _positions(base.rows, current.rows, renames(path, base.row_dim, base.rows))
    cols = _positions(base.cols, current.cols, renames(path, base.col_dim, base.cols))
    if base.values[rows < 0, :].any() or base.values[:, cols < 0].any():
        return None
    values = np.zeros_like(current.values)
    values[np.ix_(rows[rows >= 0], cols[cols >= 0])] = base.values[np.ix_(rows >= 0, cols >= 0)]
    return Matrix(current.row_dim, current.col_dim, current.rows, current.cols, values, current.measure)


def arranged(current: Matrix, base: Matrix | None, path: Sequence[Plan]) -> tuple[Matrix, Matrix | None]:
    """The current matrix and its matched baseline, stages in funnel order, empty fallbacks hidden."""
    shown = _reordered(current)
    matched = None if base is None else aligned(base, shown, path)
    before = np.zeros_like(shown.values) if matched is None else matched.values
    keep_rows = _kept(shown.rows, (shown.values != 0).any(axis=1) | (before != 0).any(axis=1))
    keep_cols = _kept(shown.cols, (shown.values != 0).any(axis=0) | (before != 0).any(axis=0))
    return _taken(shown, keep_rows, keep_cols), None if matched is None else _taken(matched, keep_rows, keep_cols)


def renames(path: Sequence[Plan], dimension: str, labels: tuple[str, ...]) -> dict[str, str]:
    """What each of the first plan's `labels` is called in the last, followed one edit at a time (a rule renamed
    after its threshold changed is still matched); a label whose rule is gone maps to itself."""
    if dimension not in PLAN_DIMENSIONS:
        return {}
    names = {label: label for label in labels}
    for before, after in pairwise(path):
        step = same_rules(before, after, dimension)
        names = {label: step.get(name, name) for label, name in names.items()}
    return names


def _positions(labels: tuple[str, ...], into: tuple[str, ...], renames: dict[str, str]) -> np.ndarray:
    """Each label's position in `into` (after its rename), -1 where it has none."""
    where = {label: i for i, label in enumerate(into)}
    return np.array([where.get(renames.get(label, label), -1) for label in labels], dtype=np.int64)


def _reordered(matrix: Matrix) -> Matrix:
    rows = funnel(matrix.rows) if matrix.row_dim == "stage" else matrix.rows
    cols = funnel(matrix.cols) if matrix.col_dim == "stage" else matrix.cols
    if (rows, cols) == (matrix.rows, matrix.cols):
        return matrix
    row_at = [matrix.rows.index(label) for label in rows]
    col_at = [matrix.cols.index(label) for label in cols]
    values = matrix.values[np.ix_(row_at, col_at)]
    return Matrix(matrix.row_dim, matrix.col_dim, rows, cols, values, matrix.measure)


def _kept(labels: tuple[str, ...], used: np.ndarray) -> np.ndarray:
    """Every label but a fallback `used` by no account now or under the baseline (so no change is hidden)."""
    fallback = np.array([label in FALLBACKS for label in labels], dtype=bool)
    keep = ~fallback | used
    return keep if keep.any() else np.ones_like(keep)


def _taken(matrix: Matrix, rows: np.ndarray, cols: np.ndarray) -> Matrix:
    if rows.all() and cols.all():
        return matrix
    labels_r = tuple(label for label, kept in zip(matrix.rows, rows, strict=True) if kept)
    labels_c = tuple(label for label, kept in zip(matrix.cols, cols, strict=True) if kept)
    return Matrix(matrix.row_dim, matrix.col_dim, labels_r, labels_c, matrix.values[np.ix_(rows, cols)],
                  matrix.measure)
