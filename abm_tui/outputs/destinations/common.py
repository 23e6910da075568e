"""What every destination shares: the segmentation it is given, the files it drafts, and the helpers
that order labels as the plan does and split files under an importer's limits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from abm_tui.plan.model import NOT_TARGET, Plan
from abm_tui.plan.paths import input_paths

if TYPE_CHECKING:
    from abm_tui.session import Session

ABM_FIELDS = ("tier", "stage", "segment", "bucket", "play", "fit_score")


@dataclass(frozen=True)
class ExportContext:
    """One segmentation as the destinations need it: the assignments beside the accounts they describe."""

    plan: Plan
    assignments: pl.DataFrame
    accounts: pl.DataFrame
    as_of: dt.date
    preset: str
    channels: tuple[str, ...] | None
    inputs: frozenset[Path]
    events: pl.DataFrame | None = None  # the matched events, `_row` their account's row in `accounts`

    @classmethod
    def of(cls, session: Session, plan_file: Path | None = None, preset: str | None = None) -> ExportContext:
        """The session's current plan; `preset` overrides the layout the accounts were read as."""
        plan = session.plan
        chosen = preset or session.report.preset
        dataset = session.workspace.dataset
        return cls(plan, session.assignments(), dataset.accounts, session.as_of, chosen, session.workspace.channels,
                   frozenset(input_paths(plan, plan_file)), dataset.events)


@dataclass(frozen=True)
class Draft:
    """A destination's files before anything is written: names relative to the output folder."""

    files: tuple[tuple[str, pl.DataFrame | str], ...]
    warnings: tuple[str, ...]
    rows: int


def tier_names(plan: Plan) -> tuple[str, ...]:
    return tuple(t.name for t in plan.tiers) + (NOT_TARGET,)


def label_order(column: pl.Expr, names: tuple[str, ...]) -> pl.Expr:
    """A label's place in the plan (tiers and stages are ordered, first most important)."""
    return column.cast(pl.Enum(names)).to_physical().cast(pl.Int64)


def split(stem: str, joiner: str, frame: pl.DataFrame, max_rows: int,
           max_bytes: int | None = None) -> list[tuple[str, pl.DataFrame]]:
    """`[(stem, frame)]`, or numbered parts each within the row and (estimated CSV) byte limits."""
    chunks = pl.int_range(pl.len()) // max_rows
    if max_bytes is not None:
        chunks = pl.struct(chunks, csv_bytes(frame).cum_sum() // max_bytes).rle_id()
    parts = frame.with_columns(chunks.alias("_part")).partition_by("_part", include_key=False, maintain_order=True)
    if len(parts) <= 1:
        return [(stem, frame)]
    return [(f"{stem}{joiner}{i}", part) for i, part in enumerate(parts, start=1)]


def csv_bytes(frame: pl.DataFrame) -> pl.Expr:
    """Each row's length in a CSV: its UTF-8 text, quotes where a field needs them, commas, newline."""
    fields = []
    for name in frame.columns:
        text = pl.col(name).cast(pl.String)
        quoted = text.str.contains(r'[,"\r\n]') | (text == "")
        fields.append((text.str.len_bytes() + pl.when(quoted).then(2 + text.str.count_matches('"')).otherwise(0))
                      .fill_null(0))
    return pl.sum_horizontal(fields) + len(frame.columns)


def some(names: list[str], shown: int = 5) -> str:
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more
