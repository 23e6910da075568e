"""Lookalikes: not-yet-won accounts that look most like the won ones, per tier ("Tier 3 accounts that look
like Tier 1"), ranked by the suggested criteria's score, each with the criteria it meets as its reason."""

from __future__ import annotations

import polars as pl

from abm_tui.engine.outcomes.suggest import Suggestions
from abm_tui.plan import rules

PER_TIER = 10
LOOKALIKE_COLUMNS = ("tier", "account_id", "name", "fit_score", "icp_score", "reason")


def _masks(frame: pl.DataFrame, suggestions: Suggestions) -> list[pl.Expr]:
    return [rules.to_expr(s.where, frame.schema) for s in suggestions.items]


def icp_score(frame: pl.DataFrame, suggestions: Suggestions) -> pl.Expr:
    """The suggested criteria's points per account."""
    pairs = zip(_masks(frame, suggestions), suggestions.items, strict=True)
    return pl.sum_horizontal(pl.lit(0), *(pl.when(m).then(s.points).otherwise(0) for m, s in pairs)).alias("icp_score")


def reasons(frame: pl.DataFrame, suggestions: Suggestions) -> pl.Expr:
    """The names of the suggested criteria each account meets, `a; b`."""
    pairs = zip(_masks(frame, suggestions), suggestions.items, strict=True)
    return pl.concat_str([pl.when(m).then(pl.lit(s.name)) for m, s in pairs], separator="; ",
                         ignore_nulls=True).alias("reason")


def lookalikes(frame: pl.DataFrame, scored: pl.DataFrame, suggestions: Suggestions, tier_order: tuple[str, ...],
               per_tier: int = PER_TIER) -> pl.DataFrame:
    """Up to `per_tier` not-won accounts per tier (in plan order), most ICP points first, then fit score.

    `frame` is the account table the suggestions read; `scored` (account_id, tier, fit_score, won) is its
    backtest frame, row for row. The score is one pass; the reasons are worded for the accounts shown only.
    """
    if not suggestions.items:
        return pl.DataFrame(schema=dict.fromkeys(LOOKALIKE_COLUMNS, pl.String))
    best = (
        frame.select(icp_score(frame, suggestions))
        .hstack(scored.select("tier", "fit_score", "won").get_columns())
        .with_row_index("_row")
        .filter(~pl.col("won") & (pl.col("icp_score") > 0))
        .group_by("tier")
        .agg(pl.col("_row").top_k_by(["icp_score", "fit_score", -pl.col("_row").cast(pl.Int64)], per_tier))
        .explode("_row")
        .get_column("_row")
    )
    shown = frame[best] if best.len() else frame.clear()
    order = {tier: i for i, tier in enumerate(tier_order)}
    names = pl.col("name") if "name" in frame.columns else pl.col("account_id")
    return (
        shown.select(icp_score(frame, suggestions), reasons(frame, suggestions), "account_id",
                     names.alias("name"))
        .hstack(scored[best].select("tier", "fit_score").get_columns())
        .sort([pl.col("tier").replace_strict(order, default=len(order)), "icp_score", "fit_score", "account_id"],
              descending=[False, True, True, False])
        .select(LOOKALIKE_COLUMNS)
    )


def described(frame: pl.DataFrame, accounts: pl.DataFrame, suggestions: Suggestions) -> pl.DataFrame:
    """`accounts` (with account_id, in their order) with each one's name, ICP points and the suggested criteria
    it meets, read from `frame`: why a won account the plan misses looks like the others, or does not."""
    names = pl.col("name") if "name" in frame.columns else pl.col("account_id")
    wanted = frame.filter(pl.col("account_id").is_in(accounts.get_column("account_id").implode()))
    met = reasons(wanted, suggestions) if suggestions.items else pl.lit(None, pl.String).alias("reason")
    found = wanted.select("account_id", names.alias("name"), icp_score(wanted, suggestions), met)
    return accounts.join(found, on="account_id", how="left", maintain_order="left")

