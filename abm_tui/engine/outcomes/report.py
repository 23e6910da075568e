"""The ICP report of one account table: outcome, lift, suggested criteria, backtest and lookalikes together,
as `abm-tui icp` prints it and the workbench would show it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from abm_tui.engine.outcomes.backtest import Backtest, backtest, judged_later, misplaced
from abm_tui.engine.outcomes.lift import Lift, attribute_lift
from abm_tui.engine.outcomes.lookalikes import lookalikes
from abm_tui.engine.outcomes.outcome import Outcome, outcome_flags
from abm_tui.engine.outcomes.suggest import Suggestions, suggest


@dataclass(frozen=True)
class Earlier:
    """The tiers and fit scores of an earlier snapshot, to be judged on today's outcomes."""

    frame: pl.DataFrame  # account_id, tier, fit_score
    tiers: tuple[str, ...]
    as_of: dt.date


@dataclass(frozen=True)
class IcpReport:
    outcome: Outcome
    lift: Lift
    suggestions: Suggestions
    backtest: Backtest
    lookalikes: pl.DataFrame  # LOOKALIKE_COLUMNS
    misplaced: pl.DataFrame  # won accounts outside the target tiers: account_id, tier, fit_score, won

    @property
    def accounts(self) -> int:
        return self.lift.accounts

    @property
    def won(self) -> int:
        return self.lift.won


def icp_report(table: pl.DataFrame, assigned: pl.DataFrame, tier_order: tuple[str, ...], outcome: Outcome,
               criteria_columns: set[str] | None = None, earlier: Earlier | None = None,
               as_of: dt.date | None = None, source: str = "the accounts file") -> IcpReport:
    """`table` is the featured account table; `assigned` its tier and fit_score row for row (with account_id).

    Suggestions read `criteria_columns` only (default: every attribute). With `earlier`, the backtest
    judges that snapshot's tiers on the outcomes in `table`, dated `as_of`; otherwise the current tiers.
    """
    won = outcome_flags(table, outcome, source)
    lift = attribute_lift(table, won)
    suggestions = suggest(table, won, lift, criteria_columns)
    scored = assigned.select("account_id", "tier", "fit_score").with_columns(won.alias("won"))
    if earlier is None:
        result = backtest(scored, tier_order, None, as_of)
    else:
        result = backtest(judged_later(earlier.frame, scored), earlier.tiers, earlier.as_of, as_of)
    return IcpReport(outcome, lift, suggestions, result, lookalikes(table, scored, suggestions, tier_order),
                     misplaced(scored))
