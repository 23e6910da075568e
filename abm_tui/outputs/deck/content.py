"""What the deck says, as neutral blocks (headings, paragraphs, charts, tables) that `html` and `markdown` render
the same way: one place for the words and the numbers' formatting, two renderings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl

from abm_tui.outputs.deck import charts
from abm_tui.outputs.deck.data import DeckData, Part

SHOWN_LIFT_ROWS = charts.SHOWN_LIFT


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Chart:
    name: str  # the file stem beside the Markdown: charts/NAME.svg
    alt: str
    svg: str


@dataclass(frozen=True)
class Table:
    head: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: frozenset[int]  # the columns aligned right


Block = Heading | Paragraph | Chart | Table
Format = tuple[str, Callable[[Any], str]]  # a column's header and how its values are written


def count(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def percent(value: float | None) -> str:
    return "–" if value is None or value != value else f"{value:.1%}"


def ratio(value: float | None) -> str:
    return "–" if value is None or value != value else f"{value:.2f}"


def frame_table(frame: pl.DataFrame, formats: dict[str, Format]) -> Table:
    """A table of `frame`'s columns named in `formats` (column -> (header, formatter)); formatted columns that are
    not text are aligned right."""
    names = list(formats)
    rows = tuple(tuple(formats[n][1](row[n]) for n in names)
                 for row in frame.select(names).iter_rows(named=True))
    numeric = frozenset(i for i, n in enumerate(names) if frame.schema[n].is_numeric())
    return Table(tuple(formats[n][0] for n in names), rows, numeric)


def deck_blocks(data: DeckData) -> list[Block]:
    """The whole deck, top to bottom."""
    blocks: list[Block] = [
        Heading(f"Planning deck: {data.plan_name}", 1),
        Paragraph(f"Plan {data.plan_source}, as of {data.as_of}. The numbers are those of `abm-tui matrix`, "
                  "`abm-tui review` and `abm-tui icp` on this plan."),
    ]
    if data.missing:
        blocks += [Heading("Not in this deck yet", 2),
                   *(Paragraph(f"{m.part}: {m.reason}") for m in data.missing)]
    return [*blocks, *_matrix(data), *_sizes(data), *_conversion(data), *_icp(data), *_plays(data)]


def _lacking(data: DeckData, part: Part) -> list[Block]:
    missing = data.lacks(part)
    return [] if missing is None else [Paragraph(f"Not shown: {missing.reason}.")]


def _matrix(data: DeckData) -> list[Block]:
    matrix, previous = data.matrix, data.previous
    caption = (f"Accounts per cell; under each count, the change against the last snapshot, {data.previous_label}."
               if previous is not None else "Accounts per cell.")
    rows = tuple(
        (label, *(f"{count(v)} ({charts.change_text(v, None if previous is None else previous.values[i, j])})"
                  if previous is not None else count(v) for j, v in enumerate(matrix.values[i].tolist())),
         count(matrix.values[i].sum()))
        for i, label in enumerate(matrix.rows)
    )
    table = Table((f"{matrix.row_dim} \\ {matrix.col_dim}", *matrix.cols, "Total"), rows,
                  frozenset(range(1, len(matrix.cols) + 2)))
    return [Heading(Part.MATRIX), Paragraph(caption), Chart("matrix", "Tier x Stage heat map",
                                                            charts.heat_map(matrix, previous)),
            *_lacking(data, Part.CHANGE), table]


def _sizes(data: DeckData) -> list[Block]:
    blocks: list[Block] = [Heading(Part.SIZES)]
    review = data.review
    if review is None:
        return [*blocks, *_lacking(data, Part.SIZES)]
    dates = review.sizes.columns[1:]
    fallback = data.matrix.rows[-1]  # the plan's fallback tier (Not target) is always its last
    return [*blocks,
            Paragraph(f"Accounts per segment in each snapshot from {review.start.as_of} to {review.end.as_of}; the "
                      f"chart draws the {charts.SHOWN_SEGMENTS} largest at the end outside {fallback}, the table lists "
                      "all."),
            Chart("sizes", "Segment sizes over the snapshots", charts.sizes_chart(review, fallback)),
            frame_table(review.sizes, {"group": ("Segment", str), **{d: (d, count) for d in dates}})]


def _conversion(data: DeckData) -> list[Block]:
    blocks: list[Block] = [Heading(Part.CONVERSION)]
    review = data.review
    if review is None:
        return [*blocks, *_lacking(data, Part.CONVERSION)]
    table = review.table
    return [*blocks,
            Paragraph(f"The review's cohort: the accounts in each segment on {review.start.as_of}. Conversion = "
                      "opportunities opened / accounts at the start; lift = conversion / all accounts' conversion "
                      "(the dashed line)."),
            *([Chart("conversion", "Conversion per segment", charts.conversion_chart(review))]
              if table.get_column("conversion_rate").is_not_null().any()
              else [Paragraph("No chart: the snapshots hold no CRM outcomes to convert (see the notes).")]),
            frame_table(table, {"group": ("Segment", str), "accounts_at_start": ("At start", count),
                                "opened": ("Opened", count), "won": ("Won", count), "lost": ("Lost", count),
                                "conversion_rate": ("Conversion", percent), "lift": ("Lift", ratio),
                                "win_rate": ("Win rate", percent)}),
            *(Paragraph(f"Note: {note}") for note in review.notes)]


def _icp(data: DeckData) -> list[Block]:
    blocks: list[Block] = [Heading(Part.ICP)]
    report = data.icp
    if report is None:
        return [*blocks, *_lacking(data, Part.ICP)]
    rows = report.lift.rows.head(SHOWN_LIFT_ROWS)
    return [*blocks,
            Paragraph(f"{report.accounts:,} accounts, {report.won:,} {report.outcome.noun}: base rate "
                      f"{report.lift.base_rate:.1%}. The {rows.height} attribute values with the most evidence, by "
                      "lift (1 = the base rate, dashed)."),
            Chart("icp_lift", "ICP lift per attribute value", charts.lift_chart(report)),
            frame_table(rows, {"column": ("Column", str), "value": ("Value", str), "accounts": ("Accounts", count),
                               "won": ("Won", count), "win_rate": ("Win rate", percent), "lift": ("Lift", ratio)})]


def _plays(data: DeckData) -> list[Block]:
    formats: dict[str, Format] = {"tier": ("Tier", str), "stage": ("Stage", str), "play": ("Play", str),
                                              "accounts": ("Accounts", count)}
    formats |= {c: (c.replace("_", " ").capitalize(), _text) for c in ("campaign", "cta", "sales_action")
                if c in data.plays.columns}
    return [Heading(Part.PLAYS), Paragraph("Each cell's plays and how many of its accounts get each."),
            frame_table(data.plays, formats)]


def _text(value: object) -> str:
    return "" if value is None else str(value)
