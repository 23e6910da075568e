"""The run history on real files: `abm-tui run` keeps one dated snapshot per run, never rewrites one,
and says what moved since the last one, with reasons a planner can read.

Two kinds of data: a copy of the bundled demo (5,000 accounts) moved a week on by editing `as_of`
in its plan, and a hand-made plan of six accounts whose events fall on known dates, so every reason
can be checked word for word. Between 2026-11-13 and 2026-11-20 in the hand-made data:

    A0  fit 85, Tier 1 throughout                                     stays put
    A1  content_download x5 on 11-01, pricing_page_visit on 11-18   Interested -> Considering
    A2  demo_request on 10-17, nothing since (27 -> 34 days)          Spiking -> Stalled
    A3  fit 75, open opportunity, webinar on 11-05 between two ad impressions (exposure, not engagement)
    A4  fit 50, no events                                             stays put
    A5  fit 0, no events                                              stays put
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest

from abm_tui import cli
from abm_tui.history.movement import compare, summary
from abm_tui.history.snapshots import SEGMENT_COLUMNS, list_snapshots, read_snapshot, snapshot_frame
from abm_tui.plan.parse import load_plan
from abm_tui.session import Session
from tests.test_cli import abm

REPO = Path(__file__).resolve().parent.parent
DEMO_FILES = ("plan.toml", "accounts.csv", "engagement.parquet", "contacts.csv")
MOVEMENT = ("movement.md", "movement.csv")
D = dt.date

HAND_PLAN = """
version = 1
name = "Hand-made"
as_of = {as_of}

[data]
accounts = "accounts.csv"
engagement = "engagement.csv"

[engagement]
recent_days = 30
window_days = 90

[engagement.weights]
pricing_page_visit = 10
demo_request = 25
content_download = 5

[[fit.criteria]]
name = "Core industry"
points = 50
where = {{ industry = {{ eq = "Fintech" }} }}

[[fit.criteria]]
name = "Mid-market size"
points = 25
where = {{ employees = {{ min = 200 }} }}

[[fit.criteria]]
name = "Enterprise"
points = 10
where = {{ employees = {{ min = 1000 }} }}

[[tiers]]
name = "Tier 1"
where = {{ fit_score = {{ min = {tier1} }} }}

[[tiers]]
name = "Tier 2"
where = {{ fit_score = {{ min = 50 }} }}

[[stages]]
name = "Closed Won"
where = {{ crm_stage = {{ in = ["closed_won", "customer"] }} }}

[[stages]]
name = "Selecting"
where = {{ crm_stage = {{ eq = "open_opportunity" }} }}

[[stages]]
name = "Considering"
where = {{ any = [{{ pricing_page_visit_window = {{ min = 1 }} }}, {{ demo_request_window = {{ min = 1 }} }}] }}

[[stages]]
name = "Interested"
where = {{ sql = "ad_click_window + ad_engagement_window + email_click_window + content_download_window >= 5" }}

[[stages]]
name = "Identified"

[[buckets]]
name = "Spiking"
where.engagement_recent = {{ min = 20 }}
where.sql = "engagement_recent >= 3 * (engagement_window - engagement_recent) / 2"

[[buckets]]
name = "Stalled"
where = {{ engagement_total = {{ min = 15 }}, days_since_engaged = {{ min = 30 }} }}
"""
HAND_ACCOUNTS = {
    "A0": "A0,Anchor,Fintech,2000,customer,90000",
    "A1": "A1,Pricing Visitor,Fintech,100,none,",
    "A2": "A2,Gone Quiet,Fintech,100,none,",
    "A3": "A3,Nearly There,Fintech,300,open_opportunity,25000",
    "A4": "A4,Steady,Fintech,100,none,",
    "A5": "A5,Far Away,Software,10,none,",
}
# A week on, A5 is gone from the accounts file and A6 (fit 75) is new in it.
NEWCOMER = {**{k: v for k, v in HAND_ACCOUNTS.items() if k != "A5"}, "A6": "A6,Newcomer,Fintech,250,none,"}
HAND_EVENTS = """account_id,date,channel,count
A1,2026-11-01,content_download,5
A1,2026-11-18,pricing_page_visit,1
A2,2026-10-17,demo_request,1
A3,2026-11-02,ad_impression,3
A3,2026-11-05,webinar,1
A3,2026-11-09,ad_impression,2
"""
# The hand-made plan's rules read these (the segment columns and derived values aside).
HAND_INPUTS = (
    "industry", "employees", "crm_stage", "pricing_page_visit_window", "demo_request_window", "ad_click_window",
    "ad_engagement_window", "email_click_window", "content_download_window", "engagement_recent",
    "engagement_window", "engagement_total", "days_since_engaged",
)


def write_hand_made(folder: Path, as_of: str = "2026-11-13", tier1: int = 80,
                    accounts: dict[str, str] = HAND_ACCOUNTS) -> Path:
    """The hand-made plan, accounts and events in `folder` (rewritten in place, as a planner edits them)."""
    folder.mkdir(parents=True, exist_ok=True)
    plan = folder / "plan.toml"
    plan.write_text(HAND_PLAN.format(as_of=as_of, tier1=tier1))
    header = "account_id,name,industry,employees,crm_stage,opportunity_amount\n"
    (folder / "accounts.csv").write_text(header + "\n".join(accounts.values()) + "\n")
    (folder / "engagement.csv").write_text(HAND_EVENTS)
    return plan


def copy_demo(folder: Path) -> Path:
    """The bundled demo's three files, without its history: a planner's first week."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in DEMO_FILES:
        shutil.copy(REPO / "data" / name, folder / name)
    return folder / "plan.toml"


def set_as_of(plan: Path, as_of: str) -> None:
    text = plan.read_text()
    old = next(line for line in text.splitlines() if line.startswith("as_of = "))
    plan.write_text(text.replace(old, f"as_of = {as_of}"))


def run(plan: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> str:
    """`abm-tui run` in this process (the same entry point the command has); its stdout."""
    capsys.readouterr()
    status = cli.main(["run", str(plan), *flags])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "Traceback" not in out + err
    return out


def files_of(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def reasons(exports: Path) -> dict[str, str]:
    moved = pl.read_csv(exports / "movement.csv")
    return dict(zip(moved.get_column("account_id").to_list(), moved.get_column("reason").to_list(), strict=True))


# --- the weekly run ------------------------------------------------------------------------------


def test_two_weekly_runs_keep_two_snapshots_and_say_what_moved(tmp_path: Path) -> None:
    plan = copy_demo(tmp_path)
    history, exports = tmp_path / "history", tmp_path / "exports"
    first = abm("run", plan)
    assert first.returncode == 0, first.stderr
    assert sorted(p.name for p in history.iterdir()) == ["2026-11-20.parquet"]
    said = (exports / "movement.md").read_text()
    assert "no snapshot before 2026-11-20" in said and str(history) in said
    assert not (exports / "movement.csv").exists()
    assert f"history: kept {history / '2026-11-20.parquet'}" in first.stdout

    set_as_of(plan, "2026-11-27")
    second = abm("run", plan)
    assert second.returncode == 0, second.stderr
    assert sorted(p.name for p in history.iterdir()) == ["2026-11-20.parquet", "2026-11-27.parquet"]
    head = "Demo: FY27 Q1 ABM plan: 2026-11-20 (2026-11-20.parquet) → 2026-11-27 (2026-11-27.parquet)"
    assert head in second.stdout
    markdown = (exports / "movement.md").read_text()
    assert markdown.startswith("# What moved") and head in markdown and "no snapshot before" not in markdown

    moved = pl.read_csv(exports / "movement.csv")
    before = pl.read_parquet(history / "2026-11-20.parquet")
    after = pl.read_parquet(history / "2026-11-27.parquet")
    changed = before.join(after, on="account_id", suffix="_after").filter(
        (pl.col("tier") != pl.col("tier_after")) | (pl.col("stage") != pl.col("stage_after"))
        | (pl.col("bucket") != pl.col("bucket_after"))
    )
    assert moved.height > 0
    assert sorted(moved.get_column("account_id")) == sorted(changed.get_column("account_id"))
    assert set(moved.get_column("change")) == {"moved"}
    assert moved.get_column("reason").str.contains(" moved it from ").all()
    counted = f"5,000 accounts: {moved.height:,} moved, 0 new, 0 gone"
    assert counted in second.stdout and counted in markdown


def test_an_identical_rerun_or_a_trial_run_adds_nothing_and_touches_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = copy_demo(tmp_path)
    history = tmp_path / "history"
    run(plan, capsys)
    set_as_of(plan, "2026-11-27")
    run(plan, capsys)
    kept = files_of(history)

    out = run(plan, capsys)
    assert files_of(history) == kept
    assert f"{history / '2026-11-27.parquet'} already holds this run" in out
    assert "2026-11-20 (2026-11-20.parquet) → 2026-11-27 (2026-11-27.parquet)" in out, "still says what moved"

    # A trial run a week later keeps nothing and leaves last week's movement files as they were.
    movement = files_of(tmp_path / "exports")
    set_as_of(plan, "2026-12-04")
    out = run(plan, capsys, "--no-history")
    assert files_of(history) == kept
    assert "history:" not in out and "movement" not in out
    assert {name: files_of(tmp_path / "exports")[name] for name in MOVEMENT} == {n: movement[n] for n in MOVEMENT}


def test_same_day_with_new_data_is_kept_beside_the_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = copy_demo(tmp_path)
    history = tmp_path / "history"
    run(plan, capsys)
    kept = files_of(history)
    accounts = tmp_path / "accounts.csv"
    line = next(row for row in accounts.read_text().splitlines() if row.startswith("A000001,"))
    assert ",none,," in line
    accounts.write_text(accounts.read_text().replace(line, line.replace(",none,,", ",open_opportunity,50000,")))

    out = run(plan, capsys)
    assert sorted(p.name for p in history.iterdir()) == ["2026-11-20.2.parquet", "2026-11-20.parquet"]
    assert {name: files_of(history)[name] for name in kept} == kept
    assert "2026-11-20 (2026-11-20.parquet) → 2026-11-20 (2026-11-20.2.parquet)" in out
    assert "CRM: 1 opportunities opened" in out
    said = reasons(tmp_path / "exports")
    assert list(said) == ["A000001"]
    assert said["A000001"].startswith("crm_stage none → open_opportunity moved it from ")
    assert said["A000001"].endswith(" to Selecting")
    assert [s.path.name for s in list_snapshots(history)] == ["2026-11-20.parquet", "2026-11-20.2.parquet"]


def test_a_run_dated_before_the_newest_snapshot_is_kept_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = copy_demo(tmp_path)
    history = tmp_path / "history"
    run(plan, capsys)
    kept = files_of(history)
    set_as_of(plan, "2026-11-13")

    out = run(plan, capsys)
    assert sorted(p.name for p in history.iterdir()) == ["2026-11-13.parquet", "2026-11-20.parquet"]
    assert files_of(history)["2026-11-20.parquet"] == kept["2026-11-20.parquet"]
    assert "as_of 2026-11-13 is earlier than the newest snapshot (2026-11-20 (2026-11-20.parquet))" in out
    assert "nothing replaced" in out
    assert [s.as_of for s in list_snapshots(history)] == [D(2026, 11, 13), D(2026, 11, 20)]


def test_no_history_on_a_first_run_adds_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = copy_demo(tmp_path)
    exports = tmp_path / "exports"
    out = run(plan, capsys, "--no-history")
    assert not (tmp_path / "history").exists()
    assert "history:" not in out and not (exports / "movement.md").exists()
    assert (exports / "assignments.csv").is_file()


# --- what a snapshot holds -----------------------------------------------------------------------


def test_a_snapshot_is_one_row_per_account_with_the_exported_segments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = copy_demo(tmp_path)
    run(plan, capsys)
    snapshot = pl.read_parquet(tmp_path / "history" / "2026-11-20.parquet")
    assignments = pl.read_csv(tmp_path / "exports" / "assignments.csv", infer_schema=False)
    assert snapshot.height == 5000 == snapshot.get_column("account_id").n_unique()
    as_text = snapshot.select(pl.col(c).cast(pl.String) for c in SEGMENT_COLUMNS)
    assert as_text.equals(assignments.select(SEGMENT_COLUMNS))
    demo_inputs = {
        "industry", "employees", "annual_revenue", "funding_stage", "tech_stack", "region", "crm_stage",
        "engagement_recent", "engagement_window", "engagement_total", "days_since_engaged",
        "pricing_page_visit_window", "demo_request_window", "ad_click_window", "ad_engagement_window",
        "email_click_window", "content_download_window", "ad_impression_window",
    }
    assert demo_inputs <= set(snapshot.columns)
    accounts = pl.read_csv(tmp_path / "accounts.csv", infer_schema=False)
    outcomes = snapshot.select("account_id", "crm_stage", "opportunity_amount").join(
        accounts.select("account_id", "crm_stage", pl.col("opportunity_amount").cast(pl.Float64)),
        on="account_id", suffix="_file",
    )
    assert outcomes.height == 5000
    assert (outcomes.get_column("crm_stage") == outcomes.get_column("crm_stage_file")).all()
    assert outcomes.get_column("opportunity_amount").equals(outcomes.get_column("opportunity_amount_file"),
                                                            check_names=False)


def test_hand_made_snapshot_holds_engagement_dates_outcomes_and_rule_inputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = write_hand_made(tmp_path)
    run(plan, capsys)
    path = tmp_path / "history" / "2026-11-13.parquet"
    rows = {row["account_id"]: row for row in pl.read_parquet(path).iter_rows(named=True)}
    assert list(rows) == ["A0", "A1", "A2", "A3", "A4", "A5"]
    a1, a2, a3, a5 = rows["A1"], rows["A2"], rows["A3"], rows["A5"]
    # The 11-18 visit lies after as_of, so the week of 11-13 has not seen it.
    assert (a1["first_engaged"], a1["last_engaged"], a1["last_channel"]) == (D(2026, 11, 1), D(2026, 11, 1),
                                                                            "content_download")
    assert (a1["stage"], a1["bucket"], a1["pricing_page_visit_window"]) == ("Interested", "Spiking", 0)
    assert (a2["days_since_engaged"], a2["bucket"], a2["engagement_recent"]) == (27, "Spiking", 25)
    # Ad impressions are exposure: they neither start nor end an account's engagement.
    assert (a3["first_engaged"], a3["last_engaged"], a3["last_channel"]) == (D(2026, 11, 5), D(2026, 11, 5), "webinar")
    assert (a3["days_since_engaged"], a3["fit_score"], a3["tier"], a3["stage"]) == (8, 75, "Tier 2", "Selecting")
    assert (a3["crm_stage"], a3["opportunity_amount"], a3["close_date"]) == ("open_opportunity", 25000.0, None)
    assert (a5["first_engaged"], a5["last_engaged"], a5["last_channel"], a5["opportunity_amount"]) == (None,) * 4
    assert a5["tier"] == "Not target" and a5["crm_stage"] == "none"
    assert set(HAND_INPUTS) <= set(rows["A1"])

    write_hand_made(tmp_path, as_of="2026-11-20")
    run(plan, capsys)
    later = pl.read_parquet(tmp_path / "history" / "2026-11-20.parquet").row(1, named=True)
    assert (later["last_engaged"], later["last_channel"], later["stage"]) == (D(2026, 11, 18), "pricing_page_visit",
                                                                           "Considering")


def test_snapshot_metadata_names_the_run_and_keeps_the_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = write_hand_made(tmp_path)
    run(plan, capsys)
    snapshot = read_snapshot(tmp_path / "history" / "2026-11-13.parquet")
    manifest = pl.read_json(tmp_path / "exports" / "manifest.json").row(0, named=True)
    assert snapshot.as_of == D(2026, 11, 13)
    assert snapshot.plan_name == "Hand-made"
    assert snapshot.plan_hash == manifest["plan_hash"] and len(snapshot.plan_hash) >= 8
    assert snapshot.tiers == ("Tier 1", "Tier 2", "Not target")
    assert snapshot.stages == ("Closed Won", "Selecting", "Considering", "Interested", "Identified", "Unstaged")
    assert snapshot.buckets == ("Spiking", "Stalled", "Unclassified")
    assert snapshot.label == "2026-11-13 (2026-11-13.parquet)"
    kept_plan = snapshot.plan()
    assert kept_plan is not None and kept_plan.tiers == load_plan(plan).tiers

    # The plan moves on; the snapshot still says what made it.
    write_hand_made(tmp_path, tier1=70)
    run(plan, capsys)
    second = read_snapshot(tmp_path / "history" / "2026-11-13.2.parquet")
    assert second.plan_hash != snapshot.plan_hash
    assert read_snapshot(snapshot.path) == snapshot


# --- reasons -------------------------------------------------------------------------------------


def test_a_week_on_the_reasons_name_the_event_the_silence_and_the_plan_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = write_hand_made(tmp_path)
    run(plan, capsys)
    write_hand_made(tmp_path, as_of="2026-11-20", tier1=70)
    out = run(plan, capsys)

    said = reasons(tmp_path / "exports")
    assert sorted(said) == ["A1", "A2", "A3"]
    assert said["A1"] == "pricing_page_visit on 2026-11-18 moved it from Interested to Considering"
    assert said["A2"].startswith("no engagement for 34 days")
    assert said["A2"].endswith(" moved it from Spiking to Stalled")
    assert said["A3"].startswith("plan: ")
    assert "Tier 1: fit_score ≥ 80 -> ≥ 70" in said["A3"]
    assert said["A3"].endswith(" moved it from Tier 2 to Tier 1")
    assert "plan changes since then:" in out and "Tier 1: fit_score ≥ 80 -> ≥ 70" in out
    assert "6 accounts: 3 moved, 0 new, 0 gone" in out
    assert "tiers: Tier 1 1 → 2, Tier 2 4 → 3, Not target 1 → 1" in out


def test_a_plan_edit_on_the_same_day_is_the_whole_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = write_hand_made(tmp_path)
    run(plan, capsys)
    write_hand_made(tmp_path, tier1=70)
    run(plan, capsys)
    said = "plan: Tier 1: fit_score ≥ 80 -> ≥ 70 moved it from Tier 2 to Tier 1"
    assert reasons(tmp_path / "exports") == {"A3": said}


def hand_frame(folder: Path, accounts: dict[str, str], tier1: int = 80) -> tuple[pl.DataFrame, Session]:
    session = Session.open(write_hand_made(folder, tier1=tier1, accounts=accounts))
    return snapshot_frame(session, session.assignments()), session


def test_accounts_added_to_and_removed_from_the_file_entered_and_left(tmp_path: Path) -> None:
    before, first = hand_frame(tmp_path / "one", HAND_ACCOUNTS)
    after, second = hand_frame(tmp_path / "two", NEWCOMER)
    movement = compare(before, after, ("one", "two"), (first.plan, second.plan))
    rows = {row["account_id"]: row for row in movement.accounts.iter_rows(named=True)}
    assert sorted(rows) == ["A0", "A1", "A2", "A3", "A4", "A5", "A6"]
    assert (rows["A5"]["change"], rows["A5"]["reason"], rows["A5"]["before_tier"], rows["A5"]["after_tier"]) == (
        "left", "no longer in the account list", "Not target", None)
    assert (rows["A6"]["change"], rows["A6"]["reason"], rows["A6"]["before_tier"], rows["A6"]["after_tier"]) == (
        "entered", "new in this segmentation", None, "Tier 2")
    assert [rows[k]["change"] for k in ("A0", "A1", "A2", "A3", "A4")] == [None] * 5
    assert (movement.count("entered"), movement.count("left"), movement.count("moved")) == (1, 1, 0)


def test_the_summary_counts_accounts_that_entered_and_left(tmp_path: Path) -> None:
    before, first = hand_frame(tmp_path / "one", HAND_ACCOUNTS)
    after, second = hand_frame(tmp_path / "two", NEWCOMER)
    text = summary(compare(before, after, ("one", "two"), (first.plan, second.plan)), "weekly")
    assert "7 accounts: 0 moved, 1 new, 1 gone" in text
    assert "tiers: Tier 1 1 → 1, Tier 2 4 → 5, Not target 1 → 0" in text


def test_a_run_after_accounts_entered_and_left_writes_the_movement(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = write_hand_made(tmp_path)
    run(plan, capsys)
    write_hand_made(tmp_path, as_of="2026-11-20", accounts=NEWCOMER)
    out = run(plan, capsys)
    assert "1 new, 1 gone" in out
    said = reasons(tmp_path / "exports")
    assert said["A5"] == "no longer in the account list" and said["A6"] == "new in this segmentation"


def test_the_summary_shows_a_tier_that_fills_for_the_first_time(tmp_path: Path) -> None:
    no_anchor = {k: v for k, v in HAND_ACCOUNTS.items() if k != "A0"}
    before, first = hand_frame(tmp_path / "one", no_anchor)
    after, second = hand_frame(tmp_path / "two", no_anchor, tier1=70)
    movement = compare(before, after, ("one", "two"), (first.plan, second.plan))
    assert movement.count("moved") == 1
    assert "tiers: Tier 1 0 → 1, Tier 2 4 → 3, Not target 1 → 1" in summary(movement, "weekly")


def test_a_damaged_snapshot_stops_the_run_before_anything_is_written(tmp_path: Path) -> None:
    plan = copy_demo(tmp_path)
    (tmp_path / "history").mkdir()
    (tmp_path / "history" / "2026-11-13.parquet").write_bytes(b"not parquet at all")
    result = abm("run", plan)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "2026-11-13.parquet: not a Parquet file" in result.stderr and "--no-history" in result.stderr
    assert not (tmp_path / "exports").exists()
    assert [p.name for p in (tmp_path / "history").iterdir()] == ["2026-11-13.parquet"]


def test_a_close_date_written_as_text_is_kept_as_a_date(tmp_path: Path) -> None:
    plan = copy_demo(tmp_path)
    accounts = pl.read_csv(tmp_path / "accounts.csv")
    won = pl.col("crm_stage") == "closed_won"
    dates = pl.when(won).then(pl.lit("2026-10-15")).otherwise(pl.lit("")).alias("close_date")
    accounts.with_columns(dates).write_csv(tmp_path / "accounts.csv")
    session = Session.open(plan)
    frame = snapshot_frame(session, session.assignments())
    assert frame.schema["close_date"] == pl.Date
    dated = frame.filter(pl.col("crm_stage") == "closed_won").get_column("close_date")
    assert dated.len() > 0 and dated.to_list() == [dt.date(2026, 10, 15)] * dated.len()
    others = frame.filter(pl.col("crm_stage") != "closed_won").get_column("close_date")
    assert others.null_count() == others.len()


def test_write_new_never_replaces_a_file_that_appeared_under_the_name(tmp_path: Path) -> None:
    from abm_tui.files import write_new

    taken = tmp_path / "2026-11-20.parquet"
    taken.write_bytes(b"someone else's snapshot")
    names = [taken, tmp_path / "2026-11-20.2.parquet"]
    path = write_new(iter(names), lambda tmp: tmp.write_bytes(b"ours"))
    assert path == names[1] and path.read_bytes() == b"ours"
    assert taken.read_bytes() == b"someone else's snapshot"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026-11-20.2.parquet", "2026-11-20.parquet"]
