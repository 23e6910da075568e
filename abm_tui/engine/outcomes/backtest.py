"""Backtest: how well a plan's tiers and fit score rank the accounts that turned out won.

Per tier (the plan's, in order, then Not target, each present even when empty) and per fit-score band:
accounts, won, win rate, lift against the base rate. The area under the ROC curve of `fit_score` for won
against not won (rank-based, ties averaged: the chance that a won account outscores a not-won one, a tie
counting half), and the cumulative gains ("the top 10% by fit score hold 46% of the wins").

With a history, `judged_later` pairs each account's tier and fit score at an earlier snapshot with its
outcome at a later one, so the plan is judged on what it knew then (no leakage).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from abm_tui.engine.outcomes.lift import attribute_lift, rates
from abm_tui.plan.model import NOT_TARGET

SCORED_COLUMNS = ("account_id", "tier", "fit_score", "won")  # what a backtest reads, one row per account
GAIN_SHARES = tuple(round(0.1 * k, 1) for k in range(1, 11))


@dataclass(frozen=True)
class Backtest:
    accounts: int
    won: int
    tiers: pl.DataFrame  # tier, accounts, won, win_rate, lift, low, high, below_not_target
    bands: pl.DataFrame  # band (a fit_score bin), accounts, won, win_rate, lift, low, high, lowest band first
    auc: float | None  # None when every account is won, or none is
    gains: pl.DataFrame  # top (share of accounts by fit score), accounts, won, share_of_wins
    tier_from: dt.date | None = None  # the snapshot the tiers and scores come from (None: the current data)
    outcome_from: dt.date | None = None  # the date of the outcomes

    @property
    def base_rate(self) -> float:
        return self.won / self.accounts if self.accounts else 0.0


def backtest(scored: pl.DataFrame, tier_order: tuple[str, ...], tier_from: dt.date | None = None,
             outcome_from: dt.date | None = None) -> Backtest:
    """`scored` has SCORED_COLUMNS; `tier_order` names the tiers as the plan orders them (Not target is added)."""
    order = tier_order if NOT_TARGET in tier_order else (*tier_order, NOT_TARGET)
    accounts, won = scored.height, int(scored.get_column("won").sum())
    base = won / accounts if accounts else 0.0
    counts = scored.group_by("tier").agg(pl.len().alias("accounts"), pl.col("won").sum().alias("won"))
    tiers = (
        pl.DataFrame({"tier": list(order)})
        .join(counts, on="tier", how="left", maintain_order="left")
        .with_columns(pl.col("accounts", "won").fill_null(0).cast(pl.Int64))
        .with_columns(*rates(base))
    )
    floor = tiers.filter(pl.col("tier") == NOT_TARGET).get_column("win_rate").first()
    # a target tier that converts worse than the accounts the plan does not target at all
    below = (pl.col("tier") != NOT_TARGET) & (pl.col("win_rate") < floor) if floor is not None else pl.lit(False)
    tiers = tiers.with_columns(below.fill_null(False).alias("below_not_target"))
    return Backtest(accounts, won, tiers, _bands(scored), auc(scored.get_column("fit_score"), scored.get_column("won")),
                    gains(scored), tier_from, outcome_from)


def _bands(scored: pl.DataFrame) -> pl.DataFrame:
    """The fit score's quantile bins, as the lift table bins any number, lowest first."""
    lift = attribute_lift(scored, scored.get_column("won"), ["fit_score"])
    order = {label: i for i, label in enumerate(lift.bins.get("fit_score", {}))}
    return (
        lift.rows.sort(pl.col("value").replace_strict(order, default=len(order)))
        .select(pl.col("value").alias("band"), "accounts", "won", "win_rate", "lift", "low", "high")
    )


def auc(score: pl.Series, won: pl.Series) -> float | None:
    """Mann-Whitney: (sum of the won accounts' average ranks - P(P+1)/2) / (P * N)."""
    positives = int(won.sum())
    negatives = won.len() - positives
    if positives == 0 or negatives == 0:
        return None
    ranks = score.cast(pl.Float64).rank("average")
    rank_sum = float(ranks.filter(won).sum())
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def gains(scored: pl.DataFrame) -> pl.DataFrame:
    """The share of all wins held by the top 10%, 20%, ... of accounts by fit score (ties by account_id)."""
    size = scored.height
    total = max(int(scored.get_column("won").sum()), 1)
    cuts = pl.DataFrame({"top": list(GAIN_SHARES)}).with_columns(
        (pl.col("top") * size).ceil().cast(pl.Int64).alias("accounts"))
    ranked = scored.sort(["fit_score", "account_id"], descending=[True, False]).select(
        (pl.int_range(1, pl.len() + 1, dtype=pl.Int64)).alias("accounts"),
        pl.col("won").cast(pl.Int64).cum_sum().alias("won"),
    )
    return cuts.join(ranked, on="accounts", how="left", maintain_order="left").with_columns(
        pl.col("won").fill_null(0), (pl.col("won").fill_null(0) / total).alias("share_of_wins"))


def judged_later(earlier: pl.DataFrame, later: pl.DataFrame) -> pl.DataFrame:
    """Each account's tier and fit score at the earlier snapshot with its outcome at the later one.

    `earlier` has account_id, tier, fit_score; `later` has account_id, won. Only accounts in both count:
    one added since had no tier then, one gone since has no outcome now.
    """
    return earlier.select("account_id", "tier", "fit_score").join(
        later.select("account_id", "won"), on="account_id", how="inner", maintain_order="left")


def misplaced(scored: pl.DataFrame) -> pl.DataFrame:
    """Won accounts the plan puts outside every target tier: what its rules miss, highest fit score first."""
    return scored.filter(pl.col("won") & (pl.col("tier") == NOT_TARGET)).sort(
        ["fit_score", "account_id"], descending=[True, False])
