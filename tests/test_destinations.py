"""Segments back into HubSpot, Salesforce, LinkedIn and the warehouse: exact layouts, limits, provenance."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from abm_tui import AbmError, Session, edits, load_plan
from abm_tui.outputs.destinations import LINKEDIN_HEADER, Delivery, ExportContext, deliver, provenance, write_manifest
from abm_tui.outputs.destinations import hubspot as hubspot_target
from abm_tui.outputs.destinations import linkedin as linkedin_target
from abm_tui.outputs.run_files import run_exports
from abm_tui.plan.dump import dumps_plan, plan_hash
from abm_tui.plan.model import NOT_TARGET, Tier
from abm_tui.plan.parse import parse_where

REALDATA = Path("/work/shared/realdata")
HUBSPOT_HEADER = [
    "Company Domain Name", "Company name", "ABM Tier", "ABM Stage", "ABM Segment", "ABM Bucket", "ABM Play",
    "ABM Fit Score", "ABM Plan", "Ideal Customer Profile Tier", "Target Account",
]
SALESFORCE_HEADER = [
    "Id", "ABM_Tier__c", "ABM_Stage__c", "ABM_Segment__c", "ABM_Bucket__c", "ABM_Play__c", "ABM_Fit_Score__c",
    "ABM_Plan__c", "ABM_As_Of__c",
]
EVIL = '=HYPERLINK("http://evil.example","click")'


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """A file as an importer reads it: strict UTF-8, no BOM, `\n` line ends, every cell as text."""
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r\n" not in raw
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def context(session: Session, preset: str | None = None) -> ExportContext:
    return ExportContext.of(session, preset=preset)


def with_export(ctx: ExportContext, **settings: object) -> ExportContext:
    return replace(ctx, plan=replace(ctx.plan, export=replace(ctx.plan.export, **settings)))


@pytest.fixture(scope="module")
def rich_plan(tmp_path_factory: pytest.TempPathFactory, demo_plan_path: Path) -> Path:
    """The demo set as a planner's richer export: websites, LinkedIn pages, tickers, addresses, some blank
    domains, and two target accounts whose names are formulas."""
    folder = tmp_path_factory.mktemp("rich")
    demo = demo_plan_path.parent
    for name in ("plan.toml", "engagement.parquet"):
        shutil.copy(demo / name, folder / name)
    targets = Session.open(demo_plan_path).assignments().filter(pl.col("tier") != NOT_TARGET)
    poisoned = targets.get_column("account_id").head(2).to_list()
    i = pl.int_range(pl.len())
    accounts = pl.read_csv(demo / "accounts.csv").with_columns(
        name=pl.when(pl.col("account_id") == poisoned[0]).then(pl.lit(EVIL))
        .when(pl.col("account_id") == poisoned[1]).then(pl.lit("@SUM(1+1)")).otherwise(pl.col("name")),
        domain=pl.when((i % 7 == 0) & ~pl.col("account_id").is_in(poisoned)).then(None).otherwise(pl.col("domain")),
        website=pl.when(i % 4 == 0).then(pl.format("https://www.{}/", pl.col("domain"))),
        linkedin_url=pl.when(i % 3 == 0).then(pl.format("https://www.linkedin.com/company/{}", pl.col("account_id"))),
        ticker=pl.when(i % 10 == 0).then(pl.format("T{}", i)),
        city=pl.lit("Boston"),
        state=pl.lit("MA"),
        postal_code=pl.when(i == 2).then(pl.lit("n/a")).when(i % 2 == 0).then((10_000 + i).cast(pl.String)),
    )
    accounts.write_csv(folder / "accounts.csv")
    return folder / "plan.toml"


@pytest.fixture()
def rich(rich_plan: Path) -> Session:
    return Session.open(rich_plan)


# --- HubSpot ------------------------------------------------------------------------------------


def test_rich_fixture_has_what_the_tests_rely_on(rich: Session) -> None:
    accounts = rich.workspace.dataset.accounts
    assert accounts.schema["postal_code"] == pl.String  # codes stay text, so leading zeros survive
    assert {"website", "linkedin_url", "ticker", "city", "state"} <= set(accounts.columns)


def test_hubspot_by_domain_leaves_out_blank_domains_and_maps_tiers(rich: Session, tmp_path: Path) -> None:
    ctx = context(rich)
    delivery = deliver("hubspot", ctx, tmp_path)
    assert delivery.files == (tmp_path / "hubspot_companies.csv",)
    header, rows = read_rows(delivery.files[0])
    assert header == HUBSPOT_HEADER
    expected = ctx.assignments.filter(pl.col("domain").is_not_null())
    blank = ctx.assignments.height - expected.height
    assert blank > 0 and len(rows) == expected.height == delivery.rows
    assert any(f"{blank:,} accounts have no domain" in w for w in delivery.warnings)
    assert [r["Company Domain Name"] for r in rows] == expected.get_column("domain").to_list()
    icp = {"Tier 1": "tier_1", "Tier 2": "tier_2", "Tier 3": "tier_3", NOT_TARGET: ""}
    assert {r["ABM Tier"] for r in rows} == set(icp)
    for row, tier, stage in zip(rows, expected.get_column("tier"), expected.get_column("stage"), strict=True):
        assert row["ABM Tier"] == tier and row["ABM Stage"] == stage
        assert row["Ideal Customer Profile Tier"] == icp[tier]
        assert row["Target Account"] == ("false" if tier == NOT_TARGET else "true")
    label = provenance(ctx.plan, ctx.as_of).label()
    assert {r["ABM Plan"] for r in rows} == {label}
    assert label == f"Demo: FY27 Q1 ABM plan (plan {plan_hash(ctx.plan)}, as of 2026-11-20)"


def test_hubspot_keys_on_record_id_for_hubspot_files_or_when_asked(demo_session: Session, tmp_path: Path) -> None:
    ctx = context(demo_session)
    for chosen in (context(demo_session, preset="hubspot"), with_export(ctx, hubspot_key="record_id")):
        delivery = deliver("hubspot", chosen, tmp_path)
        header, rows = read_rows(delivery.files[0])
        assert header[0] == "Record ID" and header[1:] == HUBSPOT_HEADER[1:]
        assert [r["Record ID"] for r in rows] == ctx.assignments.get_column("account_id").to_list()
        assert any("3,000 account ids are not HubSpot Record IDs" in w and "'A000001'" in w
                   for w in delivery.warnings)
    forced = deliver("hubspot", with_export(context(demo_session, preset="hubspot"), hubspot_key="domain"), tmp_path)
    assert read_rows(forced.files[0])[0] == HUBSPOT_HEADER
    assert not forced.warnings  # every demo account has a domain of its own


def test_a_fourth_tier_is_tier_3_with_a_warning(demo_session: Session, tmp_path: Path) -> None:
    fourth = Tier("Tier 4", parse_where({"fit_score": {"min": 50}}, "tiers[3].where"))
    demo_session.apply(replace(demo_session.plan, tiers=(*demo_session.plan.tiers, fourth)))
    ctx = context(demo_session)
    in_fourth = ctx.assignments.filter(pl.col("tier") == "Tier 4").height
    assert in_fourth > 0
    delivery = deliver("hubspot", ctx, tmp_path)
    _, rows = read_rows(delivery.files[0])
    assert {r["Ideal Customer Profile Tier"] for r in rows if r["ABM Tier"] == "Tier 4"} == {"tier_3"}
    assert sum(r["Ideal Customer Profile Tier"] == "tier_3" for r in rows) == in_fourth + sum(
        r["ABM Tier"] == "Tier 3" for r in rows)
    assert any(f"{in_fourth:,} accounts of Tier 4 are imported as tier_3" in w for w in delivery.warnings)


def test_hubspot_splits_under_its_row_limit(demo_session: Session, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = context(demo_session)
    whole = deliver("hubspot", ctx, tmp_path / "whole").files[0]
    monkeypatch.setattr(hubspot_target, "HUBSPOT_MAX_ROWS", 1_000)
    split = deliver("hubspot", ctx, tmp_path / "split")
    assert [p.name for p in split.files] == [f"hubspot_companies-{i}.csv" for i in (1, 2, 3)]
    assert split.rows == 3_000
    assert any("split into 3 files of at most 1,000 rows" in w for w in split.warnings)
    parts = [read_rows(p) for p in split.files]
    assert all(header == HUBSPOT_HEADER and len(rows) == 1_000 for header, rows in parts)
    assert [r for _, rows in parts for r in rows] == read_rows(whole)[1]


# --- Salesforce ---------------------------------------------------------------------------------


def test_salesforce_update_file(demo_session: Session, tmp_path: Path) -> None:
    ctx = context(demo_session)
    delivery = deliver("salesforce", ctx, tmp_path)
    assert delivery.files == (tmp_path / "salesforce_accounts.csv",)
    header, rows = read_rows(delivery.files[0])
    assert header == SALESFORCE_HEADER
    frame = ctx.assignments
    assert len(rows) == frame.height == delivery.rows
    assert [r["Id"] for r in rows] == frame.get_column("account_id").to_list()
    assert [r["ABM_Segment__c"] for r in rows] == frame.get_column("segment").to_list()
    assert [int(r["ABM_Fit_Score__c"]) for r in rows] == frame.get_column("fit_score").to_list()
    assert {r["ABM_As_Of__c"] for r in rows} == {"2026-11-20"}
    assert {r["ABM_Plan__c"] for r in rows} == {provenance(ctx.plan, ctx.as_of).label()}
    assert delivery.warnings == ("3,000 account ids do not look like Salesforce Account IDs (15 or 18 letters and "
                                 "digits starting 001), e.g. 'A000001'; Data Loader will not match them by Id",)


def test_salesforce_ids_of_15_and_18_characters_pass(demo_session: Session, tmp_path: Path) -> None:
    ctx = context(demo_session)
    i = pl.int_range(pl.len())
    ids = (pl.when(i % 3 == 0).then(pl.format("001Dn00000{}", pl.col("account_id").str.slice(2)))  # 15
           .when(i % 3 == 1).then(pl.format("001Dn00000{}AAB", pl.col("account_id").str.slice(2)))  # 18
           .otherwise(pl.format("003Dn00000{}", pl.col("account_id").str.slice(2))))  # a Contact id
    ctx = replace(ctx, assignments=ctx.assignments.with_columns(account_id=ids))
    delivery = deliver("salesforce", ctx, tmp_path)
    assert delivery.warnings[0].startswith("1,000 account ids do not look like Salesforce Account IDs")
    assert "'003Dn0000000003'" in delivery.warnings[0]


# --- LinkedIn -----------------------------------------------------------------------------------


def test_linkedin_one_list_per_target_segment(rich: Session, tmp_path: Path) -> None:
    ctx = context(rich)
    delivery = deliver("linkedin", ctx, tmp_path)
    targets = ctx.assignments.filter(pl.col("tier") != NOT_TARGET)
    counts = dict(targets.group_by("segment").len().iter_rows())
    assert delivery.rows == targets.height
    lists_header, lists = read_rows(tmp_path / "linkedin" / "lists.csv")
    assert lists_header == ["file", "segment", "rows", "warning"]
    assert {r["segment"]: int(r["rows"]) for r in lists} == counts
    assert "tier-1--interested.csv" in {r["file"] for r in lists}
    assert not any("not-target" in p.name for p in delivery.files)
    assert sorted(p.name for p in delivery.files) == sorted([r["file"] for r in lists] + ["lists.csv"])
    accounts = ctx.accounts.with_columns(ctx.assignments.get_column("segment"))
    for entry in lists:
        header, rows = read_rows(tmp_path / "linkedin" / entry["file"])
        assert header == list(LINKEDIN_HEADER)
        expected = accounts.filter(pl.col("segment") == entry["segment"])
        assert len(rows) == expected.height
        websites = expected.select(pl.coalesce("website", pl.lit("https://") + pl.col("domain"))).to_series()
        assert [r["companywebsite"] for r in rows] == websites.fill_null("").to_list()
        assert [r["companyemaildomain"] for r in rows] == expected.get_column("domain").fill_null("").to_list()
        pages = expected.get_column("linkedin_url").fill_null("").to_list()
        assert [r["linkedincompanypageurl"] for r in rows] == pages
        zips = expected.get_column("postal_code").fill_null("").to_list()
        assert [r["zipcode"] for r in rows] == zips and {r["city"] for r in rows} == {"Boston"}
    small = [r for r in lists if int(r["rows"]) < 300]
    assert small and all("LinkedIn needs at least 300 companies" in r["warning"] for r in small)
    assert any(f"{len(small)} of {len(lists)} lists are under 300 companies" in w for w in delivery.warnings)
    blind = accounts.filter(pl.col("segment").is_in(list(counts)), pl.col("domain").is_null(),
                            pl.col("linkedin_url").is_null()).height
    assert blind > 0
    assert any(f"{blind:,} companies have neither a domain nor a LinkedIn page" in w for w in delivery.warnings)


def test_linkedin_per_tier_and_min_size(demo_session: Session, tmp_path: Path) -> None:
    ctx = with_export(context(demo_session), linkedin_per="tier", linkedin_min_size=50)
    delivery = deliver("linkedin", ctx, tmp_path)
    assert [p.name for p in delivery.files] == ["tier-1.csv", "tier-2.csv", "tier-3.csv", "lists.csv"]
    header, lists = read_rows(tmp_path / "linkedin" / "lists.csv")
    assert header == ["file", "tier", "rows", "warning"]
    sizes = dict(ctx.assignments.group_by("tier").len().iter_rows())
    assert [(r["tier"], int(r["rows"])) for r in lists] == [(t, sizes[t]) for t in ("Tier 1", "Tier 2", "Tier 3")]
    flagged = {r["tier"] for r in lists if "needs at least 50 companies" in r["warning"]}
    assert flagged == {t for t in ("Tier 1", "Tier 2", "Tier 3") if sizes[t] < 50} == {"Tier 1"}


def test_linkedin_splits_by_rows_and_by_bytes(demo_session: Session, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = with_export(context(demo_session), linkedin_per="tier")
    sizes = dict(ctx.assignments.group_by("tier").len().iter_rows())
    monkeypatch.setattr(linkedin_target, "LINKEDIN_MAX_ROWS", 100)
    delivery = deliver("linkedin", ctx, tmp_path / "rows")
    _, lists = read_rows(tmp_path / "rows" / "linkedin" / "lists.csv")
    for tier, slug in (("Tier 2", "tier-2"), ("Tier 3", "tier-3")):
        parts = [r for r in lists if r["tier"] == tier]
        assert [r["file"] for r in parts] == [f"{slug}--part-{i}.csv" for i in range(1, len(parts) + 1)]
        assert len(parts) == -(-sizes[tier] // 100) and sum(int(r["rows"]) for r in parts) == sizes[tier]
    assert any("split into parts" in w for w in delivery.warnings)
    monkeypatch.setattr(linkedin_target, "LINKEDIN_MAX_ROWS", 300_000)
    monkeypatch.setattr(linkedin_target, "LINKEDIN_MAX_BYTES", 5_000)
    deliver("linkedin", ctx, tmp_path / "bytes")
    _, lists = read_rows(tmp_path / "bytes" / "linkedin" / "lists.csv")
    files = [tmp_path / "bytes" / "linkedin" / r["file"] for r in lists]
    assert len(files) > 3
    assert sum(int(r["rows"]) for r in lists) == sum(sizes[t] for t in ("Tier 1", "Tier 2", "Tier 3"))
    header_bytes = len(",".join(LINKEDIN_HEADER)) + 1
    assert all(f.stat().st_size <= 5_000 + header_bytes + 200 for f in files)


def test_linkedin_without_targets_writes_only_the_index(demo_session: Session, tmp_path: Path) -> None:
    ctx = context(demo_session)
    nobody = ctx.assignments.with_columns(tier=pl.lit(NOT_TARGET))
    ctx = replace(ctx, plan=replace(ctx.plan, tiers=()), assignments=nobody)
    delivery = deliver("linkedin", ctx, tmp_path)
    assert [p.name for p in delivery.files] == ["lists.csv"] and delivery.rows == 0
    assert read_rows(delivery.files[0]) == (["file", "segment", "rows", "warning"], [])
    assert delivery.warnings == ("no account is in a target tier, so no LinkedIn list was written",)


def test_slugs_are_safe_stable_and_unique() -> None:
    taken: set[str] = set()
    names = [("Tier 1", "Interested"), ("Tier-1", "Interested"), ("Priorité", "Évalué / à suivre"), ("CON",),
             ("★",), ("Lists",), ("Tier 1", "Interested")]
    slugs = [linkedin_target._slug(n, taken) for n in names]
    assert slugs == ["tier-1--interested", "tier-1--interested-2", "priorite--evalue-a-suivre", "con-list", "list",
                     "lists-list", "tier-1--interested-3"]
    assert all(re.fullmatch(r"[a-z0-9-]+", s) for s in slugs)


# --- every file ---------------------------------------------------------------------------------


def test_formula_names_are_neutralised_everywhere(rich: Session, tmp_path: Path) -> None:
    ctx = context(rich)
    for destination in ("hubspot", "linkedin"):
        deliver(destination, ctx, tmp_path)
    _, companies = read_rows(tmp_path / "hubspot_companies.csv")
    names = {r["Company name"] for r in companies}
    assert {"'" + EVIL, "'@SUM(1+1)"} <= names and EVIL not in names
    listed = [r["companyname"] for f in (tmp_path / "linkedin").glob("tier-*.csv") for r in read_rows(f)[1]]
    assert listed.count("'" + EVIL) == 1 and listed.count("'@SUM(1+1)") == 1
    assert not any(name.startswith(("=", "+", "-", "@")) for name in listed)


def test_the_same_plan_writes_the_same_bytes(demo_session: Session, tmp_path: Path) -> None:
    ctx = context(demo_session)
    first = {p.name: p.read_bytes() for d in ("hubspot", "salesforce", "linkedin")
             for p in deliver(d, ctx, tmp_path / "a").files}
    second = {p.name: p.read_bytes() for d in ("hubspot", "salesforce", "linkedin")
              for p in deliver(d, ctx, tmp_path / "b").files}
    assert first == second


def test_an_input_is_never_overwritten(demo_plan_path: Path, tmp_path: Path) -> None:
    for name in ("engagement.parquet", "plan.toml"):
        shutil.copy(demo_plan_path.parent / name, tmp_path / name)
    shutil.copy(demo_plan_path.parent / "accounts.csv", tmp_path / "hubspot_companies.csv")
    plan_file = tmp_path / "plan.toml"
    plan_file.write_text(plan_file.read_text().replace('"accounts.csv"', '"hubspot_companies.csv"'))
    ctx = context(Session.open(plan_file))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(AbmError, match="hubspot_companies.csv: is an input of this plan; refusing to overwrite"):
        deliver("hubspot", ctx, tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    linkedin = replace(ctx, inputs=ctx.inputs | {(tmp_path / "linkedin" / "lists.csv").resolve()})
    with pytest.raises(AbmError, match="lists.csv: is an input"):
        deliver("linkedin", linkedin, tmp_path)
    assert not (tmp_path / "linkedin").exists()
    with pytest.raises(AbmError, match="is an input"):
        write_manifest(tmp_path, [], provenance(ctx.plan, ctx.as_of), frozenset({(tmp_path / "manifest.json")}))


def test_unknown_destination() -> None:
    with pytest.raises(AbmError, match=r"'hubspt'; expected one of hubspot, salesforce, linkedin, sql "
                                       r"\(did you mean 'hubspot'\?\)"):
        deliver("hubspt", None, Path("unused"))  # type: ignore[arg-type]


# --- provenance and manifest --------------------------------------------------------------------


def test_provenance_follows_the_plan(demo_plan_path: Path, demo_session: Session) -> None:
    plan = demo_session.plan
    as_of = demo_session.as_of
    first, again = provenance(plan, as_of), provenance(load_plan(demo_plan_path), as_of)
    assert re.fullmatch(r"[0-9a-f]{12}", first.plan_hash)
    assert first.plan_hash == again.plan_hash == hashlib.sha256(dumps_plan(plan).encode()).hexdigest()[:12]
    assert first.label() == again.label() == f"Demo: FY27 Q1 ABM plan (plan {first.plan_hash}, as of 2026-11-20)"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", first.generated_at)
    changed = provenance(edits.set_test(plan, "tiers", 0, "fit_score", "min", 70), as_of)
    assert changed.plan_hash != first.plan_hash and changed.label() != first.label()
    assert provenance(replace(plan, name="FY27\nQ1"), as_of).label().startswith("FY27 Q1 (plan ")


def entries(out: Path) -> dict[str, dict]:
    return {e["name"]: e for e in json.loads((out / "manifest.json").read_text())["files"]}


def test_manifest_merges_run_and_export(demo_session: Session, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = context(demo_session)
    prov = provenance(ctx.plan, ctx.as_of)
    run_files = run_exports(ctx.assignments, demo_session.matrix(), ctx.plan, tmp_path)
    write_manifest(tmp_path, run_files, prov)
    monkeypatch.setattr(hubspot_target, "HUBSPOT_MAX_ROWS", 1_000)
    hubspot = deliver("hubspot", ctx, tmp_path)
    write_manifest(tmp_path, hubspot.files, prov)
    changed = edits.set_test(ctx.plan, "tiers", 2, "fit_score", "min", 60)
    ctx2 = replace(ctx, plan=changed, assignments=demo_session.assignments(changed))
    later = provenance(changed, ctx.as_of)
    linkedin = deliver("linkedin", ctx2, tmp_path)
    manifest = write_manifest(tmp_path, linkedin.files, later)
    doc = json.loads(manifest.read_text())
    assert (doc["plan_name"], doc["plan_hash"], doc["as_of"]) == (changed.name, later.plan_hash, "2026-11-20")
    assert doc["version"] == prov.version and doc["generated_at"] == later.generated_at
    found = entries(tmp_path)
    names = {"assignments.csv", "assignments.parquet", "matrix.csv", "plan.toml"}
    names |= {p.name for p in hubspot.files} | {f"linkedin/{p.name}" for p in linkedin.files}
    assert set(found) == names
    for name, entry in found.items():
        assert entry["sha256"] == hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
        assert entry["plan_hash"] == (later if name.startswith("linkedin/") else prov).plan_hash
    assert found["assignments.csv"]["rows"] == found["assignments.parquet"]["rows"] == 3_000
    assert found["hubspot_companies-2.csv"]["rows"] == 1_000 and found["plan.toml"]["rows"] is None
    assert found["linkedin/lists.csv"]["rows"] == len(linkedin.files) - 1

    monkeypatch.setattr(hubspot_target, "HUBSPOT_MAX_ROWS", 249_998)
    whole = deliver("hubspot", ctx, tmp_path)
    assert any("removed 3 file(s) of an earlier delivery" in w for w in whole.warnings)
    assert not list(tmp_path.glob("hubspot_companies-*.csv"))
    write_manifest(tmp_path, whole.files, prov)
    assert {n for n in entries(tmp_path) if n.startswith("hubspot")} == {"hubspot_companies.csv"}


def test_a_manifest_that_cannot_be_read_stops_the_delivery(demo_session: Session, tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(AbmError, match=r"manifest.json: is not a manifest abm-tui can read"):
        deliver("salesforce", context(demo_session), tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]


# --- SQL ----------------------------------------------------------------------------------------


def test_sql_file_has_the_plan_in_its_header(demo_session: Session, tmp_path: Path) -> None:
    warehouse = pytest.importorskip("abm_tui.outputs.warehouse")
    ctx = with_export(context(demo_session), sql_dialect="postgres")
    delivery = deliver("sql", ctx, tmp_path)
    assert delivery == Delivery("sql", tuple(tmp_path / name for name in (
        "plan.sql", "load.sql", "warehouse/accounts.parquet", "warehouse/accounts.copy", "warehouse/events.parquet",
        "warehouse/events.copy")), (), 0)
    text = delivery.files[0].read_text(encoding="utf-8")
    prov = provenance(ctx.plan, ctx.as_of)
    assert text.startswith(f"-- {prov.label()}\n-- written by abm-tui {prov.version} for postgres\n\n")
    body = warehouse.plan_sql(ctx.plan, ctx.accounts.schema, ctx.channels, ctx.as_of, "postgres", "accounts",
                              "events")
    assert text.endswith(body.rstrip("\n") + "\n")


# --- a real public file -------------------------------------------------------------------------


def test_sp500_constituents_to_hubspot_and_linkedin(tmp_path: Path) -> None:
    source = REALDATA / "constituents.csv"
    if not source.is_file():
        pytest.skip("no /work/shared/realdata/constituents.csv here")
    shutil.copy(source, tmp_path / "constituents.csv")
    (tmp_path / "plan.toml").write_text(
        """version = 1
name = "S&P 500 tech push"
as_of = 2026-11-20

[data]
accounts = "constituents.csv"
[data.columns]
account_id = "Symbol"
name = "Security"
industry = "GICS Sector"

[[fit.criteria]]
name = "Tech"
points = 60
where = { industry = { in = ["Information Technology", "Communication Services"] } }

[[fit.criteria]]
name = "Money"
points = 30
where = { industry = { eq = "Financials" } }

[[tiers]]
name = "Tier 1"
where = { fit_score = { min = 60 } }

[[tiers]]
name = "Tier 2"
where = { fit_score = { min = 30 } }

[[stages]]
name = "Identified"
""",
        encoding="utf-8",
    )
    session = Session.open(tmp_path / "plan.toml")
    ctx = context(session)
    out = tmp_path / "out"
    hubspot = deliver("hubspot", ctx, out)
    header, rows = read_rows(hubspot.files[0])
    assert header == HUBSPOT_HEADER and rows == [] and hubspot.rows == 0
    assert hubspot.warnings[0].startswith("503 accounts have no domain and are left out")
    by_id = deliver("hubspot", with_export(ctx, hubspot_key="record_id"), out)
    _, rows = read_rows(by_id.files[0])
    assert len(rows) == 503 and rows[0]["Record ID"] == "MMM"
    assert any("503 account ids are not HubSpot Record IDs" in w for w in by_id.warnings)
    tiers = dict(ctx.assignments.group_by("tier").len().iter_rows())
    assert sum(r["Target Account"] == "true" for r in rows) == tiers["Tier 1"] + tiers["Tier 2"]
    linkedin = deliver("linkedin", ctx, out)
    assert [p.name for p in linkedin.files] == ["tier-1--identified.csv", "tier-2--identified.csv", "lists.csv"]
    _, companies = read_rows(out / "linkedin" / "tier-2--identified.csv")
    assert len(companies) == tiers["Tier 2"] and {r["industry"] for r in companies} == {"Financials"}
    assert "BXP, Inc." in {r["Company name"] for r in read_rows(out / "hubspot_companies.csv")[1]}
    assert any(f"{tiers['Tier 1'] + tiers['Tier 2']} companies have neither a domain nor a LinkedIn page" in w
               for w in linkedin.warnings)
    manifest = write_manifest(out, hubspot.files + linkedin.files, provenance(ctx.plan, ctx.as_of))
    assert json.loads(manifest.read_text())["plan_name"] == "S&P 500 tech push"
