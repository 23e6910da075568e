"""Cleaning the values real exports carry: money as typed, size bands, HubSpot enums, URLs and company names."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from abm_tui.ingest.cleaning import (
    bare_domain,
    blank_to_null,
    company_key,
    employee_range,
    is_enum_like,
    looks_like_ranges,
    money,
    readable_enum,
)
from abm_tui.ingest.load import load_accounts


def cleaned(expr_of, values: list, dtype: pl.DataType = pl.String) -> list:
    """Each value run through the expression, as a planner's column would be."""
    frame = pl.DataFrame({"cell": values}, schema={"cell": dtype})
    return frame.select(expr_of("cell")).to_series().to_list()


def read_real(folder: Path, name: str) -> pl.DataFrame:
    """A real public file as plain Polars reads it, before any of abm-tui's cleaning."""
    return pl.read_csv(folder / name)


# --- money -----------------------------------------------------------------------------------------

MONEY = [
    ("$1,200,000", 1_200_000.0),
    ("1.2M", 1_200_000.0),
    ("1.2m", 1_200_000.0),
    ("€3.4 Mio", 3_400_000.0),
    ("3,4 Mio. €", 3_400_000.0),
    ("12,5 %", 12.5),
    ("12.5%", 12.5),
    ("1.5bn", 1_500_000_000.0),
    ("2 B", 2_000_000_000.0),
    ("3 Mrd", 3_000_000_000.0),
    ("EUR 1,2 Mrd.", 1_200_000_000.0),
    ("1 billion", 1_000_000_000.0),
    ("5k", 5_000.0),
    ("5K", 5_000.0),
    ("2 thousand", 2_000.0),
    ("4 Tsd", 4_000.0),
    ("3MM", 3_000_000.0),
    ("2 million", 2_000_000.0),
    ("$1.2 million", 1_200_000.0),
    ("7mn", 7_000_000.0),
    ("USD 1,200", 1_200.0),
    ("1,200 USD", 1_200.0),
    ("EUR 500", 500.0),
    ("500 EUR", 500.0),
    ("£750", 750.0),
    ("¥500", 500.0),
    ("GBP1200", 1_200.0),
    ("CHF 1'200'000", 1_200_000.0),
    ("US$ 5m", 5_000_000.0),
    ("€ 3 400", 3_400.0),
    ("1.200.000,50", 1_200_000.5),
    ("1,200,000.50", 1_200_000.5),
    ("1.200.000", 1_200_000.0),
    ("1,200", 1_200.0),
    ("1,5", 1.5),
    ("12,50", 12.5),
    ("0,500", 0.5),
    ("1,200.5", 1_200.5),
    ("(1,200)", -1_200.0),
    ("($1.2M)", -1_200_000.0),
    ("-1,200", -1_200.0),
    ("-$1,200", -1_200.0),
    ("$-1,200", -1_200.0),
    ("1,200-", -1_200.0),
    ("  42  ", 42.0),
    ("1.2E+06", 1_200_000.0),
    ("2500", 2_500.0),
    ("0", 0.0),
    ("", None),
    ("   ", None),
    ("-", None),
    ("–", None),
    ("n/a", None),
    ("N/A", None),
    ("NA", None),
    ("#N/A", None),
    ("null", None),
    ("none", None),
    (None, None),
    ("about 5M-ish", None),
    ("1.2.3", None),
    ("1,2,3", None),
    ("(1,200", None),
    ("5M-10M", None),
    ("1.2T", None),
    ("inf", None),
]


@pytest.mark.parametrize(("cell", "expected"), MONEY)
def test_money_reads_what_exports_write(cell: str | None, expected: float | None) -> None:
    assert cleaned(money, [cell]) == [pytest.approx(expected) if expected is not None else None]


def test_money_keeps_each_reading_on_its_row() -> None:
    """Plain digits are cast and the rest read apart; every result must land back on its own row."""
    for table in (MONEY, MONEY[::-1], [("12", 12.0), *MONEY, ("7", 7.0)]):
        expected = [pytest.approx(value) if value is not None else None for _, value in table]
        assert cleaned(money, [cell for cell, _ in table]) == expected
    assert cleaned(money, [None, None]) == [None, None]
    assert cleaned(money, []) == []


def test_loading_names_the_figures_it_cannot_read_and_the_first_row(tmp_path: Path) -> None:
    """Through the loader, as a planner meets it: null words, blanks and readable money are not counted."""
    cells = ["$1.2M", "", "about 5M-ish", "3,4 Mio. €", "n/a", "lots", "-", "$1,200", "12,5 %", "(1,200", "1.2.3"]
    path = tmp_path / "accounts.csv"
    pl.DataFrame({"account_id": [f"A{i}" for i in range(len(cells))], "annual_revenue": cells}).write_csv(path)
    accounts = load_accounts(path)
    assert 'annual_revenue: 4 values are not numbers (first at row 4: "about 5M-ish"); treated as missing' in (
        accounts.report.notes
    )
    read = accounts.frame.get_column("annual_revenue").to_list()
    assert read == [1_200_000.0, None, None, 3_400_000.0, None, None, None, 1200.0, 12.5, None, None]


def test_money_takes_an_expression_and_numbers_as_text() -> None:
    frame = pl.DataFrame({"revenue": [1200, None, 3]})
    assert frame.select(money(pl.col("revenue"))).to_series().to_list() == [1200.0, None, 3.0]
    assert frame.select(money("revenue")).schema["revenue"] == pl.Float64


@pytest.mark.realdata
def test_real_market_caps_read_with_dashes_as_missing(realdata: Path) -> None:
    fortune = read_real(realdata, "Fortune_1000.csv")
    accounts = load_accounts(realdata / "Fortune_1000.csv", (("account_id", "company"),))
    assert not [note for note in accounts.report.notes if "Market Cap" in note]
    caps = accounts.frame.get_column("Market Cap")
    assert caps.dtype == pl.Float64 and caps[0] == 411_690.0
    dashes_or_blank = fortune.select((pl.col("Market Cap") == "-").sum() + pl.col("Market Cap").null_count()).item()
    assert caps.null_count() == dashes_or_blank > 0


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10**13), min_size=1, max_size=40))
def test_money_round_trips_dollar_figures(amounts: list[int]) -> None:
    assert cleaned(money, [f"${x:,.0f}" for x in amounts]) == [float(x) for x in amounts]
    assert cleaned(money, [f"({x:,})" for x in amounts]) == [-float(x) for x in amounts]


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1e12, allow_nan=False), min_size=1, max_size=40))
def test_money_round_trips_millions_and_european_decimals(amounts: list[float]) -> None:
    millions = cleaned(money, [f"{x / 1e6:.1f}M" for x in amounts])
    assert millions == [pytest.approx(float(f"{x / 1e6:.1f}") * 1e6) for x in amounts]
    european = [f"{x:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".") for x in amounts]
    assert cleaned(money, european) == [pytest.approx(float(f"{x:.2f}")) for x in amounts]


# --- employee counts -------------------------------------------------------------------------------

SIZES = [
    ("1,001-5,000", 3001, "1,001-5,000"),
    ("1001 - 5000", 3001, "1,001-5,000"),
    ("10,001+", 10001, "10,001+"),
    ("10000+ employees", 10000, "10,000+"),
    ("51 to 200", 126, "51-200"),
    ("51-200 employees", 126, "51-200"),
    ("11–50", 31, "11-50"),
    ("1-10", 6, "1-10"),
    ("2-10 employees", 6, "2-10"),
    ("5,001-10,000 employees", 7501, "5,001-10,000"),
    ("Self-employed", 1, "Self-employed"),
    ("myself only", 1, "Self-employed"),
    ("Myself Only", 1, "Self-employed"),
    ("2500", 2500, None),
    ("2,500", 2500, None),
    ("1.2k", 1200, None),
    ("10k+", 10000, "10,000+"),
    ("lots", None, None),
    ("-5", None, None),
    ("", None, None),
    (None, None, None),
]


@pytest.mark.parametrize(("cell", "count", "label"), SIZES)
def test_employee_range_reads_counts_and_bands(cell: str | None, count: int | None, label: str | None) -> None:
    frame = pl.DataFrame({"size": [cell, "1-10"]}, schema={"size": pl.String})
    counts, labels = employee_range("size")
    out = frame.select(counts.alias("count"), labels.alias("label"))
    assert out.schema == pl.Schema({"count": pl.Int64, "label": pl.String})
    assert out.row(0) == (count, label)


def test_employee_range_keeps_each_reading_on_its_row() -> None:
    frame = pl.DataFrame({"size": [cell for cell, _, _ in SIZES] * 3}, schema={"size": pl.String})
    counts, labels = employee_range("size")
    out = frame.select(counts.alias("count"), labels.alias("label"))
    assert out.rows() == [(count, label) for _, count, label in SIZES] * 3


def test_employee_range_keeps_numbers_as_numbers() -> None:
    frame = pl.DataFrame({"employees": [2_200_000, None, 12]})
    counts, labels = employee_range("employees")
    assert frame.select(counts).to_series().to_list() == [2_200_000, None, 12]
    assert frame.select(labels).to_series().to_list() == [None, None, None]


@pytest.mark.slow
@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 10**6), st.integers(1, 10**6)), min_size=1, max_size=30))
def test_a_band_label_reads_back_as_the_same_band(bands: list[tuple[int, int]]) -> None:
    frame = pl.DataFrame({"size": [f"{lo:,} - {hi:,} employees" for lo, hi in bands]})
    counts, labels = employee_range("size")
    first = frame.select(counts.alias("count"), labels.alias("size"))
    again_counts, again_labels = employee_range("size")
    assert first.select(again_counts.alias("count"), again_labels.alias("size")).equals(first)
    assert first["count"].to_list() == [int((lo + hi) / 2 + 0.5) for lo, hi in bands]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1-10", "11-50", "51-200", "10,001+", None], True),
        (["2500", "300", "12", "1-10"] * 3, True),
        (["2500", "300", None, "12"], False),
        (["", None], False),
        ([], False),
    ],
)
def test_looks_like_ranges(values: list[str | None], expected: bool) -> None:
    assert looks_like_ranges(pl.Series(values, dtype=pl.String)) is expected


def test_numbers_never_look_like_ranges() -> None:
    assert looks_like_ranges(pl.Series([1, 10, 200])) is False


# --- HubSpot enums ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("COMPUTER_SOFTWARE", "Computer Software"),
        ("INFORMATION_TECHNOLOGY_AND_SERVICES", "Information Technology and Services"),
        ("FOOD_AND_BEVERAGES", "Food and Beverages"),
        ("THE_ARTS_OF_THE_WORLD", "The Arts of the World"),
        ("BANKING", "Banking"),
        ("TIER_1", "Tier 1"),
        ("Fintech", "Fintech"),
        ("HR Tech", "HR Tech"),
        (None, None),
    ],
)
def test_readable_enum(cell: str | None, expected: str | None) -> None:
    assert cleaned(readable_enum, [cell]) == [expected]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["COMPUTER_SOFTWARE", "BANKING", "INFORMATION_TECHNOLOGY_AND_SERVICES", None], True),
        (["WMT", "AMZN", "XOM"], False),
        (["US", "DE", "GB"], False),
        (["Fintech", "HR Tech", "Logistics"], False),
        (["COMPUTER_SOFTWARE", "Fintech", "HR Tech"], False),
        ([None, ""], False),
    ],
)
def test_is_enum_like(values: list[str | None], expected: bool) -> None:
    assert is_enum_like(pl.Series(values, dtype=pl.String)) is expected


@pytest.mark.realdata
def test_real_sectors_are_not_enums(realdata: Path) -> None:
    fortune = read_real(realdata, "Fortune_1000.csv")
    assert not is_enum_like(fortune["sector"])
    assert not is_enum_like(fortune["Ticker"])


# --- domains, blanks and company names -------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("https://www.Acme.com/about", "acme.com"),
        ("acme.com.", "acme.com"),
        ("WWW.acme.co.uk:443", "acme.co.uk"),
        ("mailto:x@acme.com", "acme.com"),
        ("jane@acme.com", "acme.com"),
        (" acme.com ", "acme.com"),
        ("http://www.www.acme.com/?q=1", "acme.com"),
        ("//acme.com/x", "acme.com"),
        ("https://medium.com/@acme", "medium.com"),
        ("https://www.stock.walmart.com", "stock.walmart.com"),
        ("", None),
        ("n/a", None),
        (None, None),
    ],
)
def test_bare_domain(cell: str | None, expected: str | None) -> None:
    assert cleaned(bare_domain, [cell]) == [expected]


@given(st.lists(st.text(max_size=30), min_size=1, max_size=30))
@example([".\x850", "www. acme.com", "http://http://x"])
@settings(max_examples=80, deadline=None)
def test_bare_domain_is_idempotent(cells: list[str]) -> None:
    once = cleaned(bare_domain, cells)
    assert cleaned(bare_domain, once) == once


@pytest.mark.parametrize(("cell", "expected"), [("  acme ", "acme"), ("", None), ("   ", None), (None, None)])
def test_blank_to_null(cell: str | None, expected: str | None) -> None:
    assert cleaned(blank_to_null, [cell]) == [expected]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("Acme, Inc.", "acme"),
        ("ACME Inc", "acme"),
        ("Acme Incorporated", "acme"),
        ("acme", "acme"),
        ("Acme L.L.C.", "acme"),
        ("Acme Pty Ltd", "acme"),
        ("Acme Co., Ltd.", "acme"),
        ("Acme Corporation", "acme"),
        ("BXP, Inc.", "bxp"),
        ("The Home Depot, Inc.", "home depot"),
        ("AT&T Inc.", "at and t"),
        ("Procter & Gamble Co.", "procter and gamble"),
        ("Société Générale S.A.", "societe generale"),
        ("Müller GmbH & Co. KG", "muller"),
        ("Banco Español S.p.A.", "banco espanol"),
        ("Straße AG", "strasse"),
        ("Ørsted A/S", "orsted"),
        ("Åkers AB", "akers"),
        ("Façade Göteborg Citroën", "facade goteborg citroen"),
        ("Berkshire Hathaway Holdings", "berkshire hathaway holdings"),
        ("Lowe`s Cos", "lowes"),
        ("Lowe&#8217;s", "lowes"),
        ("  The  Coca-Cola   Company ", "coca cola"),
        ("Inc", "inc"),
        ("!!!", "!!!"),
        ("", None),
        (None, None),
    ],
)
def test_company_key(cell: str | None, expected: str | None) -> None:
    assert cleaned(company_key, [cell]) == [expected]


@given(st.lists(st.text(max_size=40), min_size=1, max_size=30))
@settings(max_examples=80, deadline=None)
def test_company_key_is_idempotent(names: list[str]) -> None:
    once = cleaned(company_key, names)
    assert cleaned(company_key, once) == once


@pytest.mark.realdata
def test_company_key_reads_every_real_name(realdata: Path) -> None:
    forbes = read_real(realdata, "Forbes2000.csv")
    keys = forbes.select(company_key("name").alias("key"), "name")
    assert keys["key"].null_count() == 0
    assert keys.filter(pl.col("name") == "Lowe`s Cos")["key"].to_list() == ["lowes"]
    assert keys.filter(pl.col("key") == "").height == 0
