"""Lookalikes: not-yet-won accounts that look most like the won ones, per tier ("Tier 3 accounts that look
like Tier 1"), ranked by the suggested criteria's score, each with the criteria it meets as its reason."""

from __future__ import annotations

import polars as pl

from abm_tui.engine.outcomes.suggest import Suggestions
from abm_tui.plan import rules

PER_TIER = 10
LOOKALIKE_COLUMNS = ("tier", "account_id", "name", "fit_score", "icp_score", "reason")


def icp_score(frame: pl.DataFrame, suggestions: Suggestions) -> tuple[pl.Expr, pl.Expr]:
    """The suggested criteria's points per account, and the names of those it meets (`a; b`)."""
    masks = [rules.to_expr(s.where, frame.schema) for s in suggestions.items]
    score = pl.sum_horizontal(pl.when(m).then(s.points).otherwise(0) for m, s in zip(masks, suggestions.items,
                                                                                        strict=True))
    reason = pl.concat_str([pl.when(m).then(pl.lit(s.name)) for m, s in zip(masks, suggestions.items, strict=True)],
                           separator="; ", ignore_nulls=True)
    return score.alias("icp_score"), reason.alias("reason")


def lookalikes(frame: pl.DataFrame, scored: pl.DataFrame, suggestions: Suggestions, tier_order: tuple[str, ...],
               per_tier: int = PER_TIER) -> pl.DataFrame:
    """Up to `per_tier` not-won accounts per tier (in plan order), most ICP points first.

    `frame` is the account table the suggestions read; `scored` (account_id, tier, fit_score, won) is its
    backtest frame, row for row.
    """
    if not suggestions.items:
        return pl.DataFrame(schema=dict.fromkeys(LOOKALIKE_COLUMNS, pl.String))
    score, reason = icp_score(frame, suggestions)
    order = {tier: i for i, tier in enumerate(tier_order)}
    names = frame.get_column("name") if "name" in frame.columns else frame.get_column("account_id")
    return (
        frame.select(score, reason)
        .hstack([*scored.select("tier", "account_id", "fit_score", "won").get_columns(), names.alias("name")])
        .filter(~pl.col("won") & (pl.col("icp_score") > 0))
        .sort([pl.col("tier").replace_strict(order, default=len(order)), "icp_score", "fit_score", "account_id"],
              descending=[False, True, True, False])
        .filter(pl.int_range(pl.len()).over("tier") < per_tier)
        .select(LOOKALIKE_COLUMNS)
    )
