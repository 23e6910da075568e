"""Tying engagement rows to accounts by id, else domain, else company name; never guessing between two accounts.

Rows are counted as a spreadsheet counts them: with the header as row 1, the first event is row 2.
"""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest

from abm_tui.ingest.cleaning import bare_domain
from abm_tui.ingest.matching import MatchReport, match_events

BOTH_FAILED = "no account with this account_id; no account with this domain"

ACCOUNTS = pl.DataFrame(
    {
        "account_id": ["A1", "A2", "A3", "A4", "A5", "A6", "A7"],
        "name": ["Acme, Inc.", "Beta GmbH", "Walmart", "Twin Corp", "Twin Holdings", "Gamma Ltd", "Twin Corporation"],
        "domain": ["acme.com", "beta.io", "stock.walmart.com", "twins.com", "twins.com", "gamma.co.uk", "twin.org"],
    }
)


def events(**columns: list) -> pl.DataFrame:
    """An engagement frame with a `seq` column, so order and identity can be checked after matching."""
    height = len(next(iter(columns.values())))
    return pl.DataFrame({**columns, "seq": list(range(height))}, schema_overrides={
        name: pl.String for name in columns
    })


def account_ids(matched: pl.DataFrame, accounts: pl.DataFrame = ACCOUNTS) -> list[str]:
    return accounts["account_id"].gather(matched["_row"]).to_list()


def test_every_row_matched_by_id_costs_one_join() -> None:
    engagement = events(account_id=["A3", "A1", "A3", "A6"])
    matched, report = match_events(ACCOUNTS, engagement)
    assert matched.columns == ["account_id", "seq", "_row"]
    assert matched.schema["_row"] == pl.UInt32
    assert matched["_row"].to_list() == [2, 0, 2, 5]
    assert (report.rows, report.by_id, report.by_domain, report.by_name) == (4, 4, 0, 0)
    assert report.matched == 4 and report.rate == 1.0
    assert report.unmatched.height == 0
    assert report.unmatched.columns == ["account_id", "seq", "reason", "row"]
    assert report.summary() == ["engagement matched to accounts: 100.0% (4 by id)"]


def test_id_then_domain_then_company_name() -> None:
    engagement = events(
        account_id=["A2", "ZZ", None, None, ""],
        domain=["https://www.acme.com/x", "https://www.Acme.com/pricing", "nope.com", None, "jane@beta.io"],
        company=["Gamma Ltd", "Gamma Ltd", "GAMMA LIMITED", "Walmart Inc.", None],
    )
    matched, report = match_events(ACCOUNTS, engagement)
    # The id wins over a domain naming another account; the domain wins over a name.
    assert account_ids(matched) == ["A2", "A1", "A6", "A3", "A2"]
    assert (report.by_id, report.by_domain, report.by_name) == (1, 2, 2)
    assert matched.columns == engagement.columns + ["_row"]


def test_a_subdomain_in_the_crm_still_meets_the_bare_domain() -> None:
    engagement = events(domain=["https://www.walmart.com/", "shop.gamma.co.uk", "www.stock.walmart.com"])
    matched, report = match_events(ACCOUNTS, engagement)
    assert account_ids(matched) == ["A3", "A6", "A3"]
    assert report.by_domain == 3


@pytest.mark.parametrize(
    ("columns", "reason"),
    [
        ({"account_id": ["ZZ"]}, "no account with this account_id"),
        ({"domain": ["nope.com"]}, "no account with this domain"),
        ({"domain": ["twins.com"]}, "domain matches 2 accounts"),
        ({"company": ["Nobody LLC"]}, "no account with this company name"),
        ({"company": ["TWIN CORP."]}, "company name matches 2 accounts"),
        ({"name": ["Twin Corp"]}, "company name matches 2 accounts"),
        ({"account_id": [None], "domain": ["n/a"], "company": ["  "]}, "no account_id, domain or company name"),
        ({"channel": ["ads"]}, "no account_id, domain or company name"),
        ({"account_id": ["ZZ"], "domain": ["nope.com"]}, BOTH_FAILED),
        ({"account_id": [""], "company": ["Twin Corp"]}, "company name matches 2 accounts"),
    ],
)
def test_unmatched_rows_say_why(columns: dict[str, list], reason: str) -> None:
    matched, report = match_events(ACCOUNTS, events(**columns))
    assert matched.height == 0
    assert report.unmatched["reason"].to_list() == [reason]
    assert report.rate == 0.0


def test_an_ambiguous_domain_falls_back_to_a_unique_name() -> None:
    matched, report = match_events(ACCOUNTS, events(domain=["twins.com"], company=["TWIN HOLDINGS"]))
    assert report.by_name == 1 and report.unmatched.height == 0
    assert account_ids(matched) == ["A5"]


def test_company_comes_before_name_which_is_often_the_person() -> None:
    engagement = events(name=["Jane Doe", "Acme"], company=["Beta", None])
    matched, report = match_events(ACCOUNTS, engagement)
    assert account_ids(matched) == ["A2"]
    assert report.unmatched["reason"].to_list() == ["no account_id, domain or company name"]


def test_accounts_without_the_key_column_say_so() -> None:
    _, report = match_events(ACCOUNTS.drop("domain"), events(domain=["acme.com"]))
    assert report.unmatched["reason"].to_list() == ["the accounts have no domain column"]


def test_unmatched_rows_keep_their_columns_and_spreadsheet_row() -> None:
    engagement = events(
        account_id=["A1", "ZZ", "A2", None, "A1", None],
        company=[None, None, None, "Nobody", None, "Acme Incorporated"],
        channel=["ads", "web", "ads", "email", "web", "ads"],
    )
    matched, report = match_events(ACCOUNTS, engagement)
    assert report.unmatched.columns == ["account_id", "company", "channel", "seq", "reason", "row"]
    assert report.unmatched.select("seq", "row", "reason").rows() == [
        (1, 3, "no account with this account_id"),
        (3, 5, "no account with this company name"),
    ]
    assert report.unmatched["channel"].to_list() == ["web", "email"]
    _, later = match_events(ACCOUNTS, engagement, first_row=7)
    assert later.unmatched["row"].to_list() == [8, 10]


def test_matched_rows_keep_their_input_order() -> None:
    ids = ["A1", None, "A2", None, "ZZ", "A3", None, None] * 50
    names = [None, "Gamma Ltd", None, "Beta", None, None, "Acme", "Nobody"] * 50
    engagement = events(account_id=ids, company=names)
    matched, report = match_events(ACCOUNTS, engagement)
    assert matched["seq"].is_sorted()
    expected = [seq for seq, (i, n) in enumerate(zip(ids, names, strict=True)) if i in ("A1", "A2", "A3") or n in (
        "Gamma Ltd", "Beta", "Acme")]
    assert matched["seq"].to_list() == expected
    assert report.unmatched["seq"].is_sorted()
    assert report.matched + report.unmatched.height == report.rows == 400


def test_numeric_and_categorical_ids_match_text_ids() -> None:
    accounts = pl.DataFrame({"account_id": ["101", "102"], "name": ["Acme", "Beta"]})
    numeric = pl.DataFrame({"account_id": [102, 101, 999]})
    matched, report = match_events(accounts, numeric)
    assert matched["_row"].to_list() == [1, 0]
    assert matched.schema["account_id"] == pl.Int64
    assert report.unmatched["account_id"].to_list() == [999]
    labelled = pl.DataFrame({"account_id": ["101", "102"]}, schema={"account_id": pl.Categorical})
    assert match_events(accounts, labelled)[0]["_row"].to_list() == [0, 1]


def test_the_summary_counts_each_way_and_each_reason() -> None:
    engagement = events(
        account_id=["A1", "A1", None, None, None, "ZZ"],
        domain=[None, None, "beta.io", None, "twins.com", None],
        company=[None, None, None, "Gamma", None, None],
    )
    _, report = match_events(ACCOUNTS, engagement)
    assert report.summary() == [
        "engagement matched to accounts: 66.7% (2 by id, 1 by domain, 1 by company name); 2 rows unmatched",
        "  1 row: domain matches 2 accounts (first at row 6)",
        "  1 row: no account with this account_id (first at row 7)",
    ]


def test_a_nearly_complete_match_is_not_rounded_up_to_all() -> None:
    report = MatchReport(rows=10_000, by_id=9_999, by_domain=0, by_name=0,
                         unmatched=pl.DataFrame({"reason": ["x"], "row": [9]}))
    assert report.summary()[0].startswith("engagement matched to accounts: 99.9% (9,999 by id); 1 row unmatched")


def test_no_events_is_a_full_match() -> None:
    matched, report = match_events(ACCOUNTS, pl.DataFrame({"account_id": []}, schema={"account_id": pl.String}))
    assert matched.height == 0 and report.rate == 1.0
    assert report.summary() == ["engagement matched to accounts: no engagement rows"]


# --- real accounts -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fortune(realdata: Path) -> pl.DataFrame:
    raw = pl.read_csv(realdata / "Fortune_1000.csv")
    return raw.select(
        pl.format("F{}", pl.col("rank")).alias("account_id"),
        pl.col("company").alias("name"),
        bare_domain("Website").alias("domain"),
    )


@pytest.mark.realdata
def test_messy_company_names_find_fortune_accounts(fortune: pl.DataFrame, tmp_path: Path) -> None:
    rows = [
        ("", "Walmart Inc.", "", "linkedin"),
        ("", "WALMART", "", "linkedin"),
        ("", "", "https://www.walmart.com/", "g2"),
        ("", "Walmart, Inc", "https://www.walmart.com/", "bombora"),
        ("F2", "Walmart", "walmart.com", "crm"),
        ("", "Lowe's", "", "linkedin"),
        ("", "The Home Depot, Inc.", "", "linkedin"),
        ("", "PROCTER & GAMBLE CO", "", "linkedin"),
        ("", "AT&T Inc.", "", "linkedin"),
        ("", "", "WWW.APPLE.COM", "g2"),
        ("", "", "https://www.rtx.com/about", "g2"),
        ("", "Initech LLC", "", "linkedin"),
    ]
    path = tmp_path / "engagement.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([("account_id", "company", "domain", "channel"), *rows])
    engagement = pl.read_csv(path, schema_overrides={"account_id": pl.String})

    matched, report = match_events(fortune, engagement)

    names = fortune["name"].gather(matched["_row"]).to_list()
    assert names == ["Walmart"] * 4 + ["Amazon", "Lowe&#8217;s", "Home Depot", "Procter & Gamble", "AT&T", "Apple"]
    assert (report.by_id, report.by_domain, report.by_name) == (1, 3, 6)
    # Raytheon and Raytheon Technologies share rtx.com in the real file: no guess.
    assert report.unmatched.select("company", "reason", "row").rows() == [
        (None, "domain matches 2 accounts", 12),
        ("Initech LLC", "no account with this company name", 13),
    ]


@pytest.mark.realdata
def test_every_fortune_account_finds_itself_by_name_and_domain(fortune: pl.DataFrame) -> None:
    upper_names = fortune.select(pl.col("name").str.to_uppercase().alias("company")).with_row_index("seq")
    urls = fortune.select(pl.format("https://www.{}/", "domain").alias("domain")).with_row_index("seq")
    by_name, named = match_events(fortune, upper_names)
    by_domain, domained = match_events(fortune, urls)
    # Each account finds itself; only names and domains that two companies share are left out.
    assert named.rate > 0.99 and domained.rate > 0.99
    assert by_name.filter(pl.col("_row") != pl.col("seq")).height == 0
    assert by_domain.filter(pl.col("_row") != pl.col("seq")).height == 0
    assert set(named.unmatched["reason"].to_list()) <= {"company name matches 2 accounts"}
    assert set(domained.unmatched["reason"].to_list()) == {"domain matches 2 accounts"}


def test_ids_in_runs_match_as_ids_out_of_order() -> None:
    """An export lists an account's events together and each run is joined once; the same rows shuffled (joined
    row by row) must match alike, blanks and unknown ids included."""
    accounts = pl.DataFrame({"account_id": ["a", "b", "c", "b"]})
    ids = ["a", "a", "a", None, None, "zz", "b", "b", "c", "c", "c", "a"]
    runs = pl.DataFrame({"account_id": ids, "n": list(range(len(ids)))})
    shuffled = runs.sample(fraction=1.0, shuffle=True, seed=3)
    in_runs, _ = match_events(accounts, runs)
    one_by_one, _ = match_events(accounts, shuffled)
    assert in_runs.get_column("_row").to_list() == [0, 0, 0, 1, 1, 2, 2, 2, 0]
    assert in_runs.sort("n").equals(one_by_one.sort("n"))
