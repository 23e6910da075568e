"""Reading the values real exports carry: money as people type it, size bands, CRM enums, URLs, company names.

Everything here is a Polars expression, so a column of a million cells is cleaned by vectorised string
operations with no Python per cell, and a cell that cannot be read becomes null rather than an error: the
loader counts those and tells the planner where the first one is.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING

import polars as pl
import pycountry

if TYPE_CHECKING:
    from polars._typing import PolarsDataType

# The one table of what a cell writes when nothing is known, compared trimmed and in lower case: spreadsheet
# conventions, database dumps, and Excel's error values, which replace what the cell held (`#NAME?` is a company
# name Excel took for a formula). Every cleaner and the load report read it from here.
MISSING_TOKENS = (
    "", "-", "--", "---", "–", "—", "?", "n/a", "n.a.", "n.a", "na", "#n/a", "#na", "null", "nil", "none", "nan",
    "(blank)", "(none)", "#name?", "#value!", "#ref!", "#div/0!", "#num!", "#null!",
)
TOKEN_BYTES = max(len(token.encode()) for token in MISSING_TOKENS)  # a longer cell is never a token

_CURRENCY = (
    r"us\$|au\$|a\$|ca\$|c\$|hk\$|nz\$|s\$|r\$|mx\$|"
    r"usd|eur|gbp|chf|jpy|cny|rmb|cad|aud|nzd|sek|nok|dkk|pln|czk|huf|inr|hkd|sgd|brl|mxn|zar|krw|"
    r"[$€£¥₹₩₽₺₪฿%]"
)
_DIGITS = "0123456789"
_PLAIN_NUMBER = r"^-?[0-9]+(?:\.[0-9]+)?$"
_NOT_FIGURE = rf"(?:{_CURRENCY}|[\s\u00a0\u202f])+"
_GROUPED = r"^(?:[0-9]*|[0-9]{1,3}(?:[.'][0-9]{2,3})+|[0-9]{1,3}(?:[,'][0-9]{2,3})+)$"
_SCALE = {
    "": 1.0,
    **dict.fromkeys(("k", "thousand", "thousands", "tsd", "tausend"), 1e3),
    **dict.fromkeys(("lakh", "lakhs", "lac"), 1e5),
    **dict.fromkeys(("m", "mm", "mn", "mln", "mio", "mill", "million", "millions", "millionen"), 1e6),
    "crore": 1e7,
    **dict.fromkeys(("b", "bn", "bln", "bil", "billion", "billions", "mrd", "mrds", "milliard", "milliarden"), 1e9),
    **dict.fromkeys(("tn", "trillion", "trillions"), 1e12),
}

_BOUND = r"[0-9][0-9.,']*k?"
_CLOSED = rf"^(?P<lo>{_BOUND})-(?P<hi>{_BOUND})$"
_OPEN = rf"^(?:(?P<lo>{_BOUND})(?:\+|ormore|andmore|andover|orabove)|(?:over|morethan|above|>=|>|≥)(?P<from>{_BOUND}))$"
_RANGE_DASH = r"\s*(?:-|–|—|\bto\b|\bbis\b)\s*"
_SELF_EMPLOYED = r"^(?:self[\s-]*employed|myself(?:\s+only)?|just me|sole proprietor(?:ship)?)$"
_STAFF_WORDS = r"\b(?:employees|employee|staff|people|persons|ftes?|mitarbeiter)\b"
_RANGE_SHARE = 0.1

_ENUM = r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$"
_ENUM_SHARE = 0.9
_SMALL_WORDS = ("and", "of", "the", "in", "for", "or", "on", "to", "a", "an")

_FOLDS = {"ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ł": "l", "ı": "i", "þ": "th", "ð": "d"}
_ENTITIES = {"&amp;": "&", "&#8217;": "'", "&#39;": "'", "&#x27;": "'", "&rsquo;": "'", "&apos;": "'",
             "&quot;": " ", "&#8211;": "-", "&ndash;": "-", "&nbsp;": " "}
_LEGAL = (
    "inc", "incorporated", "llc", "ltd", "limited", "gmbh", "ag", "kg", "sa", "plc", "corp", "corporation", "co",
    "cos", "and co", "company", "companies", "bv", "nv", "se", "spa", "srl", "sas", "sarl", "ab", "asa", "as", "a s",
    "aps", "oy", "oyj", "kk", "pty", "pte", "lp", "llp",
)


def _text(column: str | pl.Expr) -> pl.Expr:
    return (pl.col(column) if isinstance(column, str) else column).cast(pl.String)


def _named_as(result: pl.Expr, column: str | pl.Expr) -> pl.Expr:
    """The result under the input's name, so `frame.with_columns(money("revenue"))` replaces the column."""
    name = column if isinstance(column, str) else column.meta.output_name(raise_if_undetermined=False)
    return result.alias(name) if name else result


def _stage(value: pl.Expr, name: str) -> pl.Expr:
    """A struct holding `value` as field `name`; later steps add fields with `.struct.with_fields`.

    Polars evaluates a subexpression again at every place it appears, and a cleaning step is used several times
    by the next; holding each step in a struct field computes it once (`money` ran seven times slower without).
    """
    return pl.struct(value.alias(name))


def _read_in_place(text: pl.Expr, skip: pl.Expr, steps: Callable[[pl.Expr], pl.Expr], field: str) -> pl.Expr:
    """`steps(cell)[field]` for each cell not in `skip`, null for the rest, without reading the skipped cells.

    Most CRM exports write money as plain digits, which a cast reads; only the other cells pay for the full
    reading, and each result goes back to its row by position (cheaper than a lookup by value).
    """
    read = ~skip
    readings = steps(text.filter(read)).struct.field(field)
    return readings.gather(pl.when(read).then(read.cast(pl.Int64).cum_sum() - 1))


def _by_distinct(
    text: pl.Expr, skip: pl.Expr, steps: Callable[[pl.Expr], pl.Expr], field: str, dtype: PolarsDataType
) -> pl.Expr:
    """`steps(cell)[field]` for each cell not in `skip`, worked out once per distinct cell and looked up per row.

    For columns that repeat a few values (size bands): there the lookup is far cheaper than reading every row.
    The cells in `skip` are not read and come back null, for the caller to fill.
    """
    distinct = text.filter(~skip).unique(maintain_order=True)
    return text.replace_strict(distinct, steps(distinct).struct.field(field), default=None, return_dtype=dtype)


def _filled_sample(values: pl.Series) -> pl.DataFrame:
    """The first 10,000 filled cells as text in a column `value`: enough to judge what kind of column it is."""
    sample = values.cast(pl.String).drop_nulls().head(10_000).to_frame("value")
    return sample.filter(blank_to_null("value").is_not_null())


def is_missing_token(text: pl.Expr, kept: tuple[str, ...] = ()) -> pl.Expr:
    """Whether a trimmed cell is one of `MISSING_TOKENS` in any case (`N/A`, `None`, `#NAME?`), except the
    `kept` ones, which are words of the column's own vocabulary (`none` is a crm_stage word)."""
    tokens = [token for token in MISSING_TOKENS if token not in kept]
    return text.str.to_lowercase().is_in(tokens)


def blank_to_null(column: str | pl.Expr, kept: tuple[str, ...] = ()) -> pl.Expr:
    """Spreadsheets pad cells, leave empty strings where nothing was typed, and write `n/a`, `-` or `#N/A`:
    all mean "not known", so all become missing (trimmed cells otherwise)."""
    text = _text(column).str.strip_chars()
    return _named_as(pl.when(~is_missing_token(text, kept)).then(text), column)


# --- money ---------------------------------------------------------------------------------------


def _money_steps(column: str | pl.Expr) -> pl.Expr:
    """A struct whose `value` field is what `money` returns for each cell.

    The figure is taken apart by stripping known characters from its ends rather than by regex capture groups,
    which Polars runs several times slower.
    """
    bare = _text(column).str.to_lowercase().str.replace_all(_NOT_FIGURE, "")
    steps = _stage(bare, "bare").struct.with_fields(
        pl.when(~pl.field("bare").is_in(MISSING_TOKENS)).then(pl.field("bare")).alias("figure")
    )
    figure = pl.field("figure")
    steps = steps.struct.with_fields(
        (figure.str.starts_with("(") == figure.str.ends_with(")")).alias("balanced"),
        figure.str.strip_chars("()").alias("core"),
    )
    core = pl.field("core")
    steps = steps.struct.with_fields(
        (figure.str.starts_with("(") | core.str.starts_with("-") | core.str.starts_with("−") | core.str.ends_with("-"))
        .alias("negative"),
        core.str.strip_chars_start("+-−").str.strip_chars_end("-").alias("body"),
    )
    body = pl.field("body")
    steps = steps.struct.with_fields(body.str.strip_chars_start(_DIGITS + ".,'").alias("unit"))
    steps = steps.struct.with_fields(
        body.str.slice(0, body.str.len_bytes() - pl.field("unit").str.len_bytes()).alias("number")
    )
    number = pl.field("number")
    steps = steps.struct.with_fields(number.str.strip_chars_end(_DIGITS).alias("upto"))
    # `number` is `head`, then its last separator, then the `tail` digits; whether that separator is a
    # decimal mark is decided from both sides of it.
    upto = pl.field("upto")
    sep = upto.str.slice(-1)
    has_sep = (sep == ".") | (sep == ",")
    head = upto.str.slice(0, upto.str.len_bytes() - 1)
    tail = number.str.slice(upto.str.len_bytes())
    steps = steps.struct.with_fields(head.alias("head"), tail.alias("tail"), sep.alias("sep"), has_sep.alias("has_sep"))
    head, tail, sep = pl.field("head"), pl.field("tail"), pl.field("sep")
    thousands = pl.when(sep == ".").then(head.str.contains(".", literal=True)).otherwise(
        head.str.contains(",", literal=True) | (head.str.contains(r"^[1-9][0-9]{0,2}$") & (tail.str.len_bytes() == 3))
    )
    steps = steps.struct.with_fields((pl.field("has_sep") & ~thousands).alias("decimal"))
    decimal = pl.field("decimal")
    steps = steps.struct.with_fields(
        pl.when(decimal).then(head).otherwise(number).alias("whole"),
        pl.when(decimal).then(tail).otherwise(pl.lit("")).alias("fraction"),
    )
    whole, fraction = pl.field("whole"), pl.field("fraction")
    digits = pl.concat_str(whole.str.replace_all(r"[.,']", ""), pl.lit("."), fraction)
    scale = pl.field("unit").str.replace_all(".", "", literal=True).replace_strict(
        _SCALE, default=None, return_dtype=pl.Float64
    )
    well_formed = pl.field("balanced") & whole.str.contains(_GROUPED) & ((whole != "") | (fraction != ""))
    value = digits.cast(pl.Float64, strict=False) * scale * pl.when(pl.field("negative")).then(-1.0).otherwise(1.0)
    # Excel writes large figures as 1.2E+06; anything else Polars reads as a float (inf, nan) is not money.
    scientific = pl.when(figure.str.contains("e", literal=True)).then(figure.cast(pl.Float64, strict=False))
    return steps.struct.with_fields(pl.coalesce(scientific, pl.when(well_formed).then(value)).alias("value"))


def money(column: str | pl.Expr) -> pl.Expr:
    """A figure as a planner's exports write it (`$1,200,000`, `1.2M`, `3,4 Mio. €`, `(1,200)`) as a Float64.

    A comma is a decimal mark when it is the only separator and is followed by one or two digits (`1,5`), or when
    it comes after the dots (`1.200.000,50`); `1,200` is twelve hundred. A single dot is always a decimal mark,
    since `1.200` is how every program writes one point two. Thousands groups must be whole (`1,2,3` is not a
    number), so version strings and dates are not misread. Percentages stay the figure shown (`12,5 %` is 12.5):
    rules compare against what the planner sees in the file. A scale word this does not know (`1.2T` could be
    thousand or trillion) leaves the cell unread rather than off by a factor of a thousand, and so does a figure
    past the largest float (`1e400`).
    """
    text = _text(column)
    plain = text.str.contains(_PLAIN_NUMBER)
    value = pl.when(plain).then(text.cast(pl.Float64, strict=False)).otherwise(
        _read_in_place(text, plain, _money_steps, "value")
    )
    # `1e400` or 400 nines read as inf: no amount is that, so the cell is unread (and counted), as `inf` is.
    return _named_as(pl.when(value.is_finite()).then(value), column)


# --- employee counts -----------------------------------------------------------------------------


def _with_commas(count: pl.Expr) -> pl.Expr:
    """12345 as `12,345`: the way size bands are written in LinkedIn and CRM exports."""
    grouped = count.cast(pl.Int64).cast(pl.String).str.reverse().str.replace_all(r"(\d{3})", "${1},").str.reverse()
    return grouped.str.strip_chars_start(",")


def employee_range(column: str | pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """An employee count or size band as (a representative count, the band's label).

    A band stands for its midpoint: it is the best single guess for a company somewhere in the band (the lower
    bound would make every band look smaller than it is, and totals over a segment would come out too low), and
    it keeps the bands in order, so `employees.min = 1000` still separates `501-1,000` from `1,001-5,000`.
    An open band (`10,001+`) has no midpoint, so it stands for its lower bound, the one figure known to be true.
    The label is the band tidied (`1001 - 5000 employees` reads `1,001-5,000`) so equal bands group together;
    plain counts have no label. Whole numbers are cast; anything else is read once per distinct cell.
    """
    text = _text(column)
    whole = text.str.contains(r"^[0-9]+$")
    count = pl.when(whole).then(text.cast(pl.Int64, strict=False)).otherwise(
        _by_distinct(text, whole, _size_steps, "count", pl.Int64)
    )
    return _named_as(count, column), _named_as(_by_distinct(text, whole, _size_steps, "label", pl.String), column)


def _size_steps(text: pl.Expr) -> pl.Expr:
    """A struct with the `count` and `label` of `employee_range` for each cell of `text`."""
    words = text.str.to_lowercase().str.replace_all(_STAFF_WORDS, "").str.strip_chars()
    steps = _stage(words, "words").struct.with_fields(
        pl.field("words").str.replace_all(_RANGE_DASH, "-").str.replace_all(r"\s+", "").alias("size"),
        pl.field("words").str.contains(_SELF_EMPLOYED).alias("self_employed"),
    )
    size = pl.field("size")
    steps = steps.struct.with_fields(
        size.str.extract_groups(_CLOSED).alias("closed"), size.str.extract_groups(_OPEN).alias("open")
    )
    closed, open_band = pl.field("closed"), pl.field("open")
    floor_text = pl.coalesce(open_band.struct.field("lo"), open_band.struct.field("from"))
    # One reading serves whichever the cell holds (a band's lower bound, an open band's bound or a plain count):
    # reading money is the costly step, and this keeps it to two passes.
    low = _money_steps(pl.coalesce(closed.struct.field("lo"), floor_text, size)).struct.field("value")
    high = _money_steps(closed.struct.field("hi")).struct.field("value")
    steps = steps.struct.with_fields(
        floor_text.is_not_null().alias("is_open"),
        closed.struct.field("lo").is_not_null().alias("is_closed"),
        low.round(0, mode="half_away_from_zero").alias("first"),
        high.round(0, mode="half_away_from_zero").alias("high"),
    )
    first, high, is_open, is_closed = pl.field("first"), pl.field("high"), pl.field("is_open"), pl.field("is_closed")
    band = is_closed & first.is_not_null() & high.is_not_null()
    steps = steps.struct.with_fields(
        pl.when(band).then(pl.min_horizontal(first, high)).alias("start"),
        pl.when(band).then(pl.max_horizontal(first, high)).alias("end"),
        pl.when(is_open).then(first).alias("floor"),
    )
    start, end, floor, self_employed = pl.field("start"), pl.field("end"), pl.field("floor"), pl.field("self_employed")
    count = (
        pl.when(self_employed).then(pl.lit(1.0))
        .when(start.is_not_null()).then(((start + end) / 2).round(0, mode="half_away_from_zero"))
        .when(is_open).then(floor)
        .when(~is_closed & (first >= 0)).then(first)
    )
    label = (
        pl.when(self_employed).then(pl.lit("Self-employed"))
        .when(start.is_not_null()).then(pl.concat_str(_with_commas(start), pl.lit("-"), _with_commas(end)))
        .when(floor.is_not_null()).then(pl.concat_str(_with_commas(floor), pl.lit("+")))
    )
    return steps.struct.with_fields(count.cast(pl.Int64, strict=False).alias("count"), label.alias("label"))


def looks_like_ranges(values: pl.Series) -> bool:
    """Whether a column holds size bands (LinkedIn's `51-200`) often enough to keep the band beside the count."""
    if values.dtype.is_numeric():
        return False
    sample = _filled_sample(values)
    if sample.height == 0:
        return False
    share = sample.select(employee_range("value")[1].is_not_null().mean()).item()
    return share >= _RANGE_SHARE


# --- CRM enums -----------------------------------------------------------------------------------


def readable_enum(column: str | pl.Expr) -> pl.Expr:
    """HubSpot's `INFORMATION_TECHNOLOGY_AND_SERVICES` as `Information Technology and Services`, the label its
    UI shows, so segment rules and tables use the words the planner knows. Cells not in enum form are kept."""
    text = _text(column)
    words = text.str.replace_all("_", " ").str.to_lowercase().str.to_titlecase()
    for small in _SMALL_WORDS:
        words = words.str.replace_all(f" {small.title()} ", f" {small} ", literal=True)
    return _named_as(pl.when(text.str.contains(_ENUM)).then(words).otherwise(text), column)


def is_enum_like(values: pl.Series) -> bool:
    """Nearly every cell is an upper-case enum and some have underscores: tickers and country codes (`WMT`, `US`)
    are upper case too but never joined by underscores, and must not become `Wmt` and `Us`."""
    if values.dtype not in (pl.String, pl.Categorical):
        return False
    sample = _filled_sample(values)
    if sample.height == 0:
        return False
    text = pl.col("value").str.strip_chars()
    share, joined = sample.select(text.str.contains(_ENUM).mean().alias("share"), text.str.contains("_").any()).row(0)
    return joined and share >= _ENUM_SHARE


# --- domains and company names -------------------------------------------------------------------


def bare_domain(column: str | pl.Expr) -> pl.Expr:
    """`https://www.Acme.com/about`, `WWW.acme.com:443` and `jane@acme.com` all as `acme.com`: how CRMs and ad
    platforms match companies. Idempotent, so cleaned and raw columns can be compared by cleaning both."""
    text = _text(column).str.strip_chars().str.to_lowercase()
    steps = _stage(text, "text")
    host = (
        pl.when(~pl.field("text").is_in(MISSING_TOKENS)).then(pl.field("text"))
        .str.replace(r"^(?:[a-z][a-z0-9+.-]*://|//|mailto:)", "")
        .str.replace(r"[/?#\\].*$", "")
        .str.replace(r"^.*@", "")
        .str.replace(r":.*$", "")
        .str.replace(r"^[\s.]+", "")
        .str.replace(r"^(?:www[0-9]*[\s.]+)+", "")
        .str.replace(r"[\s.]+$", "")
    )
    steps = steps.struct.with_fields(host.alias("host"))
    host = pl.field("host")
    domain = steps.struct.with_fields(pl.when((host != "") & ~host.is_in(MISSING_TOKENS)).then(host).alias("domain"))
    return _named_as(domain.struct.field("domain"), column)


def company_key(column: str | pl.Expr) -> pl.Expr:
    """A company name reduced to what identifies it, so `Acme, Inc.`, `ACME Inc` and `Acme Incorporated` meet.

    Accents fold to plain letters, `&` reads `and`, dots and apostrophes vanish (`L.L.C.` is `llc`, `Lowe's` is
    `lowes`), other punctuation is a space, and trailing legal forms go (`Acme Pty Ltd` is `acme`). `Holdings`
    stays: `Acme Holdings` is often a different company from `Acme`. A name with nothing left keeps its lowered
    form, so it still matches itself.
    """
    steps = _stage(_text(column).str.strip_chars().str.to_lowercase(), "lowered")
    lowered = pl.field("lowered")
    text = lowered.str.replace_many(list(_ENTITIES), list(_ENTITIES.values()))
    text = text.str.normalize("NFKD").str.replace_all(r"\p{M}+", "").str.to_lowercase()
    text = text.str.replace_many(list(_FOLDS), list(_FOLDS.values())).str.replace_all("&", " and ", literal=True)
    text = text.str.replace_all(r"[.'’`´]", "").str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars()
    text = text.str.replace(r"^(?:the\s+)+", "")
    legal = "|".join(form.replace(" ", r"\s+") for form in _LEGAL)
    steps = steps.struct.with_fields(text.str.replace(rf"(?:\s+(?:{legal}))+$", "").alias("key"))
    key = pl.field("key")
    company = steps.struct.with_fields(pl.when(key != "").then(key).when(lowered != "").then(lowered).alias("company"))
    return _named_as(company.struct.field("company"), column)


def as_date(column: pl.Series) -> pl.Series:
    """Dates as exports write them: ISO days, or the day of a timestamp such as 2026-11-02T10:15:00; others empty."""
    if column.dtype == pl.Date:
        return column
    if column.dtype == pl.String:
        text = column.str.strip_chars()
        return pl.select(
            pl.coalesce(text.str.to_date(strict=False), text.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False))
        ).to_series().alias(column.name)
    return column.cast(pl.Date, strict=False)


# --- countries ---------------------------------------------------------------------------------------

# Everyday names ISO 3166 does not list, the way exports and public lists write them.
_COUNTRY_ALIASES = {
    "uk": "GB", "u.k.": "GB", "great britain": "GB", "britain": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "northern ireland": "GB", "u.s.": "US", "u.s.a.": "US", "america": "US",
    "united states of america": "US", "russia": "RU", "korea": "KR", "republic of korea": "KR", "turkey": "TR",
    "ivory coast": "CI", "holland": "NL", "the netherlands": "NL", "macedonia": "MK", "deutschland": "DE",
    "uae": "AE", "czech republic": "CZ", "vatican": "VA", "burma": "MM", "swaziland": "SZ", "cape verde": "CV",
    "east timor": "TL", "hong kong sar": "HK", "hong kong/china": "HK", "macau": "MO", "palestine": "PS",
    "the bahamas": "BS",
}


class CountryForm(StrEnum):
    """How a file writes its countries; the cleaned column writes every country the file's own way."""

    NAME = "name"
    ALPHA_2 = "alpha_2"
    ALPHA_3 = "alpha_3"


@cache
def _countries() -> tuple[list[str], dict[CountryForm, list[str]], list[CountryForm]]:
    """Every spelling ISO 3166 gives a country (alpha-2 and alpha-3 codes, names, official and common names)
    and the everyday aliases, lower-cased; for each, the country in each form, and the form the spelling is in."""
    spelled: dict[str, tuple[dict[CountryForm, str], CountryForm]] = {}
    by_code: dict[str, dict[CountryForm, str]] = {}
    for entry in pycountry.countries:
        ways = {CountryForm.NAME: getattr(entry, "common_name", None) or entry.name,
                CountryForm.ALPHA_2: entry.alpha_2, CountryForm.ALPHA_3: entry.alpha_3}
        by_code[entry.alpha_2] = ways
        names = (entry.name, getattr(entry, "official_name", None), getattr(entry, "common_name", None))
        spellings = ((entry.alpha_2, CountryForm.ALPHA_2), (entry.alpha_3, CountryForm.ALPHA_3),
                     *((name, CountryForm.NAME) for name in names))
        for spelling, form in spellings:
            if spelling:
                spelled.setdefault(spelling.lower(), (ways, form))
    for alias, code in _COUNTRY_ALIASES.items():
        spelled.setdefault(alias, (by_code[code], CountryForm.NAME))
    keys = list(spelled)
    forms = {form: [spelled[key][0][form] for key in keys] for form in CountryForm}
    return keys, forms, [spelled[key][1] for key in keys]


def _country_key(column: str | pl.Expr) -> pl.Expr:
    return blank_to_null(column).str.to_lowercase().str.replace_all(r"\s+", " ")


def country_form(values: pl.Series) -> CountryForm:
    """The form most of a column's filled cells take (a name, `US` or `USA`); names on a tie or when none is known."""
    keys, _, forms = _countries()
    read = _filled_sample(values).select(
        _country_key("value").replace_strict(keys, [str(f) for f in forms], default=None, return_dtype=pl.String)
    ).to_series()
    counts = dict(read.drop_nulls().value_counts().iter_rows())
    return max(CountryForm, key=lambda form: counts.get(str(form), 0))  # the first of equals: NAME


def country(column: str | pl.Expr, form: CountryForm = CountryForm.NAME) -> tuple[pl.Expr, pl.Expr]:
    """A country written one way, and its ISO 3166 alpha-2 code: `US`, `USA`, `United States` and `U.S.A.` are
    one country, so a home-market rule counts one. `form` is how the file mostly writes them (see
    `country_form`): rules compare against what the planner sees in the file. A value ISO does not know
    (`Netherlands/ United Kingdom`, a joint listing) keeps its text and has no code, for the loader to count."""
    keys, forms, _ = _countries()
    text = blank_to_null(column)
    key = _country_key(column)
    shown = key.replace_strict(keys, forms[form], default=None, return_dtype=pl.String)
    code = key.replace_strict(keys, forms[CountryForm.ALPHA_2], default=None, return_dtype=pl.String)
    return _named_as(pl.coalesce(shown, text), column), code.alias("country_iso")


# --- locations -------------------------------------------------------------------------------------


def location_parts(column: str | pl.Expr) -> dict[str, pl.Expr]:
    """`City, State` (S&P's `Headquarters Location`) or `city, region, country` (People Data Labs' `locality`)
    as `city`, `state` and, from three parts or more, `country`: the parts ad platforms and CRMs match on. Of
    two headquarters (`Columbus, Ohio; Detroit, Michigan`) the first is taken."""
    first = blank_to_null(column).str.split(";").list.first()
    parts = first.str.split(",").list.eval(pl.element().str.strip_chars())
    count = parts.list.len()
    return {
        "city": parts.list.get(0, null_on_oob=True),
        "state": pl.when(count >= 2).then(parts.list.get(1, null_on_oob=True)),
        "country": pl.when(count >= 3).then(parts.list.get(-1, null_on_oob=True)),
    }
