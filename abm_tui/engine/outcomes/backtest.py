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

import numpy as np
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
    gains: pl.DataFrame  # top (share of accounts by fit score), accounts, won (expected, with ties), share_of_wins
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


def score_counts(scored: pl.DataFrame) -> pl.DataFrame:
    """Accounts and wins per distinct fit score, highest first: all that the AUC and the gains need."""
    return (
        scored.group_by("fit_score")
        .agg(pl.len().cast(pl.Int64).alias("accounts"), pl.col("won").sum().cast(pl.Int64).alias("won"))
        .sort("fit_score", descending=True)
    )


def auc(score: pl.Series, won: pl.Series) -> float | None:
    """Mann-Whitney from the score counts: each won account beats the not-won ones scored below it and ties
    half of those scored the same. None when every account is won, or none is."""
    counts = score_counts(pl.DataFrame({"fit_score": score, "won": won}))
    wins = counts.get_column("won").to_numpy().astype(np.float64)
    losses = counts.get_column("accounts").to_numpy().astype(np.float64) - wins
    positives, negatives = wins.sum(), losses.sum()
    if positives == 0 or negatives == 0:
        return None
    below = negatives - np.cumsum(losses)  # not-won accounts scored lower than each (descending) score
    return float((wins * (below + losses / 2)).sum() / (positives * negatives))


def gains(scored: pl.DataFrame) -> pl.DataFrame:
    """The share of all wins held by the top 10%, 20%, ... of accounts by fit score.

    Where a cut falls inside a group of equal scores, the group's wins are shared in proportion (what any
    order of the tied accounts gives on average), so no tie-break decides the curve.
    """
    counts = score_counts(scored)
    accounts = np.concatenate([[0], np.cumsum(counts.get_column("accounts").to_numpy())]).astype(np.float64)
    wins = np.concatenate([[0], np.cumsum(counts.get_column("won").to_numpy())]).astype(np.float64)
    total = max(wins[-1], 1.0)
    cuts = np.ceil(np.array(GAIN_SHARES) * scored.height)
    won = np.interp(cuts, accounts, wins)  # linear inside a tie group: its wins in proportion
    return pl.DataFrame({"top": list(GAIN_SHARES), "accounts": cuts.astype(np.int64), "won": won,
                         "share_of_wins": won / total})


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
