"""Reading the planner's files: every format, the mess real exports carry, and one clear error for bad input.

Rows are counted as a spreadsheet counts them: the header is row 1, the first record row 2.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import polars as pl
import pytest
from helpers import usable_rows

from abm_tui.errors import AbmError
from abm_tui.ingest.load import LoadReport, listed, load_accounts, load_events
from abm_tui.ingest.matching import MatchReport
from abm_tui.ingest.readers import read_table
from abm_tui.plan.parse import loads_plan

SMALL = pl.DataFrame(
    {
        "account_id": ["A1", "A2", "A3", "A4"],
        "name": ["Acme, Inc.", "Beta GmbH", 'Gamma "G" Ltd', "Delta"],
        "industry": ["Fintech", "HR Tech", "Logistics", None],
        "employees": [250, 1200, 40, None],
        "annual_revenue": [25_000_000.5, 1_200_000.0, None, 3.0],
        "tech_stack": ["Salesforce;Snowflake", "HubSpot", "", None],
    }
)


def assert_small_accounts(frame: pl.DataFrame) -> None:
    """The SMALL frame, read back and typed as canonical accounts."""
    assert frame.get_column("account_id").to_list() == ["A1", "A2", "A3", "A4"]
    assert frame.get_column("name").to_list() == ["Acme, Inc.", "Beta GmbH", 'Gamma "G" Ltd', "Delta"]
    assert frame.get_column("industry").to_list() == ["Fintech", "HR Tech", "Logistics", None]
    assert frame.schema["employees"] == pl.Int64
    assert frame.get_column("employees").to_list() == [250, 1200, 40, None]
    assert frame.schema["annual_revenue"] == pl.Float64
    assert frame.get_column("annual_revenue").to_list() == [25_000_000.5, 1_200_000.0, None, 3.0]
    assert frame.schema["tech_stack"] == pl.List(pl.String)
    assert frame.get_column("tech_stack").to_list() == [["Salesforce", "Snowflake"], ["HubSpot"], [], []]


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


# --- formats ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "separator"),
    [
        ("accounts.csv", ","),
        ("accounts.tsv", "\t"),
        ("semicolon.csv", ";"),
        ("pipe.csv", "|"),
        ("tab_in_a.csv", "\t"),
        ("accounts.txt", ";"),
    ],
)
def test_delimited_text_round_trips(tmp_path: Path, filename: str, separator: str) -> None:
    path = tmp_path / filename
    SMALL.write_csv(path, separator=separator)
    raw = read_table(path).frame
    assert raw.columns == SMALL.columns
    assert raw.height == 4
    accounts = load_accounts(path)
    assert_small_accounts(accounts.frame)
    assert accounts.report.rows_read == 4 and accounts.report.dropped == ()


def test_parquet_round_trips_including_a_real_list_column(tmp_path: Path) -> None:
    path = tmp_path / "accounts.parquet"
    SMALL.write_parquet(path)
    assert_small_accounts(load_accounts(path).frame)
    listed_stack = SMALL.with_columns(
        pl.col("tech_stack").str.split(";").list.eval(pl.element().filter(pl.element() != "")).fill_null([])
    )
    listed_stack.write_parquet(tmp_path / "lists.parquet")
    assert_small_accounts(load_accounts(tmp_path / "lists.parquet").frame)


def test_ndjson_round_trips(tmp_path: Path) -> None:
    for name in ("accounts.ndjson", "accounts.jsonl"):
        SMALL.write_ndjson(tmp_path / name)
        assert_small_accounts(load_accounts(tmp_path / name).frame)


def test_xlsx_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "accounts.xlsx"
    SMALL.write_excel(path)
    assert_small_accounts(load_accounts(path).frame)


def test_utf8_byte_order_mark_is_not_part_of_the_first_header(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "account_id,name\nA1,Café\nA2,Zürich AG\n".encode())
    frame = read_table(path).frame
    assert frame.columns == ["account_id", "name"]
    accounts = load_accounts(path)
    assert accounts.frame.get_column("account_id").to_list() == ["A1", "A2"]
    assert accounts.frame.get_column("name").to_list() == ["Café", "Zürich AG"]


def test_utf8_bom_with_semicolons(tmp_path: Path) -> None:
    path = tmp_path / "bom_semicolon.csv"
    path.write_bytes(b"\xef\xbb\xbf" + b"account_id;name;annual_revenue\nA1;Acme;10\nA2;Beta;20\n")
    frame = load_accounts(path).frame
    assert frame.columns[:3] == ["account_id", "name", "annual_revenue"]
    assert frame.get_column("annual_revenue").to_list() == [10.0, 20.0]


def test_carriage_return_only_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "oldmac.csv"
    path.write_bytes(b"account_id,name,employees\r/company/a,#NAME?,10\r/company/b,Beta,20\r/company/c,,\r")
    frame = read_table(path).frame
    assert frame.columns == ["account_id", "name", "employees"]
    assert frame.height == 3
    accounts = load_accounts(path)
    assert accounts.frame.get_column("account_id").to_list() == ["/company/a", "/company/b", "/company/c"]
    assert accounts.frame.get_column("employees").to_list() == [10, 20, None]


def test_windows_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "crlf.csv"
    path.write_bytes(b"account_id,name\r\nA1,Acme\r\nA2,Beta\r\n")
    frame = load_accounts(path).frame
    assert frame.get_column("account_id").to_list() == ["A1", "A2"]
    assert frame.get_column("name").to_list() == ["Acme", "Beta"]


def test_semicolon_separator_is_found_when_a_quoted_header_holds_commas(tmp_path: Path) -> None:
    # A European Excel export: `;` separated, header labels with commas inside quotes.
    path = write(tmp_path / "eu.csv", 'account_id;"Revenue, USD";"Employees, total"\nA1;100;5\nA2;200;6\n')
    frame = read_table(path).frame
    assert frame.columns == ["account_id", "Revenue, USD", "Employees, total"]
    assert frame.height == 2


def test_utf16_export_with_bom_is_decoded(tmp_path: Path) -> None:
    # Excel's "Unicode text" saves UTF-16 with a BOM; read_table deliberately lets such files past
    # its binary check, so it must then decode them rather than produce NUL-riddled headers.
    path = tmp_path / "utf16.csv"
    path.write_bytes("account_id,name\nA1,Café\n".encode("utf-16"))
    frame = read_table(path).frame
    assert frame.columns == ["account_id", "name"]
    assert frame.row(0) == ("A1", "Café")


def test_windows_1252_text_is_not_silently_mangled(tmp_path: Path) -> None:
    # Excel on Windows writes CSV in cp1252. Either decode it, or say so naming the file;
    # never hand back names with replacement characters in them.
    path = tmp_path / "cp1252.csv"
    path.write_bytes("account_id,name\nA1,Café Müller\n".encode("cp1252"))
    try:
        frame = read_table(path).frame
    except AbmError as err:
        assert str(path) in str(err)
    else:
        assert frame.get_column("name").to_list() == ["Café Müller"]


# --- ids: blank and duplicate ------------------------------------------------------------------


def test_blank_and_duplicate_ids_dropped_with_spreadsheet_rows(tmp_path: Path) -> None:
    path = write(
        tmp_path / "ids.csv",
        (
            "account_id,name\n"  # row 1
            "A1,first\n"  # row 2
            "A2,second\n"  # row 3
            ",blank\n"  # row 4
            "A1,dup of A1\n"  # row 5
            "   ,spaces\n"  # row 6
            "A3,third\n"  # row 7
            " A2 ,dup of A2\n"  # row 8
        ),
    )
    accounts = load_accounts(path)
    frame = accounts.frame
    assert frame.get_column("account_id").to_list() == ["A1", "A2", "A3"]
    assert frame.get_column("name").to_list() == ["first", "second", "third"]
    report = accounts.report
    assert [(d.row, d.account_id) for d in report.dropped] == [(4, None), (5, "A1"), (6, None), (8, "A2")]
    assert [d.reason for d in report.dropped] == [
        "blank account_id",
        "duplicate account_id",
        "blank account_id",
        "duplicate account_id",
    ]
    assert report.rows_read == 7 and report.rows_kept == 3
    summary = "\n".join(report.summary())
    assert "7 rows read, 3 accounts kept" in summary
    assert "dropped 4 rows: 2 with a blank account_id, 2 with a duplicate account_id" in summary
    assert listed(report.dropped) == [
        "row 4: blank account_id",
        "row 5 ('A1'): duplicate account_id",
        "row 6: blank account_id",
        "row 8 ('A2'): duplicate account_id",
    ]
    assert listed(report.dropped, limit=2) == [
        "row 4: blank account_id",
        "row 5 ('A1'): duplicate account_id",
        "... and 2 more",
    ]


def test_numeric_ids_become_text_and_a_clean_file_drops_nothing(tmp_path: Path) -> None:
    path = write(tmp_path / "numeric_ids.csv", "account_id,name\n1,a\n2,b\n10,c\n")
    accounts = load_accounts(path)
    assert accounts.frame.schema["account_id"] == pl.String
    assert accounts.frame.get_column("account_id").to_list() == ["1", "2", "10"]
    assert accounts.report.dropped == ()
    assert accounts.report.summary() == [f"{path}: 3 rows read, 3 accounts kept"]


def test_load_report_summary_mentions_events(tmp_path: Path) -> None:
    report = LoadReport(
        "a.csv",
        10,
        events_file="e.csv",
        events_read=50,
        events_dropped=2,
        match=MatchReport(48, 40, 3, 2, pl.DataFrame({"reason": ["no account with this account_id"] * 3,
                                                       "row": [5, 9, 12]})),
        events_after_as_of=4,
    )
    text = "\n".join(report.summary())
    assert "e.csv: 50 engagement rows read" in text
    assert "dropped 2 rows" in text
    assert "matched to accounts: 93.8% (40 by id, 3 by domain, 2 by company name); 3 rows unmatched" in text
    assert "3 rows: no account with this account_id (first at row 5)" in text
    assert "4 rows are dated after as_of" in text


# --- column mapping ----------------------------------------------------------------------------


HUBSPOT = (
    "Record ID,Company name,Company Domain Name,Number of employees,Annual revenue,Industry\n"
    '101,Acme,acme.com,"1,200","$1,200,000",Fintech\n'
    "102,Beta,beta.io,80,,HR Tech\n"
)


def test_mapping_pairs_make_canonical_columns_and_keep_the_originals(tmp_path: Path) -> None:
    path = write(tmp_path / "hubspot.csv", HUBSPOT)
    mapping = (
        ("account_id", "Record ID"),
        ("name", "Company name"),
        ("domain", "Company Domain Name"),
        ("employees", "Number of employees"),
        ("annual_revenue", "Annual revenue"),
        ("industry", "Industry"),
    )
    frame = load_accounts(path, mapping).frame
    assert frame.get_column("account_id").to_list() == ["101", "102"]
    assert frame.get_column("name").to_list() == ["Acme", "Beta"]
    assert frame.get_column("domain").to_list() == ["acme.com", "beta.io"]
    assert frame.get_column("employees").to_list() == [1200, 80]
    assert frame.get_column("annual_revenue").to_list() == [1_200_000.0, None]
    assert frame.get_column("industry").to_list() == ["Fintech", "HR Tech"]
    # The file's own headers stay usable in rules.
    assert "Record ID" in frame.columns and "Company name" in frame.columns


def test_mapping_to_a_missing_header_names_it_with_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path / "hubspot.csv", HUBSPOT)
    with pytest.raises(AbmError) as info:
        load_accounts(path, (("account_id", "Record Id"),))
    message = str(info.value)
    assert str(path) in message
    assert '"Record Id"' in message and "account_id" in message
    assert "did you mean 'Record ID'" in message


def test_mapping_to_a_header_with_no_near_match_lists_the_columns(tmp_path: Path) -> None:
    # Without a close match there is no "did you mean"; the planner still needs to see what
    # headers the file has (as the no-account_id message does), or the error is a dead end.
    path = write(tmp_path / "hubspot.csv", HUBSPOT)
    with pytest.raises(AbmError) as info:
        load_accounts(path, (("account_id", "Salesforce Account Id"),))
    message = str(info.value)
    assert str(path) in message and '"Salesforce Account Id"' in message
    assert "Record ID" in message and "Company name" in message


def test_no_account_id_column_names_the_file_and_lists_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "noid.csv", "code,city,website\n1,Austin,acme.com\n")
    with pytest.raises(AbmError) as info:
        load_accounts(path)
    message = str(info.value)
    assert str(path) in message
    assert "no account_id column" in message
    assert "[data.columns]" in message
    assert "columns found: code, city, website" in message


def test_headers_with_stray_spaces_are_trimmed(tmp_path: Path) -> None:
    path = write(tmp_path / "spaces.csv", " account_id , name \nA1,Acme\n")
    frame = load_accounts(path).frame
    assert frame.columns == ["account_id", "name"]


# --- bad files: one clear AbmError each --------------------------------------------------------


def _binary(seed: int) -> bytes:
    data = bytearray(random.Random(seed).randbytes(4096))
    data[10] = 0
    data[2000] = 0
    return bytes(data)


BAD_FILES = {
    "empty": ("empty.csv", lambda p: p.write_bytes(b"")),
    "folder": ("folder.csv", lambda p: p.mkdir()),
    "missing": ("missing.csv", lambda p: None),
    "binary csv": ("random.csv", lambda p: p.write_bytes(_binary(1))),
    "binary tsv": ("random.tsv", lambda p: p.write_bytes(_binary(2))),
    "binary no suffix": ("random", lambda p: p.write_bytes(_binary(3))),
    "binary parquet": ("random.parquet", lambda p: p.write_bytes(_binary(4))),
    "binary ndjson": ("random.ndjson", lambda p: p.write_bytes(_binary(5))),
    "binary xlsx": ("random.xlsx", lambda p: p.write_bytes(_binary(6))),
    "text as parquet": ("really_text.parquet", lambda p: p.write_text("account_id,name\nA1,Acme\n")),
    "csv as ndjson": ("really_csv.ndjson", lambda p: p.write_text("account_id,name\nA1,Acme\n")),
    "newline only": ("newline.csv", lambda p: p.write_text("\n")),
    "bom only": ("bom_only.csv", lambda p: p.write_bytes(b"\xef\xbb\xbf")),
    "unterminated quote": ("quote.csv", lambda p: p.write_text('account_id,name\nA1,"never closed\nA2,b\n')),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_files_give_one_clear_error_naming_the_file(tmp_path: Path, case: str) -> None:
    filename, make = BAD_FILES[case]
    path = tmp_path / filename
    make(path)
    for reader in (read_table, load_accounts, load_events):
        with pytest.raises(AbmError) as info:
            reader(path)
        message = str(info.value)
        assert message.startswith(str(path)), message
        assert "\n" not in message and "Traceback" not in message


def test_bad_file_messages_say_what_was_wrong(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "folder").mkdir()
    (tmp_path / "random.csv").write_bytes(_binary(7))
    (tmp_path / "text.parquet").write_text("account_id\nA1\n")
    with pytest.raises(AbmError, match="is empty"):
        read_table(tmp_path / "empty.csv")
    with pytest.raises(AbmError, match="is a folder"):
        read_table(tmp_path / "folder")
    with pytest.raises(AbmError, match="no such file"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(AbmError, match="binary"):
        read_table(tmp_path / "random.csv")
    with pytest.raises(AbmError, match="could not be read as Parquet"):
        read_table(tmp_path / "text.parquet")


# --- cleaning numbers and lists ----------------------------------------------------------------


def test_currency_text_is_parsed_and_unparseable_values_are_noted_with_rows(tmp_path: Path) -> None:
    path = write(
        tmp_path / "money.csv",
        (
            "account_id,annual_revenue,employees,opportunity_amount\n"
            'A1,"$1,200,000","1,200",€5\n'  # row 2
            "A2,about 5,abc,\n"  # row 3
            'A3," £ 2 500 ",10,-3\n'  # row 4
            "A4,,,unknown\n"  # row 5
        ),
    )
    accounts = load_accounts(path)
    frame = accounts.frame
    assert frame.schema["annual_revenue"] == pl.Float64
    assert frame.get_column("annual_revenue").to_list() == [1_200_000.0, None, 2500.0, None]
    assert frame.schema["employees"] == pl.Int64
    assert frame.get_column("employees").to_list() == [1200, None, 10, None]
    assert frame.get_column("opportunity_amount").to_list() == [5.0, None, -3.0, None]
    notes = {note.split(":", 1)[0]: note for note in accounts.report.notes}
    assert set(notes) == {"annual_revenue", "employees", "opportunity_amount"}
    assert (
        "1 values are not numbers" in notes["annual_revenue"]
        or "1 value is not a number" in notes["annual_revenue"]
    )
    assert 'row 3: "about 5"' in notes["annual_revenue"]
    assert 'row 3: "abc"' in notes["employees"]
    assert 'row 5: "unknown"' in notes["opportunity_amount"]
    summary = "\n".join(accounts.report.summary())
    assert 'row 3: "about 5"' in summary


def test_note_rows_count_from_the_file_even_when_ids_are_dropped(tmp_path: Path) -> None:
    path = write(tmp_path / "money.csv", "account_id,annual_revenue\n,5\nA1,5\nA1,7\nA2,lots\n")
    accounts = load_accounts(path)
    assert accounts.frame.get_column("annual_revenue").to_list() == [5.0, None]
    assert any('row 5: "lots"' in note for note in accounts.report.notes)
    assert [(d.row, d.account_id) for d in accounts.report.dropped] == [(2, None), (4, "A1")]


def test_numeric_columns_already_numeric_are_kept(tmp_path: Path) -> None:
    path = write(tmp_path / "plain.csv", "account_id,employees,annual_revenue\nA1,10,2.5\nA2,-3,-1\n")
    accounts = load_accounts(path)
    assert accounts.frame.get_column("employees").to_list() == [10, -3]
    assert accounts.frame.get_column("annual_revenue").to_list() == [2.5, -1.0]
    assert accounts.report.notes == ()


def test_tech_stack_is_split_trimmed_and_empty_becomes_an_empty_list(tmp_path: Path) -> None:
    path = write(
        tmp_path / "stack.csv",
        (
            "account_id,tech_stack\n"
            'A1,"Salesforce ; Snowflake;"\n'
            "A2,\n"
            "A3,HubSpot|Marketo | Segment\n"
            'A4," ; "\n'
            "A5,Databricks\n"
        ),
    )
    frame = load_accounts(path).frame
    assert frame.schema["tech_stack"] == pl.List(pl.String)
    assert frame.get_column("tech_stack").to_list() == [
        ["Salesforce", "Snowflake"],
        [],
        ["HubSpot", "Marketo", "Segment"],
        [],
        ["Databricks"],
    ]


def test_all_empty_tech_stack_gives_empty_lists(tmp_path: Path) -> None:
    path = write(tmp_path / "stack.csv", "account_id,tech_stack\nA1,\nA2,\n")
    frame = load_accounts(path).frame
    assert frame.get_column("tech_stack").to_list() == [[], []]


# --- real public data --------------------------------------------------------------------------


@pytest.mark.realdata
def test_real_fortune_1000_by_ticker_reports_blank_tickers(realdata: Path) -> None:
    path = realdata / "Fortune_1000.csv"
    accounts = load_accounts(
        path,
        (
            ("account_id", "Ticker"),
            ("name", "company"),
            ("employees", "num. of employees"),
            ("industry", "sector"),
        ),
    )
    report = accounts.report
    assert report.rows_read == 1000
    # 62 companies have no ticker (counted independently with the csv module).
    assert len(report.dropped) == 62 and all(d.account_id is None for d in report.dropped)
    assert report.rows_kept == accounts.frame.height == 938
    assert report.dropped[0].row == 37
    assert [d.row for d in report.dropped[:5]] == [37, 74, 75, 78, 82]
    summary = "\n".join(report.summary())
    assert "1,000 rows read, 938 accounts kept" in summary
    assert "dropped 62 rows: 62 with a blank account_id" in summary
    frame = accounts.frame
    assert frame.get_column("account_id").n_unique() == 938
    assert frame.filter(pl.col("account_id") == "WMT").get_column("name").to_list() == ["Walmart"]
    assert frame.schema["employees"] == pl.Int64
    assert frame.filter(pl.col("account_id") == "WMT").get_column("employees").item() == 2_200_000


@pytest.mark.realdata
def test_real_fortune_1000_by_company_keeps_all(realdata: Path) -> None:
    accounts = load_accounts(realdata / "Fortune_1000.csv", (("account_id", "company"),))
    assert accounts.frame.height == 1000 and accounts.report.dropped == ()
    assert "dropped" not in "\n".join(accounts.report.summary())


@pytest.mark.realdata
def test_real_sp500_constituents(realdata: Path) -> None:
    accounts = load_accounts(
        realdata / "constituents.csv",
        (("account_id", "Symbol"), ("name", "Security"), ("industry", "GICS Sector")),
    )
    frame = accounts.frame
    assert frame.height == 503 and accounts.report.dropped == ()
    assert frame.get_column("account_id").n_unique() == 503
    assert frame.get_column("industry").n_unique() == 11
    assert frame.filter(pl.col("account_id") == "MMM").get_column("name").item() == "3M"
    assert "Headquarters Location" in frame.columns


@pytest.mark.realdata
def test_real_crunchbase_with_carriage_returns(realdata: Path) -> None:
    accounts = load_accounts(realdata / "crunchbase-companies.csv", (("account_id", "permalink"),))
    frame = accounts.frame
    assert frame.height >= 17_000
    assert frame.height == accounts.report.rows_kept == 17_727
    assert frame.get_column("account_id").head(1).item() == "/company/waywire"
    assert all(not c.endswith("\r") for c in frame.columns)
    assert frame.get_column("account_id").str.contains("\r").sum() == 0


@pytest.mark.realdata
def test_real_forbes_2000(realdata: Path) -> None:
    by_row = load_accounts(
        realdata / "Forbes2000.csv", (("account_id", "rownames"), ("industry", "category"))
    )
    assert by_row.frame.height == 2000 and by_row.report.dropped == ()
    assert by_row.frame.get_column("account_id").head(1).item() == "1"
    assert by_row.frame.get_column("industry").n_unique() == 27
    by_name = load_accounts(realdata / "Forbes2000.csv", (("account_id", "name"),))
    assert by_name.frame.height + len(by_name.report.dropped) == 2000
    assert by_name.frame.get_column("account_id").n_unique() == by_name.frame.height


@pytest.mark.realdata
def test_real_sp500_financials(realdata: Path) -> None:
    accounts = load_accounts(
        realdata / "constituents-financials.csv", (("account_id", "Symbol"), ("name", "Name"))
    )
    assert accounts.frame.height == 503
    assert accounts.frame.get_column("name").str.contains("\r").sum() == 0


# --- engagement events -------------------------------------------------------------------------


def test_events_count_defaults_to_one_and_dates_are_parsed(tmp_path: Path) -> None:
    path = write(
        tmp_path / "events.csv",
        (
            "account_id,date,channel,campaign,intent_theme,persona\n"
            "A1,2026-11-01,ad_click,Q4,payroll,CFO\n"
            " A2 ,2026-11-02, Website_Visit ,,,\n"
        ),
    )
    events, dropped = usable_rows(load_events(path))
    assert dropped == 0
    assert events.schema["date"] == pl.Date
    assert events.get_column("date").to_list() == [dt.date(2026, 11, 1), dt.date(2026, 11, 2)]
    assert events.get_column("count").to_list() == [1.0, 1.0]
    assert events.get_column("account_id").to_list() == ["A1", "A2"]
    assert events.get_column("channel").to_list() == ["ad_click", "website_visit"]
    assert events.get_column("intent_theme").to_list() == ["payroll", None]
    assert set(events.columns) == {
        "account_id",
        "date",
        "channel",
        "campaign",
        "intent_theme",
        "persona",
        "count",
    }


def test_events_blank_count_is_one_and_given_counts_are_kept(tmp_path: Path) -> None:
    path = write(
        tmp_path / "events.csv",
        "account_id,date,channel,count\nA1,2026-11-01,ad_click,\nA1,2026-11-01,ad_click,7\n",
    )
    events, dropped = usable_rows(load_events(path))
    assert dropped == 0
    assert events.get_column("count").to_list() == [1.0, 7.0]


def test_events_unreadable_dates_are_dropped_and_blank_ids_left_for_matching(tmp_path: Path) -> None:
    """A row without an id is not dropped here: matching lists it as unmatched, with its row, for the planner."""
    path = write(
        tmp_path / "events.csv",
        (
            "account_id,date,channel,count\n"
            "A1,2026-11-01,ad_click,2\n"
            "A1,not a date,ad_click,2\n"
            ",2026-11-03,ad_click,2\n"
            "A2,,webinar,1\n"
            "A2,2026-11-05,webinar,1\n"
        ),
    )
    events, dropped = usable_rows(load_events(path))
    assert dropped == 2
    assert events.select("account_id", "date").rows() == [
        ("A1", dt.date(2026, 11, 1)),
        (None, dt.date(2026, 11, 3)),
        ("A2", dt.date(2026, 11, 5)),
    ]


def test_events_unreadable_first_date_does_not_lose_the_rest(tmp_path: Path) -> None:
    path = write(
        tmp_path / "events.csv", "account_id,date,channel\nA1,garbage,ad_click\nA1,2026-11-02,ad_click\n"
    )
    events, dropped = usable_rows(load_events(path))
    assert dropped == 1
    assert events.get_column("date").to_list() == [dt.date(2026, 11, 2)]


def test_events_iso_timestamps_are_read_as_dates(tmp_path: Path) -> None:
    # Event exports usually carry timestamps; they are readable dates, not rows to drop.
    path = write(
        tmp_path / "events.csv",
        ("account_id,date,channel\nA1,2026-11-02T10:15:00,ad_click\nA1,2026-11-03 08:00:00,webinar\n"),
    )
    events, dropped = usable_rows(load_events(path))
    assert dropped == 0
    assert events.get_column("date").to_list() == [dt.date(2026, 11, 2), dt.date(2026, 11, 3)]


def test_events_from_parquet_with_datetimes_and_numeric_ids(tmp_path: Path) -> None:
    pl.DataFrame(
        {
            "account_id": [1, 2],
            "date": [dt.datetime(2026, 11, 1, 9, 30), dt.datetime(2026, 11, 2, 23, 59)],
            "channel": ["ad_click", "demo_request"],
            "count": [3, 1],
        }
    ).write_parquet(tmp_path / "events.parquet")
    events, dropped = usable_rows(load_events(tmp_path / "events.parquet"))
    assert dropped == 0
    assert events.get_column("account_id").to_list() == ["1", "2"]
    assert events.get_column("date").to_list() == [dt.date(2026, 11, 1), dt.date(2026, 11, 2)]
    assert events.get_column("count").to_list() == [3.0, 1.0]


@pytest.mark.parametrize("missing", ["account_id", "date", "channel"])
def test_events_missing_required_column_is_named(tmp_path: Path, missing: str) -> None:
    columns = [c for c in ("account_id", "date", "channel", "count") if c != missing]
    values = {"account_id": "A1", "date": "2026-11-01", "channel": "ad_click", "count": "1"}
    path = write(
        tmp_path / "events.csv", ",".join(columns) + "\n" + ",".join(values[c] for c in columns) + "\n"
    )
    with pytest.raises(AbmError) as info:
        load_events(path)
    message = str(info.value)
    assert str(path) in message
    assert f"missing column(s) {missing}" in message


def test_events_missing_channel_with_a_near_name_gets_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path / "events.csv", "account_id,date,channels\nA1,2026-11-01,ad_click\n")
    with pytest.raises(AbmError, match=r"missing column\(s\) channel.*did you mean 'channels'"):
        load_events(path)


def test_domains_are_reduced_to_the_bare_host(tmp_path: Path) -> None:
    path = write(
        tmp_path / "accounts.csv",
        "account_id,domain\na,https://www.Acme.com/about\nb,http://stock.walmart.com:8080/x?y\nc,beta.io\nd,\n",
    )
    domains = load_accounts(path).frame.get_column("domain").to_list()
    assert domains == ["acme.com", "stock.walmart.com", "beta.io", None]


@pytest.mark.realdata
def test_real_crunchbase_funding_is_numbers_despite_excel_damage(realdata: Path) -> None:
    accounts = load_accounts(realdata / "crunchbase-companies.csv", (("account_id", "permalink"),))
    funding = accounts.frame.get_column("funding_total_usd")
    assert funding.dtype == pl.Float64
    assert funding.max() > 1e9
    assert any('funding_total_usd: 13 values are not numbers (first at row 7714: "5/18/27")' in n
               for n in accounts.report.notes)


def test_text_columns_that_are_mostly_numbers_become_numbers(tmp_path: Path) -> None:
    rows = "".join(f"a{i},{i * 1000},x{i},{i}\n" for i in range(200))
    path = write(tmp_path / "accounts.csv", "account_id,raised,label,code\n" + rows + "z,#####,y,\n")
    frame = load_accounts(path).frame
    assert frame.schema["raised"] == pl.Float64 and frame.get_column("raised")[-1] is None
    assert frame.schema["label"] == pl.String
    assert frame.get_column("account_id").dtype == pl.String


def test_a_column_with_many_words_stays_text(tmp_path: Path) -> None:
    rows = "".join(f"a{i},{i if i % 10 else 'tbd'}\n" for i in range(100))
    frame = load_accounts(write(tmp_path / "accounts.csv", "account_id,score\n" + rows)).frame
    assert frame.schema["score"] == pl.String


# --- engagement from an ad platform's company report --------------------------------------------


def test_linkedin_company_report_becomes_events_matched_by_company_name(tmp_path: Path) -> None:
    """Campaign Manager's report: metadata lines, then one row per company with a column per metric."""
    from abm_tui.session import load_dataset

    write(tmp_path / "accounts.csv", "account_id,name,domain\nA1,Acme Inc.,acme.com\nA2,Beta GmbH,beta.de\n"
                                     "A3,Gamma LLC,gamma.io\nA4,Acme Labs,acmelabs.com\n")
    report = write(
        tmp_path / "linkedin.csv",
        "Company Demographics Report (in UTC)\n"
        "Report Start: 10/24/2026, 12:00 AM\n"
        "Report End: 11/22/2026, 11:59 PM\n"
        "Date Generated: 11/23/2026, 9:00 AM\n"
        "Account Name: Example Ads\n"
        "\n"
        "Company Name,Company Industry,Impressions,Clicks,Average CTR\n"
        'ACME,Software,"1,200",14,1.17%\n'        # row 8: matched by name (legal suffix, case)
        "Beta,Manufacturing,300,0,0%\n"          # row 9: matched; no clicks means no click event
        "Delta Corp,Retail,50,1,2%\n",           # row 10: no such account
    )
    plan = loads_plan(
        'version = 1\nname = "t"\n[data]\naccounts = "accounts.csv"\nengagement = "linkedin.csv"\n',
        base_dir=tmp_path,
    )
    dataset = load_dataset(plan)
    events = dataset.events
    assert events is not None
    rows = events.sort("_row", "channel").select("_row", "channel", "count", "date").rows()
    assert rows == [
        (0, "ad_click", 14.0, dt.date(2026, 11, 22)),
        (0, "ad_impression", 1200.0, dt.date(2026, 11, 22)),
        (1, "ad_impression", 300.0, dt.date(2026, 11, 22)),
    ]
    match = dataset.report.match
    assert match is not None and match.by_name == 3 and match.rows == 5
    assert match.unmatched.get_column("row").to_list() == [10, 10]
    assert set(match.unmatched.get_column("reason")) == {"no account with this company name"}
    summary = "\n".join(dataset.report.summary())
    assert "read as an ad platform's company report: impressions as ad_impression, clicks as ad_click" in summary
    assert "60.0%" in summary and "3 by company name" in summary
    assert str(report) in summary


def test_company_report_without_a_date_says_what_it_needs(tmp_path: Path) -> None:
    path = write(tmp_path / "linkedin.csv", "Company Name,Impressions,Clicks\nAcme,10,1\n")
    with pytest.raises(AbmError, match=r"no date column and no reporting period.*Report End"):
        load_events(path)


def test_an_employee_count_too_large_for_any_number_is_emptied_and_named(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text("account_id,employees\na,99999999999999999999\nb,12\n")
    loaded = load_accounts(path)
    assert loaded.frame.get_column("employees").to_list() == [None, 12]
    said = "\n".join(loaded.report.summary())
    assert "employees" in said and "row 2" in said
