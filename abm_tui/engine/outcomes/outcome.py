"""Which accounts count as won: the design's outcome per account, read from `crm_stage`.

The population is every account kept at load; the base rate is won / accounts. The CRM words are the
presets' (`CrmStage`), so a preset that maps its CRM's values maps the outcome too.
"""

from __future__ import annotations

from enum import StrEnum

import polars as pl

from abm_tui.errors import AbmError
from abm_tui.ingest.presets import LOST, WON, CrmStage

CRM_COLUMN = "crm_stage"
# What the CRM says happened: never an attribute, or the outcome would explain itself.
OUTCOME_COLUMNS = (CRM_COLUMN, "opportunity_amount", "close_date")


class Outcome(StrEnum):
    """`--outcome`: a won deal, or (for lists with few wins) any account that reached an opportunity."""

    WON = "won"
    OPPORTUNITY = "opportunity"

    @property
    def stages(self) -> tuple[CrmStage, ...]:
        return WON if self is Outcome.WON else (CrmStage.OPEN, *WON, *LOST)

    @property
    def noun(self) -> str:
        """How messages and reports name an account with this outcome."""
        return "won" if self is Outcome.WON else "reached an opportunity"


def outcome_expr(outcome: Outcome, column: str = CRM_COLUMN) -> pl.Expr:
    """True where the account has the outcome; an empty or unknown CRM word is not an outcome."""
    return pl.col(column).cast(pl.String).is_in([str(stage) for stage in outcome.stages]).fill_null(False)


def outcome_flags(frame: pl.DataFrame, outcome: Outcome, source: str = "the accounts file") -> pl.Series:
    """One bool per account, or a one-line AbmError saying what the data needs for an ICP to be learned."""
    if CRM_COLUMN not in frame.columns:
        raise AbmError(
            f"{source}: has no crm_stage column; ICP discovery needs each account's CRM stage "
            f"({', '.join(CrmStage)}), mapped from your CRM export (e.g. HubSpot lifecycle stage)")
    flags = frame.select(outcome_expr(outcome).alias("won")).to_series()
    if not flags.any():
        words = ", ".join(outcome.stages)
        raise AbmError(
            f"{source}: no account has {outcome.noun} (crm_stage {words}) among {frame.height:,}; ICP discovery "
            "needs some" + ("" if outcome is Outcome.OPPORTUNITY else "; try --outcome opportunity"))
    return flags
