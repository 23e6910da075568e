"""Attribute lift: for every value of every account column and engagement feature, how often it is won.

Text columns count by value, list columns (`tech_stack`) by element, numeric and date columns in quantile
bins written `[lo, hi)`, and a missing value as `(blank)`. Each row has its accounts, won, win rate, lift
against the base rate and a 95% Wilson interval. A row whose expected wins are too few to say anything is
marked `small`, not hidden. The whole table is one lazy query: a quantile pass for the bins' cut points,
then one group_by per column, collected together so they run in parallel.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

import polars as pl

from abm_tui.engine.outcomes.outcome import OUTCOME_COLUMNS
from abm_tui.engine.segment import BLANK
from abm_tui.ingest.load import KEY_COLUMNS
from abm_tui.plan.model import AllOf, Compare, Scalar
from abm_tui.plan.ops import Op

Z95 = 1.959963984540054  # the normal quantile of a two-sided 95% interval
QUANTILES = (0.2, 0.4, 0.6, 0.8)  # quintile cut points: five bins at most
SAMPLE = 100_000  # values the cut points are read from (see `_bins`)
MAX_VALUES = 100  # a column with more distinct values is an identifier, not an attribute
MIN_ACCOUNTS = 20
MIN_EXPECTED = 5  # the classic rule for a count test: fewer expected wins (or non-wins) says nothing
ROW_COLUMNS = ("column", "value", "accounts", "won", "win_rate", "lift", "low", "high")
_WON = "_won"
_EPOCH = dt.date(1970, 1, 1)


class Kind(StrEnum):
    """How a column's values become rows, which is also how a row becomes a criterion."""

    VALUE = "value"  # text, categories and flags: one row per value (`eq`)
    ELEMENT = "element"  # lists: one row per element (`contains`)
    BIN = "bin"  # numbers and dates: one row per quantile bin (`min` and `lt`)


Bound = int | float | dt.date


@dataclass(frozen=True)
class Lift:
    """The lift table and what it takes to turn any of its rows back into a `where`."""

    rows: pl.DataFrame  # ROW_COLUMNS, then `small` and `evidence`; most evidence first, small rows last
    accounts: int
    won: int
    kinds: dict[str, Kind]
    bins: dict[str, dict[str, tuple[Bound | None, Bound | None]]]  # column -> label -> (lo or None, hi or None)
    skipped: tuple[str, ...]  # columns left out, as identifiers (too many values) or of a kind not counted

    @property
    def base_rate(self) -> float:
        return self.won / self.accounts if self.accounts else 0.0

    def condition(self, column: str, value: str) -> AllOf:
        """The `where` that holds for exactly the accounts the row counts (a list's blank: see `suggest`)."""
        if value == BLANK:
            return AllOf((Compare(column, Op.IS_NULL, True),))
        kind = self.kinds[column]
        if kind is Kind.ELEMENT:
            return AllOf((Compare(column, Op.CONTAINS, value),))
        if kind is Kind.VALUE:
            typed: Scalar = {"true": True, "false": False}.get(value, value) if self.flags(column) else value
            return AllOf((Compare(column, Op.EQ, typed),))
        lo, hi = self.bins[column][value]
        tests = [] if lo is None else [Compare(column, Op.MIN, lo)]
        return AllOf(tuple(tests + ([] if hi is None else [Compare(column, Op.LT, hi)])))

    def flags(self, column: str) -> bool:
        return self.rows.filter(pl.col("column") == column).get_column("value").is_in(["true", "false"]).all()


def wilson(won: pl.Expr, accounts: pl.Expr, z: float = Z95) -> tuple[pl.Expr, pl.Expr]:
    """The Wilson score interval of won / accounts: honest near 0% and at small counts, unlike p ± z·se."""
    n = accounts.cast(pl.Float64)
    p = won.cast(pl.Float64) / n
    spread = z * (p * (1 - p) / n + z * z / (4 * n * n)).sqrt()
    centre = p + z * z / (2 * n)
    scale = 1 + z * z / n
    return ((centre - spread) / scale).alias("low"), ((centre + spread) / scale).alias("high")


def rates(base_rate: float) -> list[pl.Expr]:
    """win_rate, lift, low, high from `accounts` and `won` columns: the numbers every outcome table shows."""
    accounts, won = pl.col("accounts"), pl.col("won")
    win_rate = won.cast(pl.Float64) / accounts
    low, high = wilson(won, accounts)
    lift = (win_rate / base_rate) if base_rate else pl.lit(None, pl.Float64)
    return [win_rate.alias("win_rate"), lift.alias("lift"), low, high]


def kind_of(dtype: pl.DataType) -> Kind | None:
    if isinstance(dtype, pl.List):
        return Kind.ELEMENT
    if dtype in (pl.String, pl.Categorical, pl.Boolean) or isinstance(dtype, pl.Enum | pl.Categorical):
        return Kind.VALUE
    if dtype.is_numeric() or dtype == pl.Date:
        return Kind.BIN
    return None


def attribute_columns(schema: pl.Schema) -> list[str]:
    """Every column that describes an account: not its identity, not the outcome, not an internal `_` column."""
    left_out = {*KEY_COLUMNS, *OUTCOME_COLUMNS}
    return [name for name in schema if name not in left_out and not name.startswith("_")]


def attribute_lift(frame: pl.DataFrame, won: pl.Series, columns: list[str] | None = None) -> Lift:
    """The lift table of `columns` (default: `attribute_columns`) for the outcome flags `won`."""
    schema = frame.schema
    chosen = attribute_columns(schema) if columns is None else columns
    kinds = {c: kind for c in chosen if (kind := kind_of(schema[c])) is not None}
    lazy = frame.select(*kinds, pl.lit(won).alias(_WON)).lazy()
    bins = _bins(lazy, schema, [c for c, kind in kinds.items() if kind is Kind.BIN])
    counts = pl.collect_all([_counts(lazy, c, kind, bins.get(c)) for c, kind in kinds.items()])
    accounts, total_won = frame.height, int(won.sum())
    empty = pl.DataFrame(schema={"column": pl.String, "value": pl.String, "accounts": pl.UInt32, "won": pl.UInt32})
    table = pl.concat([empty, *counts])
    crowded = table.group_by("column").len().filter(pl.col("len") > MAX_VALUES).get_column("column").to_list()
    rows = _finish(table.filter(~pl.col("column").is_in(crowded)), accounts, total_won)
    skipped = tuple(c for c in chosen if c not in kinds or c in crowded)
    kept = {c: kind for c, kind in kinds.items() if c not in crowded}
    return Lift(rows, accounts, total_won, kept, {c: b for c, b in bins.items() if c in kept}, skipped)


def _finish(table: pl.DataFrame, accounts: int, won: int) -> pl.DataFrame:
    base = won / accounts if accounts else 0.0
    expected = pl.col("accounts").cast(pl.Float64) * min(base, 1 - base)
    observed = pl.col("won").cast(pl.Float64) - pl.col("accounts") * base
    spread = (pl.col("accounts") * base * (1 - base)).sqrt()
    return (
        table.with_columns(pl.col("accounts").cast(pl.Int64), pl.col("won").cast(pl.Int64))
        .with_columns(*rates(base))
        .with_columns(
            ((pl.col("accounts") < MIN_ACCOUNTS) | (expected < MIN_EXPECTED)).alias("small"),
            # how many standard errors the row's wins are from the base rate's: lift and support together
            (observed / spread).fill_nan(0.0).fill_null(0.0).alias("evidence"),
        )
        .sort(["small", "evidence", "column", "value"], descending=[False, True, False, False])
    )


def _physical(name: str) -> pl.Expr:
    """Numbers as they are, dates as day numbers: what the quantiles and the bins read. NaN stays NaN, which
    Polars orders above every number, so it falls in the top bin exactly as a `min` criterion counts it."""
    return pl.col(name).to_physical()


def _bins(lazy: pl.LazyFrame, schema: pl.Schema, columns: list[str]) -> dict[str, dict[str, tuple]]:
    """Per column, label -> (lo, hi): bins at the distinct quintile cut points above the minimum.

    The cut points are the quintiles of an evenly spaced sample of at most SAMPLE values (all of them on
    smaller tables), so a million rows cost one small sort per column; the counts in each bin stay exact.
    """
    if not columns:
        return {}
    height = lazy.select(pl.len()).collect().item()
    step = max(1, -(-height // SAMPLE))
    stats = lazy.select(
        *(_physical(c).min().alias(f"{c}\0min") for c in columns),
        *(_physical(c).gather_every(step).quantile(q, "lower").alias(f"{c}\0{q}") for c in columns
          for q in QUANTILES),
    ).collect().row(0, named=True)
    out: dict[str, dict[str, tuple]] = {}
    for c in columns:
        low = stats[f"{c}\0min"]
        if low is None:
            out[c] = {}
            continue
        cuts = sorted({v for q in QUANTILES if (v := stats[f"{c}\0{q}"]) is not None and v > low})
        typed = [_typed(v, schema[c]) for v in (low, *cuts)]
        out[c] = {
            f"[{_shown(typed[i])}, {_shown(typed[i + 1]) if i + 1 < len(typed) else 'inf'})":
                (None if i == 0 else typed[i], typed[i + 1] if i + 1 < len(typed) else None)
            for i in range(len(typed))
        }
    return out


def _typed(value: float, dtype: pl.DataType) -> Bound:
    if dtype == pl.Date:
        return _EPOCH + dt.timedelta(days=int(value))
    if dtype.is_integer() or float(value).is_integer():
        return int(value) if dtype.is_integer() else float(value)
    return float(value)


def _shown(value: Bound) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value) if isinstance(value, int) else f"{value:.6g}"


def _counts(lazy: pl.LazyFrame, name: str, kind: Kind, bins: dict[str, tuple] | None) -> pl.LazyFrame:
    """One group_by: accounts and wins per value of one column (a bin is grouped by its number, named after)."""
    column = pl.col(name)
    label = pl.col("value")
    if kind is Kind.ELEMENT:
        elements = column.cast(pl.List(pl.String)).list.unique().alias("value")
        source = lazy.select(elements, _WON).explode("value", empty_as_null=True, keep_nulls=True)  # [] is blank
    elif kind is Kind.VALUE:
        source = lazy.select(column.cast(pl.String).alias("value"), _WON)
    else:
        edges = [_physical_bound(lo) for lo, _ in (bins or {}).values() if lo is not None]
        physical = _physical(name)
        number = pl.sum_horizontal([pl.lit(0, pl.UInt8), *((physical >= edge).cast(pl.UInt8) for edge in edges)])
        source = lazy.select(pl.when(physical.is_not_null()).then(number).alias("value"), _WON)
        label = label.replace_strict(dict(enumerate(bins or {})), default=None, return_dtype=pl.String)
    return (
        source.group_by("value")
        .agg(pl.len().cast(pl.UInt32).alias("accounts"), pl.col(_WON).sum().cast(pl.UInt32).alias("won"))
        .select(pl.lit(name).alias("column"), label.fill_null(BLANK).alias("value"), "accounts", "won")
    )


def _physical_bound(value: Bound) -> float:
    return float((value - _EPOCH).days) if isinstance(value, dt.date) else float(value)
