"""Typing a loaded account table: the cleaners of `cleaning`, applied so that a million-row export costs
little more than reading it.

The full cleaners read every form a figure can take (`€3,4 Mio`, `10,001+`), which is slow per cell, and
real exports repeat themselves: most money cells are plain `$1,200,000`, most size cells plain numbers,
and an industry or lifecycle column holds a dozen distinct values over a million rows. So each column takes
a quick vectorised reading where one is safe, sends only the cells it cannot take to the full cleaner,
and cleans a column of few distinct values once per value.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import polars as pl

from abm_tui.core import cleaning

NUMERIC_COLUMNS = {"employees": pl.Int64, "annual_revenue": pl.Float64, "opportunity_amount": pl.Float64}
TEXT_COLUMNS = ("account_id", "name", "domain", "industry", "country", "region", "funding_stage", "crm_stage", "owner",
                "website", "city", "state", "postal_code", "linkedin_url", "ticker")
_PLAIN_FIGURE = r"^\$?-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$"
_BARE_HOST = r"^[a-z0-9-]+(?:\.[a-z0-9-]+)+$"
_FEW_DISTINCT = 0.25  # clean per distinct value when there are at most this many per row
_SAMPLE = 10_000
_WORKERS = 4

Cleaner = Callable[[pl.Expr], pl.Expr]


def type_columns(frame: pl.DataFrame, first_row: int, raw: set[str]) -> tuple[pl.DataFrame, list[str]]:
    """Values as rules need them: money and sizes as numbers, enums as words, domains bare, blanks as missing.

    Any other text column that is numbers but for a few cells a spreadsheet mangled (`5/18/27`, `#####`)
    becomes numbers too, so rules can use `min`; the cells that could not be read are counted. Columns in
    `raw` (file headers that a canonical column copies) keep the file's own text.

    Each column's kind is decided from a sample; then one parallel pass gives every quick reading, and
    only the cells a quick reading could not take go to the full cleaners.
    """
    kinds = {column: _kind(frame.get_column(column), column) for column in frame.columns if column not in raw}
    kinds = {column: kind for column, kind in kinds.items() if kind is not None}
    quick = frame.select(_QUICK[kind](pl.col(column)).alias(column) for column, kind in kinds.items() if kind in _QUICK)
    text = [column for column, kind in kinds.items() if kind == "text"]
    untidy = frame.select(_untidy(pl.col(column)).alias(column) for column in text).row(0, named=True) if text else {}

    def finish(column: str, kind: str) -> tuple[list[pl.Series], list[str]]:
        values = frame.get_column(column)
        if kind == "text":
            tidy = [values.to_frame().select(cleaning.blank_to_null(column)).to_series()] if untidy[column] else []
            return tidy, []
        read = _FINISH[kind](values, quick.get_column(column)) if kind in _QUICK else [trimmed(values.cast(pl.String))]
        notes = _unreadable_note(values, read[0], first_row, column) if kind in ("employees", "number") else []
        return read, notes

    # Polars releases the GIL, so the columns' finishing steps overlap on a second core.
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        done = list(pool.map(lambda item: finish(*item), kinds.items()))
    typed = [series for read, _ in done for series in read]
    notes = [note for _, found in done for note in found]
    return frame.with_columns(typed), notes


def _kind(values: pl.Series, column: str) -> str | None:
    """What a column needs, judged from its type, its name and a sample; None when it is fine as read."""
    dtype = values.dtype
    target = NUMERIC_COLUMNS.get(column)
    if column == "account_id":
        return "id"
    if dtype != pl.String:
        return "cast" if target is not None and dtype.is_numeric() else None
    if column == "employees":
        return "employees"
    if target is not None or _mostly_numbers(values, column):
        return "number"
    if column == "tech_stack":
        return "list"
    if column == "domain":
        return "domain"
    if cleaning.is_enum_like(values):
        return "enum"
    # Padded or empty cells are tidied in the columns rules and exports rely on; others stay as read.
    return "text" if column in TEXT_COLUMNS else None


_QUICK: dict[str, Cleaner] = {
    "cast": lambda c: c,
    "employees": lambda c: _plain_figure(c).round(0).cast(pl.Int64),
    "number": lambda c: _plain_figure(c),
    "list": lambda c: _split_list(c),
    "domain": lambda c: _bare_host(c),
    "enum": lambda c: c,
}


def _finish_number(values: pl.Series, fast: pl.Series) -> list[pl.Series]:
    target = NUMERIC_COLUMNS.get(values.name, pl.Float64)
    return [_rest(values, fast, cleaning.money).cast(target, strict=False)]


_FINISH: dict[str, Callable[[pl.Series, pl.Series], list[pl.Series]]] = {
    "cast": lambda values, fast: [fast.cast(NUMERIC_COLUMNS[values.name])],
    "employees": lambda values, fast: _employees(values, fast),
    "number": _finish_number,
    "list": lambda values, fast: [fast],
    "domain": lambda values, fast: [_rest(values, fast, cleaning.bare_domain)],
    "enum": lambda values, fast: [by_value(values, lambda c: cleaning.readable_enum(cleaning.blank_to_null(c)))],
}


def trimmed(ids: pl.Series) -> pl.Series:
    """Ids as text without surrounding spaces; the scan for spaces is cheaper than always stripping."""
    padded = ids.to_frame().select(_padded(pl.col(ids.name)).any()).item()
    return ids.str.strip_chars() if padded else ids


def _untidy(text: pl.Expr) -> pl.Expr:
    """Whether a text column has padded or empty cells to tidy (most have none, and are left as read)."""
    return _padded(text).any() | (text == "").any()


def by_value(values: pl.Series, clean: Cleaner) -> pl.Series:
    """`clean` once per distinct value when there are few (a lifecycle stage over a million rows); else per cell."""
    frame = values.to_frame()
    column = pl.col(values.name)
    distinct = values.unique()
    if distinct.len() > _FEW_DISTINCT * max(values.len(), 1):
        return frame.select(clean(column).alias(values.name)).to_series()
    table = distinct.to_frame().with_columns(clean(column).alias("_clean")).drop_nulls(values.name)
    cleaned = table.get_column("_clean")
    return values.replace_strict(table.get_column(values.name), cleaned, default=None,
                                 return_dtype=cleaned.dtype).alias(values.name)


def _rest(values: pl.Series, fast: pl.Series, full: Cleaner) -> pl.Series:
    """The quick reading where it took a cell, `full` (by value) on the rest only."""
    pending = (fast.is_null() & values.is_not_null()).arg_true()
    if not pending.len():
        return fast
    rest = by_value(values.gather(pending), full)
    return fast.cast(rest.dtype).scatter(pending, rest)


def _plain_figure(text: pl.Expr) -> pl.Expr:
    """`1200000`, `1,200,000.50` and `$1,200,000`: no other reading is possible, so no need to ask `money`.

    Anything else, padded cells included, is left to `money`."""
    digits = text.str.replace_all("$", "", literal=True).str.replace_all(",", "", literal=True)
    digits = digits.cast(pl.Float64, strict=False)
    return pl.when(text.str.contains(_PLAIN_FIGURE)).then(digits)


def _bare_host(text: pl.Expr) -> pl.Expr:
    """`acme.com` and `https://www.acme.com/`, the forms nearly every CRM domain field takes, by plain prefix
    and suffix cuts (a regex extract costs several times more); anything else goes to `bare_domain`."""
    host = text.str.strip_prefix("https://").str.strip_prefix("http://").str.strip_prefix("www.").str.strip_suffix("/")
    return pl.when(host.str.contains(_BARE_HOST)).then(host)


def _employees(values: pl.Series, plain: pl.Series) -> list[pl.Series]:
    """Size bands keep their band in `employees_range` beside the representative count."""
    pending = (plain.is_null() & values.is_not_null()).arg_true()
    if not pending.len():
        return [plain.alias("employees")]
    read = by_value(values.gather(pending), _size_band).struct.unnest()
    counts = plain.scatter(pending, read.get_column("count"))
    if not cleaning.looks_like_ranges(values):
        return [counts.alias("employees")]
    bands = pl.repeat(None, values.len(), dtype=pl.String, eager=True).alias("employees_range")
    bands = bands.scatter(pending, read.get_column("band"))
    return [counts.alias("employees"), bands]


def _size_band(column: pl.Expr) -> pl.Expr:
    count, band = cleaning.employee_range(column)
    return pl.struct(count.alias("count"), band.alias("band"))


def _padded(text: pl.Expr) -> pl.Expr:
    """Spaces or tabs around a cell; plain prefix tests are several times cheaper than a regex."""
    return pl.any_horizontal(getattr(text.str, end)(space) for end in ("starts_with", "ends_with") for space in " \t")


def _unreadable_note(raw: pl.Series, read: pl.Series, first_row: int, column: str) -> list[str]:
    """Cells with something in them that did not become a number, counted, with the first one's row."""
    candidates = (read.is_null() & raw.is_not_null()).arg_true()
    text = raw.gather(candidates).cast(pl.String).str.strip_chars().str.to_lowercase()
    bad = candidates.filter(~text.is_in(cleaning.NULL_TOKENS))
    if not bad.len():
        return []
    what = "value is not a number" if bad.len() == 1 else "values are not numbers"
    return [f'{column}: {bad.len():,} {what} (first at row {bad[0] + first_row}: "{raw[bad[0]]}"); '
            "treated as missing"]


def _mostly_numbers(values: pl.Series, column: str) -> bool:
    """At least 98% of the first 10,000 filled cells read as numbers (ids and names never do)."""
    if column in TEXT_COLUMNS:
        return False
    sample = values.drop_nulls().head(_SAMPLE).to_frame()
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
