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

import numpy as np
import polars as pl

from abm_tui.errors import AbmError, nearest
from abm_tui.ingest import cleaning, columns, presets, readers
from abm_tui.ingest.matching import MatchReport

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
    guessed: tuple[tuple[str, str], ...] = ()  # mappings from everyday-word guesses or the data (the id), not a preset
    contact_lines: tuple[str, ...] = ()  # the contacts file's own summary (ingest.contacts), when the plan names one

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
                late = self.events_after_as_of
                said = "row is dated after as_of and is" if late == 1 else "rows are dated after as_of and are"
                lines.append(f"  {late:,} {said} ignored")
        lines.extend(self.contact_lines)
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
    if "account_id" not in frame.columns:
        raise AbmError(
            f"{path}: no account_id column; expected a column named account_id, or map one with "
            f'[data.columns] account_id = "<header>"'
            + column_hint("account_id", frame.columns, [c for c in frame.columns if not presets.is_flag(frame[c])])
        )
    frame, located = _from_location(frame)
    copied = {header for canonical, header in layout.mapping if header != canonical}
    given_ids = frame.get_column("account_id")
    stage = presets.crm_stage_values(layout)
    if (why := columns.misfit(frame)) is not None:
        raise AbmError(f"{path}: {why}")
    frame, notes = columns.type_columns(frame, table.first_row, copied, None if stage is None else {"crm_stage": stage})
    frame, dropped = _drop_bad_ids(frame, table.first_row, given_ids)
    guessed = tuple(
        (canonical, header) for canonical, header in layout.mapping
        if (layout.preset is presets.CANONICAL or canonical == "account_id") and (canonical, header) not in mapping
    )
    report = LoadReport(str(path), frame.height + len(dropped), dropped, (*table.notes, *located, *notes),
                        preset=layout.preset.name, layout=layout.describe(), guessed=guessed)
    return Accounts(frame, report)


def column_hint(name: str, columns: list[str], offered: list[str] | None = None, shown: int = 15) -> str:
    """The nearest of the `offered` headers (all by default) if one is close, else the headers the file does have."""
    close = nearest(name, columns if offered is None else offered)
    if close:
        return close
    more = f", ... ({len(columns)} in all)" if len(columns) > shown else ""
    return f"; columns found: {', '.join(columns[:shown])}{more}"


def _apply_mapping(frame: pl.DataFrame, mapping: tuple[tuple[str, str], ...], path: Path) -> pl.DataFrame:
    """Canonical columns are copies of the mapped headers; the originals stay usable in rules."""
    frame = frame.rename({c: c.strip() for c in frame.columns if c != c.strip()})
    for canonical, header in mapping:
        if header not in frame.columns:
            raise AbmError(f'{path}: no column "{header}" to read {canonical} from (as [data.columns] or --id says)'
                           + column_hint(header, frame.columns))
    return frame.with_columns(pl.col(header).alias(canonical) for canonical, header in mapping)


def _from_location(frame: pl.DataFrame) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """`city`, `state` and `country` from the parts of a one-cell `location`, each only where the file has no
    such column of its own, and said in the report."""
    if "location" not in frame.columns:
        return frame, ()
    parts = {name: part for name, part in cleaning.location_parts("location").items() if name not in frame.columns}
    if not parts:
        return frame, ()
    return frame.with_columns(part.alias(name) for name, part in parts.items()), (
        f"{', '.join(parts)} from the parts of location (\"City, State\" or \"city, region, country\")",)


def _drop_bad_ids(frame: pl.DataFrame, first_row: int, given: pl.Series) -> tuple[pl.DataFrame, tuple[DroppedRow, ...]]:
    """Blank ids and every repeat after an id's first row go, each listed with its spreadsheet row.

    Most files have none, and whole-number ids (a CRM's record ids) are checked as numbers, many times
    faster than as the text they become.
    """
    check = given if given.dtype.is_integer() else frame.get_column("account_id")
    blank_text = check.dtype == pl.String and bool((check == "").any())
    if check.null_count() == 0 and not blank_text and check.n_unique() == check.len():
        return frame, ()
    ids = pl.col("account_id")
    blank = ids.is_null() | (ids == "")
    bad = frame.select((blank | ~ids.is_first_distinct()).arg_true()).to_series()
    listed = frame.select(pl.col("account_id").gather(bad), blank.gather(bad).alias("_blank"))
    dropped = tuple(
        DroppedRow(row + first_row, "blank account_id" if is_blank else "duplicate account_id",
                   None if is_blank else aid)
        for row, (aid, is_blank) in zip(bad.to_list(), listed.iter_rows(), strict=True)
    )
    keep = pl.Series(np.ones(frame.height, dtype=bool)).scatter(bad, False)
    return frame.filter(keep), dropped


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
    count = pl.lit(1.0)
    if "count" in frame.columns:  # a Parquet count is a number already: reading it as text costs seconds at 20M
        numeric = frame.schema["count"].is_numeric()
        count = (pl.col("count").cast(pl.Float64) if numeric else cleaning.money("count")).fill_null(1.0)
    texts = [(pl.col(c).cast(pl.String) if c in frame.columns else pl.lit(None, pl.String)).alias(c)
             for c in ("campaign",)]
    labels = [
        (pl.col(c).cast(pl.String) if c in frame.columns else pl.lit(None, pl.String)).cast(pl.Categorical).alias(c)
        for c in ("intent_theme", "persona")
    ]
    keys = [columns.id_text(frame.get_column(c).cast(pl.String)) for c in KEY_COLUMNS if c in frame.columns]
    typed = frame.select(
        *keys,
        cleaning.as_date(frame.get_column("date")),
        _tidy_channels(frame.get_column("channel")),
        *texts,
        *labels,
        count.alias("count"),
        *(["_line"] if "_line" in frame.columns else []),
    )
    _refuse_endless_counts(typed, path, table.first_row)
    return Events(typed, table.first_row, tuple(notes))


def _refuse_endless_counts(events: pl.DataFrame, path: Path, first_row: int) -> None:
    """A count of inf or nan (a Parquet float, `1e400` in text) would make every sum it joins inf or nan, and
    nan compares false with everything, so the file is refused, naming the first such row."""
    endless = events.select((~pl.col("count").is_finite()).arg_true()).to_series()
    if endless.len():
        value = events.get_column("count")[endless[0]]
        raise AbmError(f"{path}: {endless.len():,} row{'s' if endless.len() > 1 else ''} with a count of {value} "
                       f"(first at row {endless[0] + first_row}); expected a finite number of events")


# Per-account engagement columns an accounts file may carry (a LinkedIn company report or a marketing export
# merged in): the channel each counts, by its header in snake case. The design's channel names count as well.
_CHANNEL_NAMES = ("ad_impression", "ad_click", "ad_engagement", "website_visit", "pricing_page_visit",
                  "demo_request", "webinar", "email_open", "email_click", "content_download", "form_fill")
AGGREGATED = {
    **AD_METRICS, **{name: name for name in _CHANNEL_NAMES}, **{f"{name}s": name for name in _CHANNEL_NAMES},
    "ad_impressions_count": "ad_impression", "website_visits": "website_visit", "site_visits": "website_visit",
    "web_visits": "website_visit", "visits": "website_visit", "pricing_visits": "pricing_page_visit",
    "pricing_page_views": "pricing_page_visit", "demo_requests": "demo_request", "demos_requested": "demo_request",
    "webinar_attendances": "webinar", "webinars_attended": "webinar", "email_opens": "email_open",
    "email_clicks": "email_click", "downloads": "content_download", "content_downloads": "content_download",
    "form_fills": "form_fill", "form_submissions": "form_fill",
}


def aggregated_engagement(accounts: pl.DataFrame, day: dt.date) -> tuple[pl.DataFrame | None, tuple[str, ...]]:
    """Engagement from the accounts file's own per-account columns (`pricing_visits`, `demo_requests`, LinkedIn
    `Impressions` and `Clicks` per company), as the design's "Data in" allows, when there is no engagement file:
    one event row per account and channel with the column's figure as its count, dated `day` (the file gives
    totals, not dates), in the shape `load_dataset` gives matched events. None when the file has no such column."""
    found: dict[str, str] = {}
    for column in accounts.columns:
        channel = AGGREGATED.get(re.sub(r"[^a-z0-9]+", "_", column.lower()).strip("_"))
        if channel and accounts.schema[column].is_numeric() and channel not in found.values():
            found[column] = channel
    if not found:
        return None, ()
    wide = accounts.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"),
                           *(pl.col(column).cast(pl.Float64).alias(channel) for column, channel in found.items()))
    long = wide.unpivot(index="_row", variable_name="channel", value_name="count").filter(pl.col("count") > 0)
    events = long.select(
        pl.lit(day, pl.Date).alias("date"), pl.col("channel").cast(pl.Categorical),
        pl.lit(None, pl.String).alias("campaign"), *(pl.lit(None, pl.String).cast(pl.Categorical).alias(c)
                                                     for c in ("intent_theme", "persona")),
        "count", "_row",
    )
    mapped = ", ".join(f"{column} as {channel}" for column, channel in found.items())
    return events, (f"engagement from the accounts file's own columns: {mapped}; dated {day.isoformat()}, since "
                    "the file gives totals, not dates (set as_of in the plan to fix the day)",)


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


def _tidy_channels(channels: pl.Series) -> pl.Series:
    """Channel names trimmed and lower-cased, with blanks and `n/a`-style names missing; once per distinct name."""
    labels = channels.cast(pl.String).cast(pl.Categorical)
    names = labels.unique().drop_nulls().cast(pl.String)
    tidy = names.str.strip_chars().str.to_lowercase()
    missing = tidy.is_in(cleaning.MISSING_TOKENS)
    if names.equals(tidy) and not missing.any():
        return labels
    kept = tidy.set(missing, None)
    mapping = dict(zip(names.to_list(), kept.to_list(), strict=True))
    return labels.cast(pl.String).replace_strict(mapping, return_dtype=pl.String).cast(pl.Categorical)
