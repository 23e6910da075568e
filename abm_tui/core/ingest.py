"""Reading the planner's files into canonical frames, with a report of everything dropped or changed.

Rows are counted as a spreadsheet counts them (the header is row 1), so a planner can find them.
Nothing is dropped silently: blank and duplicate ids, unparseable numbers and unmatched events are
all counted in the `LoadReport`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from abm_tui.core import cleaning, presets, readers
from abm_tui.core.errors import AbmError, nearest
from abm_tui.core.matching import MatchReport

NUMERIC_COLUMNS = {"employees": pl.Int64, "annual_revenue": pl.Float64, "opportunity_amount": pl.Float64}
TEXT_COLUMNS = ("account_id", "name", "domain", "industry", "country", "region", "funding_stage", "crm_stage", "owner")
_TEXT_SUFFIXES = {".csv": None, ".txt": None, ".tsv": "\t", ".tab": "\t"}
_MAX_LISTED = 20


@dataclass(frozen=True)
class DroppedRow:
    row: int
    reason: str
    account_id: str | None = None

    def __str__(self) -> str:
        shown = f" ({self.account_id!r})" if self.account_id else ""
        return f"row {self.row}{shown}: {self.reason}"


@dataclass(frozen=True)
class LoadReport:
    """What happened to the input, for `run`'s summary, `validate`'s listing and the status line."""

    accounts_file: str
    rows_read: int
    dropped: tuple[DroppedRow, ...] = ()
    notes: tuple[str, ...] = ()
    events_file: str | None = None
    events_read: int = 0
    events_dropped: int = 0
    events_notes: tuple[str, ...] = ()
    match: MatchReport | None = field(default=None, compare=False)
    events_after_as_of: int = 0
    preset: str = "canonical"  # the layout the accounts file was read as
    layout: str = ""  # how, in words: "read as HubSpot companies export (detected); mapped ..."
    guessed: tuple[tuple[str, str], ...] = ()  # mappings that came from everyday-word guesses, not a CRM preset

    @property
    def rows_kept(self) -> int:
        return self.rows_read - len(self.dropped)

    def summary(self) -> list[str]:
        lines = [f"{self.accounts_file}: {self.rows_read:,} rows read, {self.rows_kept:,} accounts kept"]
        if self.layout:
            lines.append(f"  {self.layout}")
        if self.dropped:
            blank = sum(1 for d in self.dropped if d.account_id is None)
            dup = len(self.dropped) - blank
            lines.append(f"  dropped {len(self.dropped):,} rows: {blank:,} with a blank account_id, "
                         f"{dup:,} with a duplicate account_id (the first row of each id is kept)")
        lines.extend(f"  {note}" for note in self.notes)
        if self.events_file:
            lines.append(f"{self.events_file}: {self.events_read:,} engagement rows read")
            lines.extend(f"  {note}" for note in self.events_notes)
            if self.events_dropped:
                lines.append(f"  dropped {self.events_dropped:,} rows with a blank channel or an unreadable date")
            lines.extend(f"  {line}" for line in (self.match.summary() if self.match else []))
            if self.events_after_as_of:
                lines.append(f"  {self.events_after_as_of:,} rows are dated after as_of and are ignored")
        return lines


@dataclass(frozen=True)
class Accounts:
    frame: pl.DataFrame
    report: LoadReport = field(compare=False)


def load_accounts(path: Path, mapping: tuple[tuple[str, str], ...] = (), preset: str = "auto",
                  sheet: str | None = None) -> Accounts:
    """Read, recognise the layout, map to canonical names, clean the values, drop blank and duplicate ids."""
    table = readers.read_table(path, sheet)
    frame = table.frame
    layout = presets.resolve(preset, frame, mapping)
    frame = _apply_mapping(frame, layout.mapping, path)
    stage = presets.crm_stage_values(layout)
    frame = frame if stage is None else frame.with_columns(stage)
    if "account_id" not in frame.columns:
        raise AbmError(
            f"{path}: no account_id column; expected a column named account_id, or map one with "
            f'[data.columns] account_id = "<header>"' + column_hint("account_id", frame.columns)
        )
    frame, notes = _type_columns(frame, table.first_row)
    frame, dropped = _drop_bad_ids(frame, table.first_row)
    guessed = layout.mapping if layout.preset is presets.CANONICAL else ()
    guessed = tuple((canonical, header) for canonical, header in guessed if (canonical, header) not in mapping)
    report = LoadReport(str(path), frame.height + len(dropped), dropped, (*table.notes, *notes),
                        preset=layout.preset.name, layout=layout.describe(), guessed=guessed)
    return Accounts(frame, report)


def column_hint(name: str, columns: list[str], shown: int = 15) -> str:
    """The nearest header if one is close, else the headers the file does have."""
    close = nearest(name, columns)
    if close:
        return close
    more = f", ... ({len(columns)} in all)" if len(columns) > shown else ""
    return f"; columns found: {', '.join(columns[:shown])}{more}"


def _apply_mapping(frame: pl.DataFrame, mapping: tuple[tuple[str, str], ...], path: Path) -> pl.DataFrame:
    """Canonical columns are copies of the mapped headers; the originals stay usable in rules."""
    frame = frame.rename({c: c.strip() for c in frame.columns if c != c.strip()})
    for canonical, header in mapping:
        if header not in frame.columns:
            raise AbmError(f'{path}: [data.columns] maps {canonical} to "{header}", but the file has no such column'
                           + column_hint(header, frame.columns))
    return frame.with_columns(pl.col(header).alias(canonical) for canonical, header in mapping)


def _type_columns(frame: pl.DataFrame, first_row: int) -> tuple[pl.DataFrame, list[str]]:
    """Values as rules need them: money and sizes as numbers, enums as words, domains bare, blanks as missing.

    Any other text column that is numbers but for a few cells a spreadsheet mangled (`5/18/27`, `#####`)
    becomes numbers too, so rules can use `min`; the cells that could not be read are counted.
    """
    notes: list[str] = []
    casts = [pl.col("account_id").cast(pl.String).str.strip_chars()]
    for column, dtype in frame.schema.items():
        values = frame.get_column(column)
        target = NUMERIC_COLUMNS.get(column)
        if column == "employees" and dtype == pl.String:
            casts.extend(_employees(values))
            unread = cleaning.blank_to_null(column).is_not_null() & cleaning.employee_range(column)[0].is_null()
            notes.extend(_unreadable_note(frame, column, first_row, unread))
        elif target is not None and dtype.is_numeric():
            casts.append(pl.col(column).cast(target))
        elif dtype == pl.String and (target is not None or _mostly_numbers(values, column)):
            casts.append(cleaning.money(column).cast(target or pl.Float64, strict=False).alias(column))
            notes.extend(_unreadable_note(frame, column, first_row, cleaning.unreadable(column)))
        elif dtype == pl.String and column not in ("account_id", "domain", "tech_stack"):
            casts.append(_words(column, values))
    if "tech_stack" in frame.columns and frame.schema["tech_stack"] == pl.String:
        casts.append(_split_list(pl.col("tech_stack")))
    if "domain" in frame.columns:
        casts.append(cleaning.bare_domain("domain").alias("domain"))
    return frame.with_columns(casts), notes


def _employees(values: pl.Series) -> list[pl.Expr]:
    """Size bands keep their band in `employees_range` beside the representative count."""
    count, band = cleaning.employee_range("employees")
    if not cleaning.looks_like_ranges(values):
        return [count.alias("employees")]
    return [count.alias("employees"), band.alias("employees_range")]


def _words(column: str, values: pl.Series) -> pl.Expr:
    """Text with blanks as missing; a column of CRM enums (`COMPUTER_SOFTWARE`) reads as its UI label."""
    text = cleaning.blank_to_null(column)
    return (cleaning.readable_enum(text) if cleaning.is_enum_like(values) else text).alias(column)


def _unreadable_note(frame: pl.DataFrame, column: str, first_row: int, unread: pl.Expr) -> list[str]:
    bad = frame.select(unread.arg_true()).to_series()
    if not bad.len():
        return []
    example = frame[column][bad[0]]
    what = "value is not a number" if bad.len() == 1 else "values are not numbers"
    return [f'{column}: {bad.len():,} {what} (first at row {bad[0] + first_row}: "{example}"); treated as missing']


def _mostly_numbers(values: pl.Series, column: str) -> bool:
    """At least 98% of the first 10,000 filled cells read as numbers (ids and names never do)."""
    if column in TEXT_COLUMNS:
        return False
    sample = values.drop_nulls().head(10_000).to_frame()
    filled = sample.filter(cleaning.blank_to_null(column).is_not_null())
    if filled.height == 0:
        return False
    readable = filled.select(cleaning.money(column).is_not_null().mean()).item()
    return readable is not None and readable >= 0.98


def _split_list(column: pl.Expr) -> pl.Expr:
    """Lists arrive in CSV as `Salesforce;Snowflake` (or with `|`); blanks become an empty list."""
    unified = column.fill_null("").str.replace_all(r"\|", ";")
    return unified.str.split(";").list.eval(pl.element().str.strip_chars()).list.eval(
        pl.element().filter(pl.element() != "")
    )


def _drop_bad_ids(frame: pl.DataFrame, first_row: int) -> tuple[pl.DataFrame, tuple[DroppedRow, ...]]:
    ids = pl.col("account_id")
    indexed = frame.with_row_index("_row")
    blank = ids.is_null() | (ids == "")
    duplicate = ~blank & ~ids.is_first_distinct()
    marks = indexed.select("_row", "account_id", blank.alias("_blank"), duplicate.alias("_dup"))
    bad = marks.filter(pl.col("_blank") | pl.col("_dup"))
    dropped = tuple(
        DroppedRow(row + first_row, "blank account_id" if is_blank else "duplicate account_id",
                   None if is_blank else aid)
        for row, aid, is_blank in bad.select("_row", "account_id", "_blank").iter_rows()
    )
    if not dropped:
        return frame, ()
    keep = indexed.filter(~(blank | duplicate)).drop("_row")
    return keep, dropped


def listed(dropped: tuple[DroppedRow, ...], limit: int = _MAX_LISTED) -> list[str]:
    lines = [str(d) for d in dropped[:limit]]
    if len(dropped) > limit:
        lines.append(f"... and {len(dropped) - limit:,} more")
    return lines


@dataclass(frozen=True)
class Events:
    """Engagement rows in canonical columns, still naming their companies as the file did (matching comes next)."""

    frame: pl.DataFrame
    first_row: int  # spreadsheet row of the first record; `_line` holds each row's own when the file was reshaped
    notes: tuple[str, ...] = ()


EVENT_COLUMNS = ("account_id", "date", "channel", "count", "campaign", "intent_theme", "persona", "domain",
                 "company", "company_name", "name")
KEY_COLUMNS = ("account_id", "domain", "company", "company_name", "name")
_DATE_HEADERS = ("date", "day", "event_date", "start_date", "start_date_in_utc", "timestamp", "activity_date")
# Campaign Manager's company reports carry one row per company with a column per metric.
AD_METRICS = {
    "impressions": "ad_impression", "clicks": "ad_click", "engagements": "ad_engagement",
    "total_engagements": "ad_engagement", "leads": "form_fill", "conversions": "form_fill",
    "video_views": "ad_engagement",
}
_DATES = re.compile(r"\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2}")
_REPORT_END = re.compile(r"(?i)^\W*(?:report(?:ing)?\s+(?:period\s+)?end|end\s+date|date\s+range)[^:]*:\s*(.+)$")


def load_events(path: Path) -> Events:
    """Canonical event rows: one per account, day and channel, keyed by whatever names the company.

    Label columns become Categorical: a few dozen channels, themes and personas repeated over
    millions of rows take a fraction of the memory and group faster.
    """
    table = readers.read_table(path)
    frame = _event_headers(table.frame)
    notes = list(table.notes)
    if "channel" not in frame.columns and any(metric in frame.columns for metric in AD_METRICS):
        frame, note = _report_rows(frame, table)
        notes.append(note)
    missing = [c for c in ("date", "channel") if c not in frame.columns]
    if not any(key in frame.columns for key in KEY_COLUMNS):
        missing.insert(0, "account_id")
    if missing:
        hints = "".join(nearest(c, frame.columns) for c in missing)
        raise AbmError(f"{path}: missing column(s) {', '.join(missing)}; expected date, channel, and account_id, "
                       f"domain or company to name the account, and optionally count, campaign, intent_theme, "
                       f"persona{hints}")
    count = cleaning.money("count").fill_null(1.0) if "count" in frame.columns else pl.lit(1.0)
    texts = [(pl.col(c).cast(pl.String) if c in frame.columns else pl.lit(None, pl.String)).alias(c)
             for c in ("campaign",)]
    labels = [
        (pl.col(c).cast(pl.String) if c in frame.columns else pl.lit(None, pl.String)).cast(pl.Categorical).alias(c)
        for c in ("intent_theme", "persona")
    ]
    keys = [_tidy_ids(frame.get_column(c)) for c in KEY_COLUMNS if c in frame.columns]
    typed = frame.select(
        *keys,
        _as_date(frame.get_column("date")),
        _tidy_channels(frame.get_column("channel")),
        *texts,
        *labels,
        count.alias("count"),
        *(["_line"] if "_line" in frame.columns else []),
    )
    return Events(typed, table.first_row, tuple(notes))


def usable() -> pl.Expr:
    """A row counts when it has a channel and a readable date; the rest are dropped and counted."""
    return pl.col("channel").is_not_null() & pl.col("date").is_not_null()


def _event_headers(frame: pl.DataFrame) -> pl.DataFrame:
    """`Company Name` as company_name, `Date` as date: event files come from ad platforms, not from us."""
    renames: dict[str, str] = {}
    for header in frame.columns:
        snake = re.sub(r"[^a-z0-9]+", "_", header.lower()).strip("_")
        snake = "date" if snake in _DATE_HEADERS else snake
        known = snake in EVENT_COLUMNS or snake in AD_METRICS
        if known and snake != header and snake not in frame.columns and snake not in renames.values():
            renames[header] = snake
    return frame.rename(renames)


def _report_rows(frame: pl.DataFrame, table: readers.Table) -> tuple[pl.DataFrame, str]:
    """A company report (a row per company, a column per metric) as event rows, one per company and metric,
    dated by the report's own date column or else the end of its reporting period."""
    metrics = [m for m in AD_METRICS if m in frame.columns]
    lines = frame.with_columns((pl.int_range(pl.len()) + table.first_row).alias("_line"))
    if "date" not in frame.columns:
        end = _report_end(table)
        lines = lines.with_columns(pl.lit(end).alias("date"))
    keep = [c for c in lines.columns if c not in metrics]
    long = lines.unpivot(index=keep, on=metrics, variable_name="channel", value_name="count").with_columns(
        pl.col("channel").replace_strict(AD_METRICS, return_dtype=pl.String),
        cleaning.money(pl.col("count").cast(pl.String)).alias("count"),
    )
    long = long.filter(pl.col("count").is_not_null() & (pl.col("count") != 0))
    mapped = ", ".join(f"{m} as {AD_METRICS[m]}" for m in metrics)
    return long, f"read as an ad platform's company report: {mapped}"


def _report_end(table: readers.Table) -> dt.date:
    """The last date on a `Report End:` or `Date Range:` line, as Campaign Manager writes it (US order)."""
    for line in table.preamble:
        found = _REPORT_END.match(line)
        dates = _DATES.findall(found.group(1)) if found else []
        for text in reversed(dates):
            for fmt in ("%m/%d/%Y", "%Y-%m-%d"):
                try:
                    return dt.datetime.strptime(text, fmt).date()
                except ValueError:
                    continue
    raise AbmError(f"{table.path}: a company report with no date column and no reporting period above the "
                   "header; expected a Date column or a line such as \"Report End: 11/22/2026\"")


def _tidy_ids(ids: pl.Series) -> pl.Series:
    """Ids as text without surrounding spaces; the scan for spaces is cheaper than always stripping."""
    ids = ids.cast(pl.String)
    padded = pl.any_horizontal(
        getattr(pl.col(ids.name).str, end)(space) for end in ("starts_with", "ends_with") for space in (" ", "\t")
    )
    return ids.str.strip_chars() if ids.to_frame().select(padded.any()).item() else ids


def _as_date(column: pl.Series) -> pl.Series:
    if column.dtype == pl.Date:
        return column
    if column.dtype == pl.String:
        text = column.str.strip_chars()
        # Plain dates, or the date part of a timestamp such as 2026-11-02T10:15:00.
        return pl.select(
            pl.coalesce(text.str.to_date(strict=False), text.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False))
        ).to_series().alias(column.name)
    return column.cast(pl.Date, strict=False)


def _tidy_channels(channels: pl.Series) -> pl.Series:
    """Channel names trimmed and lower-cased, with blanks as missing; done once per distinct name."""
    labels = channels.cast(pl.String).cast(pl.Categorical)
    names = labels.unique().drop_nulls().cast(pl.String)
    tidy = names.str.strip_chars().str.to_lowercase()
    if names.equals(tidy) and not (tidy == "").any():
        return labels
    mapping = {name: clean or None for name, clean in zip(names.to_list(), tidy.to_list(), strict=True)}
    return labels.cast(pl.String).replace_strict(mapping, return_dtype=pl.String).cast(pl.Categorical)
