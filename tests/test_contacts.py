"""Contacts in, from real CSV files of the two CRM layouts, matched to accounts, and the buying committee built."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from abm_tui.engine.committee import (
    DEFAULT_PERSONAS,
    PersonaRule,
    assign_personas,
    committee_columns,
    committee_names,
    gaps,
    persona_column,
)
from abm_tui.errors import AbmError
from abm_tui.ingest.contacts import load_contacts
from abm_tui.ingest.load import load_accounts
from abm_tui.plan.parse import parse_where

ACCOUNTS = """account_id,name,domain
A1,Acme Inc,https://www.acme.com
A2,Globex,globex.com
A3,Initech,initech.io
A4,Umbrella,umbrella.com
A5,Umbrella Labs,umbrella.com
"""

HUBSPOT = """Record ID,First Name,Last Name,Email,Job Title,Associated Company ID,Company Name,Lifecycle Stage
101,Jane,Doe,jane@acme.com,"VP, Demand Generation",A1,Acme,lead
102,Raj,Patel,raj@globex.com,Head of RevOps,,Globex,lead
103,Ana,Ruiz,ana.ruiz@gmail.com,Chief Revenue Officer,,"Initech, Inc.",lead
104,Tom,Lee,tom@gmail.com,SDR,,,lead
105,Jane,Doe,JANE@acme.com ,VP Demand Gen,A1,Acme,lead
106,Bo,Ek,bo-at-nowhere,12345,,Nowhere Ltd,lead
107,Kim,Sun,kim@umbrella.com,Director of Sales Development,,,lead
108,Lia,Mo,lia@acme.com,Demand Generation Manager,,,lead
"""

SALESFORCE = """Contacts with accounts,,,,,,
,,,,,,
Contact ID,First Name,Last Name,Title,Email,Account ID,Account Name
003A1,Max,Muster,Leiter Marketing,max@globex.com,A2,Globex
003A2,Eva,Klein,Geschäftsführerin,eva@initech.io,,Initech
003A3,Luc,Blanc,Directeur commercial,luc@example.org,A9,Nobody
003A4,Sol,Vega,Jefe de ventas,,,Acme Inc.
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def accounts(tmp_path: Path) -> pl.DataFrame:
    return load_accounts(_write(tmp_path, "accounts.csv", ACCOUNTS)).frame


def test_hubspot_export_matched_by_id_domain_and_name(tmp_path: Path, accounts: pl.DataFrame) -> None:
    contacts = load_contacts(_write(tmp_path, "hubspot-contacts.csv", HUBSPOT), accounts)
    report = contacts.report
    assert "HubSpot contacts export (detected)" in report.layout
    by_email = {row["email"]: row for row in contacts.frame.iter_rows(named=True)}
    assert by_email["jane@acme.com"]["account_id"] == "A1"  # by id
    assert by_email["raj@globex.com"]["account_id"] == "A2"  # by the email's domain
    assert by_email["lia@acme.com"]["account_id"] == "A1"  # the email's domain against https://www.acme.com
    assert by_email["ana.ruiz@gmail.com"]["account_id"] == "A3"  # gmail never names a company: by company name
    assert (by_email["jane@acme.com"]["function"], by_email["jane@acme.com"]["seniority"]) == ("Marketing", "VP")
    assert (by_email["ana.ruiz@gmail.com"]["function"], by_email["ana.ruiz@gmail.com"]["seniority"]) == (
        "Executive", "C-level")
    assert (report.match.by_id, report.match.by_domain, report.match.by_name) == (1, 2, 1)
    assert [(d.row, d.reason) for d in report.duplicates] == [(6, "repeats the email jane@acme.com")]
    assert report.bad_emails == 1 and report.free_mail == 2
    unmatched = {row: reason for reason, row in report.match.unmatched.select("reason", "row").iter_rows()}
    assert unmatched == {5: "no account_id, domain or company name", 7: "no account with this company name",
                         8: "domain matches 2 accounts"}
    text = "\n".join(report.summary())
    assert "8 contacts read, 7 kept" in text and "row 6: repeats the email jane@acme.com" in text
    assert "4 of 7 (1 by id, 2 by domain, 1 by company name); 3 unmatched" in text
    assert report.rows_read - len(report.duplicates) == contacts.frame.height + report.match.unmatched.height


def test_salesforce_report_with_a_title_above_the_header(tmp_path: Path, accounts: pl.DataFrame) -> None:
    contacts = load_contacts(_write(tmp_path, "sf.csv", SALESFORCE), accounts)
    assert "Salesforce contact report (detected)" in contacts.report.layout
    rows = {r["contact_id"]: (r["account_id"], r["function"], r["seniority"])
            for r in contacts.frame.iter_rows(named=True)}
    assert rows == {"003A1": ("A2", "Marketing", "Director"), "003A2": ("A3", "Executive", "C-level"),
                    "003A4": ("A1", "Sales", "Manager")}
    unmatched = contacts.report.match.unmatched
    assert unmatched.select("row", "reason").rows() == [(6, "no account with this account_id; no account with this "
                                                          "domain; no account with this company name")]


def test_a_file_without_any_key_is_refused_naming_the_file(tmp_path: Path, accounts: pl.DataFrame) -> None:
    path = _write(tmp_path, "people.csv", "First Name,Last Name,Title\nJo,Bloggs,CMO\n")
    with pytest.raises(AbmError, match=r"people\.csv: no column names the contact's account; expected account_id"):
        load_contacts(path, accounts)


def test_a_mapping_to_a_missing_header_is_named(tmp_path: Path, accounts: pl.DataFrame) -> None:
    path = _write(tmp_path, "c.csv", "Email,Title\njo@acme.com,CMO\n")
    with pytest.raises(AbmError, match=r'maps email to "E-Mail", but the file has no such column'):
        load_contacts(path, accounts, (("email", "E-Mail"),))


def test_committee_columns_per_account(tmp_path: Path, accounts: pl.DataFrame) -> None:
    contacts = load_contacts(_write(tmp_path, "hubspot-contacts.csv", HUBSPOT), accounts).frame
    table = committee_columns(contacts, accounts.height)
    assert table.columns == committee_names(DEFAULT_PERSONAS)
    assert table.get_column("contact_count").to_list() == [2, 1, 1, 0, 0]
    assert table.get_column("committee").to_list() == [
        ["CMO and VP Marketing", "Demand Gen"], ["RevOps"], ["Sales Leadership"], [], []]
    assert table.get_column("committee_count").to_list() == [2, 1, 1, 0, 0]
    assert table.get_column("persona_demand_gen_contacts").to_list() == [1, 0, 0, 0, 0]
    assert gaps(table.get_column("committee")[0].to_list())[:2] == ["Agencies", "RevOps"]


def test_plan_persona_rules_first_match(accounts: pl.DataFrame) -> None:
    contacts = pl.DataFrame({
        "_row": [0, 0, 1], "job_title": ["Head of RevOps", "CFO", "Agency Owner"],
        "function": pl.Series(["Revenue Operations", "Finance", "Executive"]),
        "seniority": pl.Series(["Director", "C-level", "C-level"]),
    })
    personas = (
        PersonaRule("Economic buyer", parse_where({"seniority": {"in": ["C-level"]}}, "personas[0].where")),
        PersonaRule("Ops", parse_where({"job_title": {"contains": "revops"}}, "personas[1].where")),
    )
    assert assign_personas(contacts, personas).to_list() == ["Ops", "Economic buyer", "Economic buyer"]
    table = committee_columns(contacts, 2, personas)
    assert table.get_column("committee").to_list() == [["Economic buyer", "Ops"], ["Economic buyer"]]
    assert persona_column("BDR and SDR Leaders") == "persona_bdr_and_sdr_leaders_contacts"


# --- from the plan: [data] contacts and [[personas]] ------------------------------------------


def _plan(folder: Path, extra: str = "") -> Path:
    _write(folder, "accounts.csv", ACCOUNTS)
    _write(folder, "contacts.csv", HUBSPOT)
    return _write(folder, "plan.toml", f'''version = 1
[data]
accounts = "accounts.csv"
contacts = "contacts.csv"

[[tiers]]
name = "Covered"
where = {{ committee_count = {{ min = 2 }} }}
{extra}''')


def test_a_plan_naming_contacts_gets_the_committee_columns_for_its_rules(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from abm_tui import cli
    from abm_tui.session import Session

    plan = _plan(tmp_path)
    session = Session.open(plan)
    table = session.workspace.table
    acme = table.filter(pl.col("account_id") == "A1").row(0, named=True)
    assert acme["contact_count"] == 2  # jane (her repeat dropped) and lia
    assert acme["committee"] == ["CMO and VP Marketing", "Demand Gen"]  # a VP of demand gen, a demand gen manager
    covered = session.assignments().filter(pl.col("tier") == "Covered")["account_id"].to_list()
    assert covered == ["A1"]
    assert cli.main(["validate", str(plan)]) == 0
    out = capsys.readouterr().out
    assert "contacts.csv: 8 contacts read, 7 kept" in out


def test_the_plans_own_personas_replace_the_seeds_and_round_trip(tmp_path: Path) -> None:
    from abm_tui.plan.dump import dumps_plan
    from abm_tui.plan.parse import load_plan, loads_plan
    from abm_tui.session import Session

    plan = _plan(tmp_path, '[[personas]]\nname = "Anyone senior"\nwhere = { seniority = { in = ["VP", "Director", '
                           '"C-level"] } }\n')
    loaded = load_plan(plan)
    assert [p.name for p in loaded.personas] == ["Anyone senior"]
    assert loads_plan(dumps_plan(loaded), base_dir=tmp_path) == loaded
    table = Session.open(plan).workspace.table
    assert "persona_anyone_senior_contacts" in table.columns
    assert table.filter(pl.col("account_id") == "A2")["committee"].to_list() == [["Anyone senior"]]


def test_a_persona_rule_naming_an_unknown_column_is_one_line(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from abm_tui import cli

    plan = _plan(tmp_path, '[[personas]]\nname = "X"\nwhere = { senority = { eq = "VP" } }\n')
    assert cli.main(["validate", str(plan)]) == 1
    err = capsys.readouterr().err
    assert "personas[0].where: unknown contact column 'senority'" in err and "did you mean 'seniority'" in err
