"""Typing a loaded account table: the cleaners of `cleaning`, applied so that a million-row export costs
little more than reading it.

The full cleaners read every form a figure can take (`€3,4 Mio`, `10,001+`), which is slow per cell, and
real exports repeat themselves: most money cells are plain `$1,200,000`, most size cells plain numbers,
and an industry or lifecycle column holds a dozen distinct values over a million rows. So each column takes
a quick vectorised reading where one is safe, sends only the cells it cannot take to the full cleaner,
and cleans a column of few distinct values once per value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor

import polars as pl

from abm_tui.ingest import cleaning
from abm_tui.ingest.presets import CrmStage

NUMERIC_COLUMNS = {"employees": pl.Int64, "annual_revenue": pl.Float64, "opportunity_amount": pl.Float64}
TEXT_COLUMNS = ("account_id", "name", "domain", "industry", "country", "region", "funding_stage", "crm_stage", "owner",
                "website", "city", "state", "postal_code", "linkedin_url", "ticker")
_PLAIN_FIGURE = r"^\$?-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$"
_BARE_HOST = r"^[a-z0-9-]+(?:\.[a-z0-9-]+)+$"
_LABEL = r"[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?"
_HOSTNAME = rf"^{_LABEL}(?:\.{_LABEL})+$"  # what HubSpot and LinkedIn can match: labels of letters, digits, hyphens
_NOT_HOSTNAMES = ("is not a hostname", "are not hostnames")
_FEW_DISTINCT = 0.25  # clean per distinct value when there are at most this many per row
_REPEATED = 0.05  # a figure column with at most this many distinct values per row is read once per value
_SAMPLE = 10_000
_WORKERS = 4
_COSTLY = (*NUMERIC_COLUMNS, "domain")  # the columns that take longest to type in a large export
_VOCABULARY = {"crm_stage": (CrmStage.NONE.value,)}  # missing-value tokens that are a column's own words

Cleaner = Callable[[pl.Expr], pl.Expr]


def misfit(frame: pl.DataFrame) -> str | None:
    """Why a canonical column holds what no cleaner reads (a Parquet or JSON file's nested or binary cells in
    opportunity_amount, domain or account_id), or None. Rules, snapshots and CSV exports all take these columns as
    numbers or text, so such a file is refused when read (before any cleaner sees it) rather than failing later."""
    for name, dtype in frame.schema.items():
        held = ("lists" if isinstance(dtype, pl.List | pl.Array) else "nested records" if isinstance(dtype, pl.Struct)
                else "binary data" if dtype == pl.Binary else None)
        if held and name == "account_id":
            return f"column account_id holds {held}; expected one id per row"
        if held and name in NUMERIC_COLUMNS:
            return f"column {name} holds {held}; expected numbers"
        if held and held != "lists" and name in TEXT_COLUMNS:  # a list of text is written as `a; b`
            return f"column {name} holds {held}; expected text"
    return None


def type_columns(frame: pl.DataFrame, first_row: int, raw: set[str],
                 before: Mapping[str, Cleaner] | None = None) -> tuple[pl.DataFrame, list[str]]:
    """Values as rules need them: money and sizes as numbers, enums as words, domains bare, blanks as missing.

    Any other text column that is numbers but for a few cells a spreadsheet mangled (`5/18/27`, `#####`)
    becomes numbers too, so rules can use `min`; the cells that could not be read are counted. Columns in
    `raw` (file headers that a canonical column copies) keep the file's own text. A column in `before` is
    first cleaned, once per distinct value, by the cleaner it names there (a preset's CRM stage words).

    Each column's kind is decided from a sample; then a quick reading takes the cells it can, and only the
    rest go to the full cleaners; a column of few distinct values is read once per value instead.
    """
    before = before or {}

    def clean(column: str) -> tuple[list[pl.Series], list[str]]:
        values = frame.get_column(column)
        values = by_value(values, before[column]) if column in before else values
        read, notes = ([], []) if column in raw else _typed(values, first_row)
        return read or ([values] if column in before else []), notes

    # Polars releases the GIL, so the columns overlap on a second core, the costliest started first so that
    # the cheap ones fill the gaps. Each column is worked on alone: a replaced column leaves a frame's columns
    # chunked unevenly, and an expression on the whole frame would first copy every column into even chunks.
    todo = sorted((column for column in frame.columns if column not in raw or column in before),
                  key=lambda column: column not in _COSTLY)
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        done = dict(zip(todo, pool.map(clean, todo), strict=True))
    results = [done[column] for column in frame.columns if column in done]
    typed = [series for read, _ in results for series in read]
    notes = [note for _, found in results for note in found]
    return frame.with_columns(typed), notes


def _typed(values: pl.Series, first_row: int) -> tuple[list[pl.Series], list[str]]:
    """A column's cleaned replacement (with any column it adds), or nothing when it is fine as read; and
    the notes on cells it could not read."""
    kind = _kind(values, values.name)
    if kind is None:
        return [], []
    if kind == "text":
        tidy = tidy_text(values, _VOCABULARY.get(values.name, ()), trim=values.name in TEXT_COLUMNS)
        return ([] if tidy is None else [tidy]), []
    fast = _select(values, _QUICK[kind]) if kind in _QUICK and not _repeated(values, kind) else None
    read = _FINISH[kind](values, fast)
    if kind == "country":
        return read, _unknown_countries(values, read, first_row)
    if kind == "domain":
        return read, _unreadable_note(values, read[0], first_row, values.name, _NOT_HOSTNAMES)
    return read, _unreadable_note(values, read[0], first_row, values.name) if kind in (*_FIGURES, "cast") else []


def _select(values: pl.Series, expression: Cleaner) -> pl.Series:
    """`expression` on one column alone, so no other column of its table is read or copied."""
    return values.to_frame().select(expression(pl.col(values.name)).alias(values.name)).to_series()


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
    if column == "tech_stack":
        return "list"
    if target is not None or _mostly_numbers(values, column):
        return "number"
    if column == "domain":
        return "domain"
    if column == "country":
        return "country"
    if cleaning.is_enum_like(values):
        return "enum"
    # `n/a`-style cells are missing in every text column; padded ones are trimmed in the columns rules and
    # exports rely on, others keep the file's text.
    return "text"


_QUICK: dict[str, Cleaner] = {
    "employees": lambda c: _plain_figure(c).round(0).cast(pl.Int64, strict=False),
    "number": lambda c: _plain_figure(c),
}
_FIGURES = ("employees", "number")


def _finish_number(values: pl.Series, fast: pl.Series | None) -> list[pl.Series]:
    target = NUMERIC_COLUMNS.get(values.name, pl.Float64)
    return [_read(values, fast, _QUICK["number"], cleaning.money).cast(target, strict=False)]


_FINISH: dict[str, Callable[[pl.Series, pl.Series | None], list[pl.Series]]] = {
    "id": lambda values, _: [values.cast(pl.String) if values.dtype.is_numeric() else id_text(values.cast(pl.String))],
    "cast": lambda values, _: [values.cast(NUMERIC_COLUMNS[values.name], strict=False)],
    "employees": lambda values, fast: _employees(values, fast),
    "number": _finish_number,
    "list": lambda values, _: [by_value(values, _split_list)],
    "domain": lambda values, _: [_domains(values, _select(values, lambda c: pl.when(_is_bare_host(c)).then(c)))],
    "enum": lambda values, _: [by_value(values, lambda c: cleaning.readable_enum(cleaning.blank_to_null(c)))],
    "country": lambda values, _: _countries(values),
}


def _countries(values: pl.Series) -> list[pl.Series]:
    """`country` written one way per country (the way most of the file writes it), with its ISO code in
    `country_iso`, read once per distinct value."""
    form = cleaning.country_form(values)
    read = by_value(values, lambda c: pl.struct(*cleaning.country(c, form))).struct.unnest()
    return [read.get_column(values.name), read.get_column("country_iso")]


def _unknown_countries(raw: pl.Series, read: list[pl.Series], first_row: int) -> list[str]:
    """Countries ISO 3166 does not name (a joint listing such as `Netherlands/ United Kingdom`), counted with the
    first one's row: they stay as written, and a home-market rule will not count them."""
    shown, codes = read
    unknown = (codes.is_null() & shown.is_not_null()).arg_true()  # blanks and `n/a` are missing, not unknown
    if not unknown.len():
        return []
    distinct = raw.gather(unknown).n_unique()
    rows = f"{unknown.len():,} row names" if unknown.len() == 1 else f"{unknown.len():,} rows name"
    return [f'country: {rows} no country ISO 3166 knows ({distinct:,} distinct, first at row '
            f'{unknown[0] + first_row}: "{raw[unknown[0]]}"); kept as written']


def tidy_text(values: pl.Series, kept: tuple[str, ...] = (), trim: bool = True) -> pl.Series | None:
    """Text with empty and `n/a`-style cells (`cleaning.MISSING_TOKENS`, but the `kept` words) missing, and
    trimmed unless `trim` is false; None when it is tidy already, as most columns are.

    Only the distinct cells short enough to be a token are lowered and looked up, and only padded columns are
    stripped: a column of long names costs a length scan, a lifecycle stage column a few distinct values, and
    neither a copy (a fifth of the full cleaner's time).
    """
    padded = trim and bool(_select(values, lambda cells: _padded(cells).any()).item())
    text = values.str.strip_chars() if padded else values
    short = (text.str.len_bytes() <= cleaning.TOKEN_BYTES).arg_true()
    cells = text.gather(short)
    distinct = cells.unique()
    tokens = distinct.filter(_select(distinct, lambda found: cleaning.is_missing_token(found, kept)))
    if not padded and not tokens.len():
        return None
    return text.scatter(short.filter(cells.is_in(tokens.implode())), None)


def id_text(ids: pl.Series) -> pl.Series:
    """Ids and the keys naming a company (domain, name) as tidy text: a row whose id is `#N/A` has no id, and an
    event naming company `n/a` names none."""
    tidy = tidy_text(ids)
    return ids if tidy is None else tidy


def _repeated(values: pl.Series, kind: str) -> bool:
    """A figure column of few distinct values (size bands, deal amounts mostly blank): reading each value
    once, both readings included, is cheaper there than the quick reading of every cell. An estimate of the
    count decides, at a fraction of the cost of counting."""
    return kind in _FIGURES and bool(_select(values, lambda c: c.approx_n_unique() <= _REPEATED * c.len()).item())


def by_value(values: pl.Series, clean: Cleaner) -> pl.Series:
    """`clean` once per distinct value when there are few (a lifecycle stage over a million rows); else per cell."""
    distinct = values.unique()
    if distinct.len() > _FEW_DISTINCT * max(values.len(), 1):
        return _select(values, clean)
    # A join takes any kind of result (a list of technologies too) and is faster than `replace_strict`.
    table = distinct.to_frame().with_columns(clean(pl.col(values.name)).alias("_clean"))
    cleaned = values.to_frame().join(table, on=values.name, how="left", maintain_order="left", nulls_equal=True)
    return cleaned.get_column("_clean").alias(values.name)


def _read(values: pl.Series, fast: pl.Series | None, quick: Cleaner, full: Cleaner) -> pl.Series:
    """The quick reading where it takes a cell, else `full`: per cell when `fast` holds the quick readings,
    else both once per distinct value."""
    if fast is None:
        return by_value(values, lambda c: pl.coalesce(quick(c), full(c)))
    return _rest(values, fast, full)


def _rest(values: pl.Series, fast: pl.Series, full: Cleaner) -> pl.Series:
    """The quick reading where it took a cell, `full` (by value) on the rest only: empty cells, missing to
    every cleaner, are not asked (a deal amount column can be nine tenths empty)."""
    pending = _unread(values, fast).arg_true()
    if not pending.len():
        return fast
    rest = by_value(values.gather(pending), full)
    return fast.cast(rest.dtype).scatter(pending, rest)


def _unread(raw: pl.Series, read: pl.Series) -> pl.Series:
    """Cells with something in them (an empty string is nothing) that `read` left missing."""
    unread = read.is_null() & raw.is_not_null()
    return unread & (raw != "") if raw.dtype == pl.String else unread


def _plain_figure(text: pl.Expr) -> pl.Expr:
    """`1200000`, `1,200,000.50` and `$1,200,000`: no other reading is possible, so no need to ask `money`.

    Anything else, padded cells included, is left to `money`. A `$` can only lead such a cell, and cutting a
    prefix costs a fraction of a search through the cell."""
    digits = text.str.strip_prefix("$").str.replace_all(",", "", literal=True).cast(pl.Float64, strict=False)
    return pl.when(text.str.contains(_PLAIN_FIGURE) & digits.is_finite()).then(digits)  # 400 nines: left to money


def _is_bare_host(text: pl.Expr) -> pl.Expr:
    """`acme.com` as it should be kept: most cells of a CRM domain field, which then need no cut at all."""
    return text.str.contains(_BARE_HOST) & ~text.str.starts_with("www.")


def _bare_host(text: pl.Expr) -> pl.Expr:
    """`acme.com` and `https://www.acme.com/`, the forms nearly every CRM domain field takes, by plain prefix
    and suffix cuts (a regex extract costs several times more); anything else goes to `bare_domain`."""
    host = text.str.strip_prefix("https://").str.strip_prefix("http://").str.strip_prefix("www.").str.strip_suffix("/")
    return pl.when(host.str.contains(_BARE_HOST)).then(host)


def _domains(values: pl.Series, bare: pl.Series) -> pl.Series:
    """The cells already bare as they are, the prefix and suffix cuts on the rest, `bare_domain` on what is left;
    what that leaves which is no hostname (`expressl&t.net`, `acme`) is missing, for the load report to name,
    rather than passed on to a CRM or ad platform that cannot match it."""
    pending = _unread(values, bare).arg_true()
    if not pending.len():
        return bare
    rest = values.gather(pending)
    cut = _rest(rest, _select(rest, _bare_host), cleaning.bare_domain)
    return bare.scatter(pending, _select(cut, lambda hosts: pl.when(hosts.str.contains(_HOSTNAME)).then(hosts)))


def _employees(values: pl.Series, plain: pl.Series | None) -> list[pl.Series]:
    """Size bands keep their band in `employees_range` beside the representative count."""
    if plain is None:
        read = by_value(values, _size_band).struct.unnest()
        counts, bands = read.get_column("count"), read.get_column("band")
    else:
        pending = _unread(values, plain).arg_true()
        if not pending.len():
            return [plain.alias("employees")]
        read = by_value(values.gather(pending), _size_band).struct.unnest()
        counts = plain.scatter(pending, read.get_column("count"))
        bands = pl.repeat(None, values.len(), dtype=pl.String, eager=True).scatter(pending, read.get_column("band"))
    if not cleaning.looks_like_ranges(values):
        return [counts.alias("employees")]
    return [counts.alias("employees"), bands.alias("employees_range")]


def _size_band(column: pl.Expr) -> pl.Expr:
    """The count of the quick reading where it takes the cell, else of `employee_range`, with its band."""
    plain = _QUICK["employees"](column)
    count, band = cleaning.employee_range(column)
    return pl.struct(pl.coalesce(plain, count).alias("count"), pl.when(plain.is_null()).then(band).alias("band"))


def _padded(text: pl.Expr) -> pl.Expr:
    """Spaces or tabs around a cell; plain prefix tests are several times cheaper than a regex."""
    return pl.any_horizontal(getattr(text.str, end)(space) for end in ("starts_with", "ends_with") for space in " \t")


def _unreadable_note(raw: pl.Series, read: pl.Series, first_row: int, column: str,
                     what: tuple[str, str] = ("is not a number", "are not numbers")) -> list[str]:
    """Cells with something in them that could not be read (`what` says as what, for one and for several),
    counted, with the first one's row."""
    candidates = _unread(raw, read).arg_true()
    text = raw.gather(candidates).cast(pl.String).str.strip_chars()
    bad = candidates.filter(~_select(text, cleaning.is_missing_token))
    if not bad.len():
        return []
    said = f"value {what[0]}" if bad.len() == 1 else f"values {what[1]}"
    return [f'{column}: {bad.len():,} {said} (first at row {bad[0] + first_row}: "{raw[bad[0]]}"); '
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
