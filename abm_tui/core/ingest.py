"""Reading the planner's files into canonical frames, with a report of everything dropped or changed.

Rows are counted as a spreadsheet counts them (the header is row 1), so a planner can find them.
Nothing is dropped silently: blank and duplicate ids, unparseable numbers and unmatched events are
all counted in the `LoadReport`.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from abm_tui.core.errors import AbmError, nearest

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
    events_unmatched: int = 0
    unmatched_ids: int = 0
    events_after_as_of: int = 0

    @property
    def rows_kept(self) -> int:
        return self.rows_read - len(self.dropped)

    def summary(self) -> list[str]:
        lines = [f"{self.accounts_file}: {self.rows_read:,} rows read, {self.rows_kept:,} accounts kept"]
        if self.dropped:
            blank = sum(1 for d in self.dropped if d.account_id is None)
            dup = len(self.dropped) - blank
            lines.append(f"  dropped {len(self.dropped):,} rows: {blank:,} with a blank account_id, "
                         f"{dup:,} with a duplicate account_id (the first row of each id is kept)")
        lines.extend(f"  {note}" for note in self.notes)
        if self.events_file:
            lines.append(f"{self.events_file}: {self.events_read:,} engagement rows read")
            if self.events_dropped:
                lines.append(f"  dropped {self.events_dropped:,} rows with a blank account_id or channel, "
                             "or an unreadable date")
            if self.events_unmatched:
                lines.append(f"  {self.events_unmatched:,} rows name {self.unmatched_ids:,} account ids that are not "
                             "in the accounts file; they are not counted")
            if self.events_after_as_of:
                lines.append(f"  {self.events_after_as_of:,} rows are dated after as_of and are ignored")
        return lines


@dataclass(frozen=True)
class Accounts:
    frame: pl.DataFrame
    report: LoadReport = field(compare=False)


def read_table(path: Path) -> pl.DataFrame:
    """Read any supported file by its suffix; every failure becomes one message naming the file."""
    if not path.exists():
        raise AbmError(f"{path}: no such file")
    if path.is_dir():
        raise AbmError(f"{path}: is a folder; expected a data file")
    if path.stat().st_size == 0:
        raise AbmError(f"{path}: is empty; expected a header row and one row per record")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pl.read_parquet(path)
        if suffix in (".ndjson", ".jsonl"):
            return pl.read_ndjson(path)
        if suffix in (".xlsx", ".xlsm"):
            return pl.read_excel(path)
        return _read_text(path, _TEXT_SUFFIXES.get(suffix))
    except AbmError:
        raise
    except Exception as err:  # noqa: BLE001 - any reader failure on a hostile file is the planner's input

        kind = {".parquet": "Parquet", ".pq": "Parquet", ".ndjson": "NDJSON", ".jsonl": "NDJSON",
                ".xlsx": "Excel", ".xlsm": "Excel"}.get(suffix, "CSV")
        raise AbmError(f"{path}: could not be read as {kind}: {_first_line(err)}") from None


def _read_text(path: Path, separator: str | None) -> pl.DataFrame:
    text = _decode(path, path.read_bytes())
    if "\n" not in text and "\r" in text:
        text = text.replace("\r", "\n")
    separator = separator or _sniff_separator(text.split("\n", 1)[0])
    source = io.BytesIO(text.encode("utf-8"))
    try:
        return pl.read_csv(source, separator=separator, infer_schema_length=10_000)
    except pl.exceptions.ComputeError:
        source.seek(0)
        return pl.read_csv(source, separator=separator, infer_schema_length=None)


def _decode(path: Path, raw: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 as Excel's "Unicode text" writes it, else Windows-1252."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    if b"\x00" in raw[:65536]:
        raise AbmError(f"{path}: looks like a binary file; expected CSV text with a header row")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _sniff_separator(header: str) -> str:
    """The separator the header uses most, not counting any inside quoted names like "Revenue, USD"."""
    unquoted = re.sub(r'"[^"]*"', "", header)
    return max((",", ";", "\t", "|"), key=unquoted.count)


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def load_accounts(path: Path, mapping: tuple[tuple[str, str], ...] = ()) -> Accounts:
    """Read, map to canonical names, type the canonical columns, drop blank and duplicate ids."""
    frame = _apply_mapping(read_table(path), mapping, path)
    if "account_id" not in frame.columns:
        raise AbmError(
            f"{path}: no account_id column; expected a column named account_id, or map one with "
            f'[data.columns] account_id = "<header>"' + column_hint("account_id", frame.columns)
        )
    frame, notes = _type_columns(frame, path)
    frame, dropped = _drop_bad_ids(frame)
    report = LoadReport(str(path), frame.height + len(dropped), dropped, tuple(notes))
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


def _type_columns(frame: pl.DataFrame, path: Path) -> tuple[pl.DataFrame, list[str]]:
    """Canonical money and size columns become numbers; so does any other text column that is
    numbers but for a few cells a spreadsheet mangled (`5/18/27`, `#####`), so rules can use `min`."""
    notes: list[str] = []
    casts = [pl.col("account_id").cast(pl.String).str.strip_chars()]
    for column, dtype in frame.schema.items():
        target = NUMERIC_COLUMNS.get(column)
        if target is not None and dtype.is_numeric():
            casts.append(pl.col(column).cast(target))
        elif dtype == pl.String and (target is not None or _mostly_numbers(frame.get_column(column), column)):
            parsed, note = _numbers(frame, column)
            casts.append(parsed.cast(target or pl.Float64))
            notes.extend([note] if note else [])
    if "tech_stack" in frame.columns and frame.schema["tech_stack"] == pl.String:
        casts.append(_split_list(pl.col("tech_stack")))
    if "domain" in frame.columns:
        casts.append(_bare_domain(pl.col("domain")))
    return frame.with_columns(casts), notes


def _bare_domain(column: pl.Expr) -> pl.Expr:
    """`https://www.Acme.com/about` as `acme.com`: how CRMs and ad platforms match companies."""
    text = column.cast(pl.String).str.strip_chars().str.to_lowercase()
    bare = text.str.replace(r"^[a-z][a-z0-9+.-]*://", "").str.replace(r"^www\.", "").str.replace(r"[/?#:].*$", "")
    return bare.replace("", None)


def _money(column: str) -> pl.Expr:
    """`$1,200,000` and `€ 3 400` as digits; blank as missing."""
    return pl.col(column).cast(pl.String).str.replace_all(r"[$€£,\s]", "").replace("", None)


def _mostly_numbers(values: pl.Series, column: str) -> bool:
    """At least 98% of the first 10,000 filled cells read as numbers (ids and names never do)."""
    if column in TEXT_COLUMNS:
        return False
    sample = values.drop_nulls().head(10_000).to_frame()
    if sample.height == 0:
        return False
    readable = sample.select(_money(column).cast(pl.Float64, strict=False).is_not_null().mean()).item()
    return readable is not None and readable >= 0.98


def _numbers(frame: pl.DataFrame, column: str) -> tuple[pl.Expr, str]:
    cleaned = _money(column)
    parsed = cleaned.cast(pl.Float64, strict=False)
    bad = frame.select((cleaned.is_not_null() & parsed.is_null()).arg_true()).to_series()
    if not bad.len():
        return parsed, ""
    example = frame[column][bad[0]]
    what = "value is not a number" if bad.len() == 1 else "values are not numbers"
    return parsed, f'{column}: {bad.len():,} {what} (first at row {bad[0] + 2}: "{example}"); treated as missing'


def _split_list(column: pl.Expr) -> pl.Expr:
    """Lists arrive in CSV as `Salesforce;Snowflake` (or with `|`); blanks become an empty list."""
    unified = column.fill_null("").str.replace_all(r"\|", ";")
    return unified.str.split(";").list.eval(pl.element().str.strip_chars()).list.eval(
        pl.element().filter(pl.element() != "")
    )


def _drop_bad_ids(frame: pl.DataFrame) -> tuple[pl.DataFrame, tuple[DroppedRow, ...]]:
    ids = pl.col("account_id")
    indexed = frame.with_row_index("_row")
    blank = ids.is_null() | (ids == "")
    duplicate = ~blank & ~ids.is_first_distinct()
    marks = indexed.select("_row", "account_id", blank.alias("_blank"), duplicate.alias("_dup"))
    bad = marks.filter(pl.col("_blank") | pl.col("_dup"))
    dropped = tuple(
        DroppedRow(row + 2, "blank account_id" if is_blank else "duplicate account_id", None if is_blank else aid)
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


def load_events(path: Path) -> tuple[pl.DataFrame, int]:
    """Canonical event rows, and how many were dropped for a blank id or channel or an unreadable date.

    Label columns become Categorical: a few dozen channels, themes and personas repeated over
    millions of rows take a fraction of the memory and group faster.
    """
    frame = read_table(path)
    missing = [c for c in ("account_id", "date", "channel") if c not in frame.columns]
    if missing:
        hints = "".join(nearest(c, frame.columns) for c in missing)
        raise AbmError(f"{path}: missing column(s) {', '.join(missing)}; expected account_id, date, channel "
                       f"and optionally count, campaign, intent_theme, persona{hints}")
    count = pl.col("count").cast(pl.Float64, strict=False).fill_null(1.0) if "count" in frame.columns else pl.lit(1.0)
    labels = [
        (pl.col(c).cast(pl.String) if c in frame.columns else pl.lit(None, pl.String)).cast(pl.Categorical).alias(c)
        for c in ("intent_theme", "persona")
    ]
    campaign = pl.col("campaign").cast(pl.String) if "campaign" in frame.columns else pl.lit(None, pl.String)
    typed = frame.select(
        _tidy_ids(frame.get_column("account_id")),
        _as_date(frame.get_column("date")),
        _tidy_channels(frame.get_column("channel")),
        campaign.alias("campaign"),
        *labels,
        count.alias("count"),
    )
    kept = typed.filter(
        pl.col("account_id").is_not_null(), pl.col("account_id") != "", pl.col("channel").is_not_null(),
        pl.col("date").is_not_null(),
    )
    return kept, typed.height - kept.height


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
