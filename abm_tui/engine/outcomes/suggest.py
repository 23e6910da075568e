"""Suggested fit criteria: points learned from what closed, each with the evidence a planner can check.

The method, in the README's words:
1. Candidates are the lift table's rows that are not small, whose whole 95% interval lies above the base
   rate and whose evidence (z against the base rate) clears a Bonferroni bar over the rows tried (5% for
   the whole table), on the columns the caller allows (account columns: engagement is the tiers' other
   axis, and after a deal a consequence of winning), at most `MAX_CANDIDATES` of them, most evidence first.
2. Each candidate is an indicator: the row's own `where`, so a criterion counts exactly the accounts its
   evidence line counts. Two indicators with |phi| > 0.7 (the correlation of two yes/no columns) say the
   same thing: the one with less evidence is dropped, so nothing counts twice.
3. A ridge-regularised logistic regression (a normal prior of sd 1 on each log-odds coefficient, the
   intercept free) of the outcome on the kept indicators. Each coefficient times 20, rounded, is the
   criterion's points (20 points per e-fold of the odds); criteria below 1 point are left out.
The regression runs on the distinct indicator patterns and their counts (one group_by), not on every row.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import polars as pl

from abm_tui.engine.outcomes.lift import Kind, Lift
from abm_tui.engine.segment import BLANK
from abm_tui.plan import rules
from abm_tui.plan.model import AllOf, Criterion

MAX_CANDIDATES = 25
FAMILY_ERROR = 0.05  # the chance that any candidate at all is there by chance alone
MAX_PHI = 0.7
RIDGE = 1.0  # the prior's precision: 1 / sd**2 with sd 1 on the log-odds scale
POINTS_PER_LOG_ODDS = 20
_NEWTON_STEPS = 50
_WON = "_won"


@dataclass(frozen=True)
class Suggestion:
    """One criterion the outcomes support, and the lift row it came from."""

    column: str
    value: str
    kind: Kind
    accounts: int
    won: int
    win_rate: float
    lift: float
    base_rate: float
    coefficient: float  # log-odds, adjusted for the other kept criteria
    points: int
    where: AllOf

    @property
    def name(self) -> str:
        if self.value == BLANK:
            return f"{self.column} is blank"
        verb = {Kind.VALUE: "=", Kind.ELEMENT: "has", Kind.BIN: "in"}[self.kind]
        return f"{self.column} {verb} {self.value}"

    @property
    def evidence(self) -> str:
        """`industry = Insurance: 412 accounts, 61 won, 14.8% against 3.1%, lift 4.8`."""
        return (f"{self.name}: {self.accounts:,} accounts, {self.won:,} won, {self.win_rate:.1%} against "
                f"{self.base_rate:.1%}, lift {self.lift:.1f}")

    def criterion(self) -> Criterion:
        return Criterion(self.name, self.points, self.where)


@dataclass(frozen=True)
class Duplicate:
    """A candidate left out because a kept one with more evidence already says it."""

    name: str
    kept: str
    phi: float


@dataclass(frozen=True)
class Suggestions:
    items: tuple[Suggestion, ...]  # most points first
    duplicates: tuple[Duplicate, ...]

    def criteria(self) -> tuple[Criterion, ...]:
        return tuple(s.criterion() for s in self.items)


def suggest(frame: pl.DataFrame, won: pl.Series, lift: Lift, columns: set[str] | None = None) -> Suggestions:
    """Fit criteria for `frame` (the table the lift was computed on) and its outcome flags `won`."""
    candidates = _candidates(lift, columns)
    if candidates.is_empty():
        return Suggestions((), ())
    wheres = [lift.condition(c, v) for c, v in candidates.select("column", "value").iter_rows()]
    names = [f"_{i}" for i in range(len(wheres))]
    patterns = (
        frame.lazy()
        .select(*(rules.to_expr(w, frame.schema).alias(n) for w, n in zip(wheres, names, strict=True)),
                won.alias(_WON))
        .group_by(names)
        .agg(pl.len().alias("count"), pl.col(_WON).sum().alias("wins"))
        .collect()
    )
    indicators = patterns.select(names).to_numpy().astype(np.float64)
    counts = patterns.get_column("count").to_numpy().astype(np.float64)
    wins = patterns.get_column("wins").to_numpy().astype(np.float64)
    labels = [_label(lift, c, v) for c, v in candidates.select("column", "value").iter_rows()]
    kept, duplicates = _deduplicated(indicators, counts, labels)
    beta = ridge_logistic(indicators[:, kept], counts, wins)
    rows = candidates.to_dicts()
    items = []
    for position, j in enumerate(kept):
        points = round(float(beta[position + 1]) * POINTS_PER_LOG_ODDS)
        if points < 1:
            continue
        row = rows[j]
        items.append(Suggestion(
            row["column"], row["value"], lift.kinds[row["column"]], row["accounts"], row["won"], row["win_rate"],
            row["lift"], lift.base_rate, float(beta[position + 1]), points, wheres[j]))
    items.sort(key=lambda s: (-s.points, -s.lift, s.name))
    return Suggestions(tuple(items), tuple(duplicates))


def evidence_bar(lift: Lift, family: float = FAMILY_ERROR) -> float:
    """The z a row's wins must clear to be a candidate: one-sided, Bonferroni over the rows tried, so that
    in a table of a few hundred values chance alone suggests nothing `family` of the time."""
    tried = max(lift.rows.filter(~pl.col("small")).height, 1)
    return NormalDist().inv_cdf(1 - family / tried)


def _candidates(lift: Lift, columns: set[str] | None) -> pl.DataFrame:
    rows = lift.rows.filter(
        ~pl.col("small") & (pl.col("low") > lift.base_rate) & (pl.col("evidence") > evidence_bar(lift))
        & ~((pl.col("value") == BLANK) & pl.col("column").is_in(
            [c for c, kind in lift.kinds.items() if kind is Kind.ELEMENT]))  # `is_null` misses an empty list
    )
    if columns is not None:
        rows = rows.filter(pl.col("column").is_in(sorted(columns)))
    return rows.head(MAX_CANDIDATES)  # the lift table is sorted by evidence


def _label(lift: Lift, column: str, value: str) -> str:
    return f"{column} = {value}" if lift.kinds[column] is not Kind.BIN else f"{column} in {value}"


def phi_matrix(indicators: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The correlation of every pair of yes/no columns over the accounts (patterns weighted by their counts)."""
    total = counts.sum()
    mean = counts @ indicators / total
    cov = (indicators * counts[:, None]).T @ indicators / total - np.outer(mean, mean)
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    with np.errstate(invalid="ignore", divide="ignore"):
        phi = cov / np.outer(sd, sd)
    return np.nan_to_num(phi)


def _deduplicated(indicators: np.ndarray, counts: np.ndarray, labels: list[str]) -> tuple[list[int], list[Duplicate]]:
    """Keep candidates in evidence order unless one already kept has |phi| above MAX_PHI with it."""
    phi = phi_matrix(indicators, counts)
    kept: list[int] = []
    duplicates = []
    for j in range(indicators.shape[1]):
        twin = next((k for k in kept if abs(phi[j, k]) > MAX_PHI), None)
        if twin is None:
            kept.append(j)
        else:
            duplicates.append(Duplicate(labels[j], labels[twin], float(phi[j, twin])))
    return kept, duplicates


def ridge_logistic(indicators: np.ndarray, counts: np.ndarray, wins: np.ndarray, ridge: float = RIDGE) -> np.ndarray:
    """Intercept then coefficients, by Newton's method on binomial counts per pattern, the intercept unpenalised."""
    design = np.column_stack([np.ones(indicators.shape[0]), indicators])
    penalty = np.full(design.shape[1], ridge)
    penalty[0] = 0.0
    rate = wins.sum() / counts.sum()
    beta = np.zeros(design.shape[1])
    beta[0] = np.log(rate / (1 - rate)) if 0 < rate < 1 else 0.0
    for _ in range(_NEWTON_STEPS):
        p = 1 / (1 + np.exp(-(design @ beta)))
        gradient = design.T @ (wins - counts * p) - penalty * beta
        hessian = (design * (counts * p * (1 - p))[:, None]).T @ design + np.diag(penalty)
        step = np.linalg.solve(hessian + 1e-9 * np.eye(design.shape[1]), gradient)
        beta += step
        if np.abs(step).max() < 1e-8:
            break
    return beta
