"""Assignment of every account to a tier, stage, bucket and play, and the matrix: the per-tweak path.

Every rule's mask is cached under the rule itself plus the state of whatever it reads (a tier rule on
`fit_score` is keyed by the fit criteria too). A plan is immutable and hashable, so after a tweak of
one tier threshold only that tier's mask is evaluated again; the rest is a first-match pass over
NumPy arrays and a `bincount` for the matrix.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

import numpy as np
import polars as pl

from abm_tui.engine.features import weighted_scores
from abm_tui.errors import AbmError, nearest
from abm_tui.plan import rules
from abm_tui.plan.model import NO_PLAY, NOT_TARGET, UNCLASSIFIED, UNSTAGED, VISIBLE, Condition, Plan, play_label

BLANK = "(blank)"
_MASK_CACHE_SIZE = 512
MAX_DIMENSION_VALUES = 60
DERIVED = ("fit_score", "fit_criteria_met", "bucket", "stage", "tier")
T = TypeVar("T")


@dataclass(frozen=True)
class Assignment:
    """Index arrays into each dimension's labels; the last label is the fallback (Not target, ...)."""

    fit_score: np.ndarray
    criteria_met: np.ndarray  # bool, one column per enabled criterion
    criteria_names: tuple[str, ...]
    bucket: np.ndarray
    stage: np.ndarray
    tier: np.ndarray
    play: np.ndarray
    bucket_labels: tuple[str, ...]
    stage_labels: tuple[str, ...]
    tier_labels: tuple[str, ...]
    play_labels: tuple[str, ...]
    cut_by_limit: tuple[int, ...]  # per tier: accounts that matched but fell through because of `limit`

    @property
    def size(self) -> int:
        return int(self.tier.shape[0])


@dataclass(frozen=True)
class Matrix:
    row_dim: str
    col_dim: str
    rows: tuple[str, ...]
    cols: tuple[str, ...]
    values: np.ndarray  # counts (int64) or sums (float64), rows x cols
    measure: str = "count"

    @property
    def total(self) -> float:
        return self.values.sum().item()

    def cell(self, row: str, col: str) -> float:
        return self.values[self.rows.index(row), self.cols.index(col)].item()

    def to_frame(self) -> pl.DataFrame:
        data = {self.row_dim: list(self.rows)}
        data.update({col: self.values[:, j].tolist() for j, col in enumerate(self.cols)})
        return pl.DataFrame(data)


class Engine:
    """Segments one loaded table again and again as the plan changes."""

    def __init__(self, table: pl.DataFrame, channels: tuple[str, ...] | None) -> None:
        self.table = table
        self.channels = channels
        self.size = table.height
        self._masks: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._memo: dict[tuple[str, Hashable], object] = {}
        self._dimension_cache: dict[str, tuple[np.ndarray, tuple[str, ...]]] = {}

    # -- frames ----------------------------------------------------------------------------

    def frame(self, plan: Plan) -> pl.DataFrame:
        """The table with the engagement scores of this plan's weights."""
        channels = self.channels
        if channels is None:
            return self.table
        return self._memoised(
            "scores",
            plan.engagement.weights,
            lambda: self.table.hstack(weighted_scores(self.table, channels, plan.engagement)),
        )

    @cached_property
    def id_order(self) -> np.ndarray:
        """Each account's position in account_id order, the final tie-break for tier limits."""
        return self.table.get_column("account_id").rank("ordinal").to_numpy()

    # -- masks -----------------------------------------------------------------------------

    def mask(self, condition: Condition, plan: Plan, upto: str) -> np.ndarray:
        """Evaluate a rule; `upto` is the section it belongs to, which decides the derived columns it may read."""
        used = rules.columns(condition)
        key = (condition, self._state_key(plan, used))
        hit = self._masks.get(key)
        if hit is not None:
            self._masks.move_to_end(key)
            return hit
        frame = self._with_derived(plan, used, upto)
        result = frame.select(rules.to_expr(condition, frame.schema)).to_series().to_numpy()
        if result.shape[0] != self.size:  # a constant rule (`sql = "TRUE"`, an empty where) gives one value
            result = np.full(self.size, bool(result[0]) if result.shape[0] else True)
        self._masks[key] = result
        if len(self._masks) > _MASK_CACHE_SIZE:
            self._masks.popitem(last=False)
        return result

    def _state_key(self, plan: Plan, used: set[str]) -> tuple[Hashable, ...]:
        weights = plan.engagement.weights if any(c.startswith("engagement_") for c in used) else None
        fit = _fit_key(plan) if used & {"fit_score", "fit_criteria_met"} else None
        bucket = (plan.buckets, _fit_key(plan)) if "bucket" in used else None
        stage = (plan.stages, plan.buckets, _fit_key(plan)) if "stage" in used else None
        return (weights, fit, bucket, stage)

    def _with_derived(self, plan: Plan, used: set[str], upto: str) -> pl.DataFrame:
        frame = self.frame(plan)
        visible = VISIBLE[upto]
        extra: list[pl.Series] = []
        if "fit" in visible and used & {"fit_score", "fit_criteria_met"}:
            score, met, names = self.fit(plan)
            extra.append(pl.Series("fit_score", score))
            if "fit_criteria_met" in used:
                extra.append(met_lists(met, names))
        for section, compute in (("bucket", self.buckets), ("stage", self.stages)):
            if section in visible and section in used:
                codes, labels = compute(plan)
                extra.append(pl.Series(section, np.asarray(labels, dtype=object)[codes], dtype=pl.String))
        return frame.with_columns(extra) if extra else frame

    # -- sections --------------------------------------------------------------------------

    def _memoised(self, name: str, key: Hashable, compute: Callable[[], T]) -> T:
        """Keep the latest result per section: a tweak usually changes one section and reuses the rest."""
        memo_key = (name, key)
        if memo_key not in self._memo:
            self._memo = {k: v for k, v in self._memo.items() if k[0] != name}
            self._memo[memo_key] = compute()
        return self._memo[memo_key]  # type: ignore[return-value]

    def fit(self, plan: Plan) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
        def compute() -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
            active = [c for c in plan.criteria if c.enabled]
            met = np.zeros((self.size, len(active)), dtype=bool)
            score = np.zeros(self.size, dtype=np.int64)
            for j, criterion in enumerate(active):
                met[:, j] = self.mask(criterion.where, plan, "fit")
                score += criterion.points * met[:, j]
            return score, met, tuple(c.name for c in active)

        return self._memoised("fit", _fit_key(plan), compute)

    def buckets(self, plan: Plan) -> tuple[np.ndarray, tuple[str, ...]]:
        return self._memoised(
            "bucket",
            (plan.buckets, _fit_key(plan)),
            lambda: self._first_match(plan.buckets, plan, "bucket", UNCLASSIFIED),
        )

    def stages(self, plan: Plan) -> tuple[np.ndarray, tuple[str, ...]]:
        return self._memoised(
            "stage",
            (plan.stages, plan.buckets, _fit_key(plan)),
            lambda: self._first_match(plan.stages, plan, "stage", UNSTAGED),
        )

    def _first_match(
        self, section: Sequence, plan: Plan, upto: str, fallback: str
    ) -> tuple[np.ndarray, tuple[str, ...]]:
        labels = tuple(r.name for r in section) + (fallback,)
        codes = np.full(self.size, len(section), dtype=np.int16)
        open_ = np.ones(self.size, dtype=bool)
        for i, rule in enumerate(section):
            if not rule.enabled:
                continue
            take = open_ & self.mask(rule.where, plan, upto)
            np.copyto(codes, i, where=take)
            open_ &= ~take
        return codes, labels

    def tiers(self, plan: Plan) -> tuple[np.ndarray, tuple[str, ...], tuple[int, ...]]:
        key = (plan.tiers, plan.stages, plan.buckets, _fit_key(plan))  # the fit key holds the weights rankings read
        return self._memoised("tier", key, lambda: self._assign_tiers(plan))

    def _assign_tiers(self, plan: Plan) -> tuple[np.ndarray, tuple[str, ...], tuple[int, ...]]:
        labels = tuple(t.name for t in plan.tiers) + (NOT_TARGET,)
        codes = np.full(self.size, len(plan.tiers), dtype=np.int16)
        open_ = np.ones(self.size, dtype=bool)
        cut = []
        for i, tier in enumerate(plan.tiers):
            if not tier.enabled:
                cut.append(0)
                continue
            take = open_ & self.mask(tier.where, plan, "tier")
            matched = np.count_nonzero(take)
            if tier.limit is not None and matched > tier.limit:
                take = self._best(take, tier.limit, self._ranking(plan, tier.ranking(self.channels is not None)))
            cut.append(int(matched - np.count_nonzero(take)))
            np.copyto(codes, i, where=take)
            open_ &= ~take
        return codes, labels, tuple(cut)

    def _ranking(self, plan: Plan, columns: tuple[str, ...]) -> list[np.ndarray]:
        """Each ranking column as floats, a missing value as -inf so it ranks last."""
        frame = self._with_derived(plan, set(columns), "tier")
        as_floats = (pl.col(c).to_physical().cast(pl.Float64).fill_nan(None).fill_null(-np.inf) for c in columns)
        ranked = frame.select(as_floats)
        return [series.to_numpy() for series in ranked.iter_columns()]

    def _best(self, candidates: np.ndarray, limit: int, keys: list[np.ndarray]) -> np.ndarray:
        """The `limit` best candidates by the ranking's columns, highest first, then account_id.

        The first column is cut with a partition (linear), so only the accounts tied at the cut are
        sorted by the columns after it: at a million candidates that is most of the saving.
        """
        index = np.flatnonzero(candidates)
        score = keys[0][index]
        kth = np.partition(score, len(score) - limit)[len(score) - limit]
        sure = index[score > kth]
        ties = index[score == kth]
        order = np.lexsort((self.id_order[ties], *(-key[ties] for key in reversed(keys[1:]))))
        chosen = np.zeros(self.size, dtype=bool)
        chosen[sure] = True
        chosen[ties[order[: limit - len(sure)]]] = True
        return chosen

    def plays(
        self, plan: Plan, tier: np.ndarray, stage: np.ndarray, bucket: np.ndarray
    ) -> tuple[np.ndarray, tuple[str, ...]]:
        """A play depends only on an account's (tier, stage, bucket), so plays are decided once per
        combination (a few hundred at most) and then looked up for every account in one gather."""
        labels = tuple(play_label(p) for p in plan.plays) + (NO_PLAY,)
        dims = (
            [t.name for t in plan.tiers] + [NOT_TARGET],
            [s.name for s in plan.stages] + [UNSTAGED],
            [b.name for b in plan.buckets] + [UNCLASSIFIED],
        )

        def compute() -> np.ndarray:
            table = np.full(tuple(len(d) for d in dims), len(plan.plays), dtype=np.int16)
            for i, play in reversed(list(enumerate(plan.plays))):
                picks = [
                    [d.index(n) for n in wanted if n in d] if wanted else slice(None)
                    for wanted, d in zip((play.tier, play.stage, play.bucket), dims, strict=True)
                ]
                table[np.ix_(*(np.arange(len(d))[p] for p, d in zip(picks, dims, strict=True)))] = i
            return table

        table = self._memoised("play", (plan.plays, plan.tiers, plan.stages, plan.buckets), compute)
        _, n_stages, n_buckets = table.shape
        flat = (tier.astype(np.int32) * n_stages + stage) * n_buckets + bucket
        return table.ravel()[flat], labels

    def assign(self, plan: Plan) -> Assignment:
        """Every account's fit, bucket, stage, tier and play under `plan`; the latest is kept."""
        return self._memoised("assignment", plan, lambda: self._assign(plan))

    def _assign(self, plan: Plan) -> Assignment:
        score, met, names = self.fit(plan)
        bucket, bucket_labels = self.buckets(plan)
        stage, stage_labels = self.stages(plan)
        tier, tier_labels, cut = self.tiers(plan)
        play, play_labels = self.plays(plan, tier, stage, bucket)
        return Assignment(
            score, met, names, bucket, stage, tier, play, bucket_labels, stage_labels, tier_labels, play_labels, cut
        )

    # -- matrix ----------------------------------------------------------------------------

    def dimension(self, assignment: Assignment, name: str) -> tuple[np.ndarray, tuple[str, ...]]:
        """Codes and labels for a matrix axis: a plan dimension in plan order, or a categorical column."""
        plan_dims = {
            "tier": (assignment.tier, assignment.tier_labels),
            "stage": (assignment.stage, assignment.stage_labels),
            "bucket": (assignment.bucket, assignment.bucket_labels),
            "play": (assignment.play, assignment.play_labels),
        }
        if name in plan_dims:
            return plan_dims[name]
        if name not in self._dimension_cache:
            self._dimension_cache[name] = self._categorical(name)
        return self._dimension_cache[name]

    def _categorical(self, name: str) -> tuple[np.ndarray, tuple[str, ...]]:
        frame = self.table
        if name not in frame.columns:
            known = list(DERIVED[2:]) + ["play"] + frame.columns
            raise AbmError(f"no column named {name!r} to pivot on" + nearest(name, known))
        if isinstance(frame.schema[name], pl.List):
            raise AbmError(f"{name} holds lists (an account can have several values); pick a single-valued column")
        values = frame.get_column(name).cast(pl.String)
        labels = values.drop_nulls().unique().sort().to_list()
        if len(labels) > MAX_DIMENSION_VALUES:
            raise AbmError(
                f"{name} has {len(labels):,} distinct values; a matrix axis takes at most "
                f"{MAX_DIMENSION_VALUES}: pick a categorical column"
            )
        if values.null_count():
            labels.append(BLANK)
        codes = values.fill_null(BLANK).cast(pl.Enum(labels)).to_physical().to_numpy()
        return codes, tuple(labels)

    def matrix(
        self, assignment: Assignment, rows: str = "tier", cols: str = "stage", measure: str | None = None,
        plan: Plan | None = None,
    ) -> Matrix:
        """Counts per cell, or the sum of `measure` (e.g. opportunity_amount) per cell; `plan` (the one
        `assignment` came from) lets the sum read its engagement scores."""
        row_codes, row_labels = self.dimension(assignment, rows)
        col_codes, col_labels = self.dimension(assignment, cols)
        flat = row_codes.astype(np.int32) * len(col_labels) + col_codes
        size = len(row_labels) * len(col_labels)
        if measure is None:
            values = np.bincount(flat, minlength=size)
        else:
            values = np.bincount(flat, weights=self.measure(assignment, measure, plan), minlength=size)
        return Matrix(
            rows, cols, row_labels, col_labels, values.reshape(len(row_labels), len(col_labels)), measure or "count"
        )

    def measure(self, assignment: Assignment, name: str, plan: Plan | None = None) -> np.ndarray:
        """Per account, what a matrix cell sums: fit_score, or a numeric (or true/false) column of the table
        and the plan's engagement scores. Anything else is refused in one line, as an unknown axis is."""
        if name == "fit_score":
            return assignment.fit_score.astype(np.float64)
        frame = self.table
        if name not in frame.columns and plan is not None:
            frame = self.frame(plan)  # the engagement scores of the plan's weights
        if name not in frame.columns:
            raise AbmError(f"no column named {name!r} to sum" + nearest(name, ["fit_score", *frame.columns]))
        dtype = frame.schema[name]
        if isinstance(dtype, pl.List | pl.Array):
            raise AbmError(f"{name} holds lists (an account can have several values); pick a numeric column to sum")
        if not (dtype.is_numeric() or dtype == pl.Boolean):
            held = "dates" if dtype.is_temporal() else "text"
            raise AbmError(f"{name} holds {held}, not numbers; pick a numeric column to sum, such as fit_score")
        return frame.get_column(name).cast(pl.Float64).fill_null(0.0).to_numpy()


def _fit_key(plan: Plan) -> Hashable:
    return (plan.criteria, plan.engagement.weights)


def criteria_patterns(met: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of the met matrix and, per account, which one it has.

    A plan has a handful of criteria, so a million accounts share a few hundred patterns at most:
    anything built per pattern (lists, words) is then gathered, never built per account.
    """
    if met.shape[1] == 0:
        return np.zeros((1, 0), dtype=bool), np.zeros(met.shape[0], dtype=np.int64)
    packed = np.ascontiguousarray(np.packbits(met, axis=1))
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return met[first], inverse.ravel()


def met_lists(met: np.ndarray, names: tuple[str, ...]) -> pl.Series:
    """fit_criteria_met: the names of the criteria each account met, in plan order."""
    patterns, inverse = criteria_patterns(met)
    lists = [[name for name, hit in zip(names, row, strict=True) if hit] for row in patterns]
    return pl.Series("fit_criteria_met", lists, dtype=pl.List(pl.String)).gather(pl.Series(inverse))
