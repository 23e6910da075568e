"""The buying committee end to end (issue 17): the plan's own title rules, the committee in explain and on the
account screen, the contact exports (LinkedIn contact lists, HubSpot and Salesforce contact updates), the demo's
contacts, and contacts files a planner should be told about rather than have silently mangled."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import polars as pl
import pytest

from abm_tui import cli
from abm_tui.errors import PlanError
from abm_tui.ingest.contacts import load_contacts
from abm_tui.ingest.load import load_accounts
from abm_tui.ingest.titles import from_plan, read_titles
from abm_tui.outputs.destinations.linkedin import LINKEDIN_CONTACT_HEADER
from abm_tui.plan.dump import dumps_plan
from abm_tui.plan.model import Function, Seniority, TitleWords
from abm_tui.plan.parse import loads_plan
from abm_tui.session import Session

ACCOUNTS = """account_id,name,domain,country,employees
A1,Acme Inc,acme.com,US,5000
A2,Globex,globex.com,DE,300
A3,Initech,initech.io,FR,40
"""

# Acme: a VP of Marketing, a demand gen manager and a marketing manager (Marketing / Manager, no persona), a
# growth ninja nobody can read; Globex: a Head of RevOps; Initech is not a target (the tier needs 300 people).
CONTACTS = """Record ID,First Name,Last Name,Email,Job Title,Associated Company ID,Company Name
101,Jane,Doe,jane@acme.com,"VP, Marketing",A1,Acme
102,Lia,Mo,lia@acme.com,Demand Gen Manager,A1,Acme
103,Sam,Roe,sam@acme.com,Marketing Manager,A1,Acme
104,Kai,Li,kai@acme.com,Growth Ninja,A1,Acme
105,Raj,Patel,raj@globex.com,Head of RevOps,,Globex
106,Eve,Ng,eve@initech.io,CMO,,
107,Max,Mu,max@acme.com,"=HYPERLINK(""http://x"")",A1,Acme
"""

PLAN = """version = 1
name = "Committee"
as_of = 2026-11-20

[data]
accounts = "accounts.csv"
contacts = "contacts.csv"

[[tiers]]
name = "Tier 1"
where = { employees = { min = 300 } }
{extra}"""


def _folder(tmp_path: Path, extra: str = "", contacts: str = CONTACTS) -> Path:
    (tmp_path / "accounts.csv").write_text(ACCOUNTS, encoding="utf-8")
    (tmp_path / "contacts.csv").write_text(contacts, encoding="utf-8")
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN.replace("{extra}", extra), encoding="utf-8")
    return plan


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# --- part 2: the plan's [[titles]] ---------------------------------------------------------------

TITLES = """
[[titles]]
words = ["growth ninja", "ninja*"]
function = "Marketing"
seniority = "Individual contributor"

[[titles]]
words = "head"
seniority = "VP"
"""


def test_title_rules_parse_dump_and_round_trip() -> None:
    plan = loads_plan(PLAN.replace("{extra}", TITLES))
    assert plan.titles == (
        TitleWords(("growth ninja", "ninja*"), Function.MARKETING, Seniority.IC),
        TitleWords(("head",), None, Seniority.VP),
    )
    text = dumps_plan(plan)
    assert '[[titles]]\nwords = ["head"]\nseniority = "VP"' in text
    assert loads_plan(text) == plan
    assert "[[titles]]" not in dumps_plan(loads_plan(PLAN.replace("{extra}", "")))


def test_title_rule_problems_name_their_keys() -> None:
    bad = """
[[titles]]
words = ["ok", "--"]
function = "Marketting"

[[titles]]
function = "Sales"
colour = "red"

[[titles]]
words = "x"
"""
    with pytest.raises(PlanError) as caught:
        loads_plan(PLAN.replace("{extra}", bad))
    text = str(caught.value)
    assert 'titles[0].words[1]: expected a word of a job title, got "--"' in text
    assert "titles[0].function: expected one of Marketing, Sales" in text and "did you mean 'Marketing'" in text
    assert "titles[1].words: missing" in text and "titles[1].colour: unknown key" in text
    assert "titles[2]: expected a function, a seniority or both" in text


def test_the_plans_title_rules_come_before_the_shipped_table() -> None:
    titles = pl.Series(["Growth Ninja", "Head of RevOps", "Head of RevOps", "VP, Marketing"])
    shipped = read_titles(titles)
    assert shipped.frame.row(0) == ("Marketing", None) and shipped.frame.row(1) == ("Revenue Operations", "Director")
    rules = from_plan(loads_plan(PLAN.replace("{extra}", TITLES)).titles)
    read = read_titles(titles, rules)
    assert read.frame.rows() == [("Marketing", "Individual contributor"), ("Revenue Operations", "VP"),
                                 ("Revenue Operations", "VP"), ("Marketing", "VP")]
    assert read.unread.height == 0


def test_a_session_reads_titles_with_the_plans_rules(tmp_path: Path) -> None:
    before = Session.open(_folder(tmp_path))
    assert "'Growth Ninja' x1: no seniority" in "\n".join(before.report.summary())
    session = Session.open(_folder(tmp_path, TITLES))
    people = session.contacts()
    assert people is not None
    kai = people.filter(pl.col("email") == "kai@acme.com").row(0, named=True)
    assert (kai["function"], kai["seniority"]) == ("Marketing", "Individual contributor")
    assert "Growth Ninja" not in "\n".join(session.report.summary())


# --- part 4 and 6: the committee in explain, the result frame, the matrix ------------------------


@pytest.mark.cli
def test_explain_lists_the_committee_with_its_people_and_gaps(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["explain", str(_folder(tmp_path)), "A1"]) == 0
    out = capsys.readouterr().out
    assert ("Buying committee: 2 of 6 personas, 5 contacts; missing Agencies, RevOps, BDR and SDR Leaders, "
            "Sales Leadership") in out
    assert ("  ✓ CMO and VP Marketing: 1 contact  (persona_cmo_and_vp_marketing_contacts)\n"
            "      Jane Doe: VP, Marketing (Marketing / VP)\n") in out
    assert "      Lia Mo: Demand Gen Manager (Marketing / Manager)\n" in out
    assert "  ✗ RevOps: no contact\n" in out
    assert ("  - no persona: 3 contacts\n      Sam Roe: Marketing Manager (Marketing / Manager); "
            "Kai Li: Growth Ninja (Marketing / ?); Max Mu: ") in out


@pytest.mark.cli
def test_the_result_frame_and_the_matrix_carry_committee_coverage(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    session = Session.open(_folder(tmp_path))
    frame = session.assignments()
    assert {"contact_count", "committee", "committee_count"} <= set(frame.columns)
    acme = frame.filter(pl.col("account_id") == "A1").row(0, named=True)
    assert (acme["contact_count"], acme["committee_count"]) == (5, 2)
    assert cli.main(["matrix", str(tmp_path / "plan.toml"), "--measure", "committee_count", "--format",
                     "json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 4  # Acme 2, Globex 1, Initech 1 (not target)


def test_more_personas_than_one_mask_table_keep_their_order() -> None:
    from abm_tui.engine.committee import PersonaRule, committee_columns
    from abm_tui.plan.parse import parse_where

    titles = [f"t{i}" for i in range(20)]
    personas = tuple(PersonaRule(f"P{i}", parse_where({"job_title": {"eq": t}}, "p")) for i, t in enumerate(titles))
    people = pl.DataFrame({"_row": [0, 0, 0, 1, 2], "job_title": ["t19", "t0", "t17", "t3", "nobody"]})
    table = committee_columns(people, 4, personas)
    assert table.get_column("committee").to_list() == [["P0", "P17", "P19"], ["P3"], [], []]
    assert table.get_column("committee_count").to_list() == [3, 1, 0, 0]
    assert committee_columns(people, 3, ()).get_column("committee").to_list() == [[], [], []]


@pytest.mark.cli
def test_init_names_the_contacts_and_writes_their_mapping(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    _folder(tmp_path)
    out = tmp_path / "started.toml"
    assert cli.main(["init", str(tmp_path / "accounts.csv"), "--contacts", str(tmp_path / "contacts.csv"),
                     "--out", str(out)]) == 0
    assert "contacts.csv: 7 contacts read, 7 kept" in capsys.readouterr().out
    plan = loads_plan(out.read_text(encoding="utf-8"))
    assert plan.data.contacts == "contacts.csv"
    assert dict(plan.data.contact_columns)["job_title"] == "Job Title"
    assert Session.open(out).contacts() is not None


# --- part 5: the contact exports -----------------------------------------------------------------


@pytest.mark.cli
def test_linkedin_contact_lists_per_segment_and_persona(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    plan = _folder(tmp_path)
    assert cli.main(["export", str(plan), "--to", "linkedin", "--out", str(tmp_path / "out")]) == 0
    err = "".join(capsys.readouterr())
    folder = tmp_path / "out" / "linkedin" / "contacts"
    names = sorted(p.name for p in folder.glob("*.csv"))
    assert names == ["lists.csv", "tier-1--unstaged--cmo-and-vp-marketing.csv", "tier-1--unstaged--demand-gen.csv",
                     "tier-1--unstaged--revops.csv"]
    text = (folder / "tier-1--unstaged--cmo-and-vp-marketing.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(LINKEDIN_CONTACT_HEADER)
    assert text.splitlines()[1] == "jane@acme.com,Jane,Doe,\"VP, Marketing\",Acme Inc,US,"
    index = {row["file"]: row for row in _rows(folder / "lists.csv")}
    demand = index["tier-1--unstaged--demand-gen.csv"]
    assert (demand["segment"], demand["persona"], demand["rows"]) == ("Tier 1 / Unstaged", "Demand Gen", "1")
    # the demand gen manager's Marketing / Manager pair is the marketing manager's too: 2 by function + seniority
    assert "LinkedIn needs at least 300" in demand["warning"]
    assert "job function plus seniority (Marketing / Manager) would reach 2" in demand["warning"]
    assert "3 of 3 contact lists are under 300 contacts" in err
    assert "3 contacts at target accounts have none of the 6 personas" in err  # Sam, Kai, Max: listed, not lost
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert "linkedin/contacts/tier-1--unstaged--revops.csv" in json.dumps(manifest)


@pytest.mark.cli
def test_contact_lists_per_tier_and_the_header_of_an_empty_segment(tmp_path: Path) -> None:
    plan = _folder(tmp_path, '\n[export.linkedin]\nper = "tier"\nmin_size = 1\n')
    assert cli.main(["export", str(plan), "--to", "linkedin", "--out", str(tmp_path / "out")]) == 0
    index = _rows(tmp_path / "out" / "linkedin" / "contacts" / "lists.csv")
    assert [(row["tier"], row["persona"], row["rows"], row["warning"]) for row in index] == [
        ("Tier 1", "CMO and VP Marketing", "1", ""), ("Tier 1", "Demand Gen", "1", ""),
        ("Tier 1", "RevOps", "1", "")]


@pytest.mark.cli
def test_hubspot_and_salesforce_contact_updates_carry_persona_and_segment(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = _folder(tmp_path)
    out = tmp_path / "out"
    assert cli.main(["export", str(plan), "--to", "hubspot", "--out", str(out)]) == 0
    assert cli.main(["export", str(plan), "--to", "salesforce", "--out", str(out)]) == 0
    err = "".join(capsys.readouterr())
    hubspot = {row["Email"]: row for row in _rows(out / "hubspot_contacts.csv")}
    assert len(hubspot) == 7  # every matched contact, target or not, so a change of tier reaches them all
    jane = hubspot["jane@acme.com"]
    assert (jane["Record ID"], jane["ABM Persona"], jane["ABM Account Segment"]) == (
        "101", "CMO and VP Marketing", "Tier 1 / Unstaged")
    assert hubspot["eve@initech.io"]["ABM Account Tier"] == "Not target"
    salesforce = {row["Id"]: row for row in _rows(out / "salesforce_contacts.csv")}
    assert salesforce["105"]["AccountId"] == "A2" and salesforce["105"]["ABM_Persona__c"] == "RevOps"
    assert "contact ids do not look like Salesforce Contact IDs" in err


@pytest.mark.cli
def test_every_contact_file_is_formula_safe(tmp_path: Path) -> None:
    plan = _folder(tmp_path, '\n[export.linkedin]\nmin_size = 1\n\n[[personas]]\nname = "Everyone"\n')
    out = tmp_path / "out"
    for target in ("linkedin", "hubspot", "salesforce"):
        assert cli.main(["export", str(plan), "--to", target, "--out", str(out)]) == 0
    listed = (out / "linkedin" / "contacts" / "tier-1--unstaged--everyone.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in listed
    for path in out.rglob("*.csv"):
        for row in csv.reader(path.open(newline="", encoding="utf-8")):
            assert not any(cell[:1] in ("=", "+", "-", "@") for cell in row), (path, row)


# --- part 7: the demo's contacts -----------------------------------------------------------------


@pytest.mark.cli
def test_the_demo_writes_contacts_and_names_them_in_its_plan(tmp_path: Path) -> None:
    from abm_tui.onboarding.demo import generate
    from abm_tui.onboarding.demo_contacts import demo_contacts

    assert cli.main(["demo", "--accounts", "400", "--out", str(tmp_path / "demo")]) == 0
    session = Session.open(tmp_path / "demo" / "plan.toml")
    people = session.contacts()
    assert people is not None and people.height > 400
    report = "\n".join(session.report.summary())
    assert "contacts matched to accounts" in report and "unmatched" in report and "not fully read" in report
    contacts = demo_contacts(generate(400).accounts)
    assert contacts.equals(pl.read_csv(tmp_path / "demo" / "contacts.csv", infer_schema=False))
    per_account = contacts.filter(pl.col("account_id").is_not_null()).group_by("account_id").len()
    assert per_account.get_column("len").max() <= 15
    assert contacts.get_column("job_title").null_count() > 0
    languages = contacts.get_column("job_title").drop_nulls()
    for title in ("VP, Demand Generation", "Head of RevOps"):
        assert title in languages.to_list()
    assert languages.str.contains("Leiter|Directeur|Jefe|Directora|Responsable").any()


def test_target_accounts_of_the_bundled_demo_have_two_to_fifteen_contacts() -> None:
    from abm_tui.onboarding.bundled import demo_plan

    session = Session.open(demo_plan())
    frame = session.assignments().filter(pl.col("tier") != "Not target")
    counts = frame.get_column("contact_count")
    assert counts.max() <= 15
    # each drew 2 to 15; a repeated email or an ambiguous row (both in the load summary) may take one away
    assert (counts < 2).sum() <= counts.len() // 100, counts.describe()
    assert frame.get_column("committee_count").max() >= 4


# --- bad input -----------------------------------------------------------------------------------


def test_numeric_and_huge_titles_are_counted_unread_not_guessed(tmp_path: Path) -> None:
    accounts = load_accounts(_write(tmp_path, "accounts.csv", ACCOUNTS)).frame
    essay = "Head of Marketing " * 600  # 10,800 characters: a pasted biography, not a title
    people = pl.DataFrame({"email": ["a@acme.com", "b@acme.com", "c@acme.com"],
                           "job_title": ["12345", essay, "CMO"]})
    people.write_csv(tmp_path / "people.csv")
    contacts = load_contacts(tmp_path / "people.csv", accounts)
    assert contacts.frame.height == 3
    assert contacts.frame.select("function", "seniority").rows() == [(None, None), (None, None),
                                                                     ("Marketing", "C-level")]
    text = "\n".join(contacts.report.summary())
    assert "1 of 3 read as a function and a seniority; 2 not fully read" in text
    assert "'12345' x1: no function and seniority" in text
    assert "'Head of Marketing Head of Marketing Head of Marketing Hea...' x1" in text


def test_a_title_column_of_numbers_is_read_as_text(tmp_path: Path) -> None:
    accounts = load_accounts(_write(tmp_path, "accounts.csv", ACCOUNTS)).frame
    _write(tmp_path, "people.csv", "email,job_title\na@acme.com,1\nb@acme.com,2\n")
    contacts = load_contacts(tmp_path / "people.csv", accounts)
    assert contacts.frame.height == 2 and contacts.report.titles is not None
    assert contacts.report.titles.unread.get_column("job_title").to_list() == ["1", "2"]


@pytest.mark.cli
def test_emails_without_an_at_are_counted_and_still_matched_by_name(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    contacts = "Email,Job Title,Company Name\nnobody-at-acme.com,CMO,Acme Inc\nstill wrong,CFO,Nowhere\n"
    plan = _folder(tmp_path, contacts=contacts)
    assert cli.main(["validate", str(plan)]) == 0
    out = capsys.readouterr().out
    assert "2 emails have no @ and were not used to match" in out
    assert "contacts matched to accounts: 1 of 2 (1 by company name); 1 unmatched" in out
    assert "no account with this company name (first at row 3)" in out


@pytest.mark.cli
def test_a_contacts_file_without_any_key_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = _folder(tmp_path, contacts="First Name,Last Name,Title\nJo,Bloggs,CMO\n")
    assert cli.main(["validate", str(plan)]) == 1
    err = capsys.readouterr().err
    assert "contacts.csv: no column names the contact's account; expected account_id" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.cli
def test_contact_files_are_the_same_bytes_for_the_same_plan(tmp_path: Path) -> None:
    from abm_tui.onboarding.bundled import demo_plan

    bundled = demo_plan().parent
    text = demo_plan().read_text(encoding="utf-8")
    for name in ("accounts.csv", "engagement.parquet", "contacts.csv"):
        text = text.replace(f'"{name}"', f'"{bundled / name}"')
    plan = tmp_path / "plan.toml"
    plan.write_text(text, encoding="utf-8")
    written = []
    for out in ("a", "b"):
        for target in ("linkedin", "hubspot", "salesforce"):
            assert cli.main(["export", str(plan), "--to", target, "--out", str(tmp_path / out)]) == 0
        written.append({p.relative_to(tmp_path / out): p.read_bytes() for p in (tmp_path / out).rglob("*.csv")})
    assert written[0] == written[1] and len(written[0]) > 20


# --- part 6: the account screen ------------------------------------------------------------------


@pytest.mark.tui
async def test_the_account_screen_lists_the_committee_and_its_gaps(tmp_path: Path) -> None:
    from textual.widgets import Static

    from abm_tui.tui.screens.account import AccountScreen
    from tests.pilot import settled, started
    from tests.test_tui_drill import SIZE, Host

    session = Session.open(_folder(tmp_path))
    app = Host(AccountScreen(started(session), "A1"))
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        blocks = [str(w.render()) for w in app.screen.query(Static)]
        committee = next(b for b in blocks if b.startswith("Buying committee"))
        assert committee.startswith("Buying committee: 2 of 6 personas, 5 contacts; missing Agencies, RevOps")
        assert "✓ CMO and VP Marketing: 1 contact" in committee and "Jane Doe: VP, Marketing" in committee
        assert "✗ Sales Leadership: no contact" in committee
        widget = next(w for w in app.screen.query(Static) if str(w.render()).startswith("Buying committee"))
        assert widget.has_class("account-section") and widget.region.height > 6  # laid out, a line a persona


@pytest.mark.cli
def test_an_earlier_runs_assignments_as_accounts_name_the_committee_columns(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = _folder(tmp_path)
    assert cli.main(["run", str(plan), "--out", str(tmp_path / "first"), "--no-history"]) == 0
    again = tmp_path / "again.toml"
    again.write_text(plan.read_text(encoding="utf-8").replace('"accounts.csv"', '"first/assignments.csv"'),
                     encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["validate", str(again)]) == 1
    assert capsys.readouterr().err.strip() == (
        "abm-tui: first/assignments.csv: columns contact_count, committee, committee_count are also computed from "
        "the contacts file; expected accounts without them (rename them, or leave out the contacts file to use "
        "them as they are)")


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path
