"""`abm-tui diff A B` on real files: two snapshots, a snapshot and the plan now, two plans; and every
way a planner can hand it the wrong file, each answered in one line that names the file.

The snapshots are the ones `abm-tui run` keeps for a copy of the bundled demo run a week apart
(2026-11-20, 2026-11-27), and for the hand-made accounts of tests/test_history.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from abm_tui import cli
from abm_tui.history.diff import diff
from abm_tui.history.movement import Movement, changes_frame, compare
from abm_tui.history.snapshots import META_KEY, write_snapshot
from abm_tui.plan.model import FLOW_DIMENSIONS
from tests.test_cli import abm
from tests.test_history import HAND_ACCOUNTS, HAND_PLAN, NEWCOMER, copy_demo, hand_frame, set_as_of, write_hand_made

pytestmark = pytest.mark.cli

WEEK1, WEEK2 = "2026-11-20.parquet", "2026-11-27.parquet"


@pytest.fixture(scope="module")
def demo_weeks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo run on 2026-11-20 and 2026-11-27; its plan is left at 2026-11-27."""
    folder = tmp_path_factory.mktemp("weeks")
    plan = copy_demo(folder)
    assert cli.main(["run", str(plan)]) == 0
    set_as_of(plan, "2026-11-27")
    assert cli.main(["run", str(plan)]) == 0
    return folder


def cli_diff(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """`abm-tui diff` in this process: status, stdout, stderr."""
    capsys.readouterr()
    status = cli.main(["diff", *map(str, args)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out, err


def number(pattern: str, text: str) -> int:
    found = re.search(pattern, text)
    assert found, f"{pattern!r} not in:\n{text}"
    return int(found.group(1).replace(",", ""))


# --- snapshot against snapshot -------------------------------------------------------------------


def test_two_snapshots_table_csv_and_json_agree(demo_weeks: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = demo_weeks / "history" / WEEK1, demo_weeks / "history" / WEEK2
    table = abm("diff", a, b, "--limit", "7")
    assert table.returncode == 0, table.stderr
    status, csv_text, _ = cli_diff(capsys, a, b, "--format", "csv")
    assert status == 0
    status, json_text, _ = cli_diff(capsys, a, b, "--format", "json")
    assert status == 0
    rows = pl.read_csv(csv_text.encode())
    document = json.loads(json_text)

    moved = number(r"5,000 accounts: ([\d,]+) moved, 0 new, 0 gone", table.stdout)
    listed = number(r"accounts \(7 of ([\d,]+); --format csv lists all\)", table.stdout)
    assert moved > 0 and listed == moved == rows.height == len(document["changes"]) == document["moved"]
    assert (document["accounts"], document["entered"], document["left"]) == (5000, 0, 0)
    assert document["before"] == "2026-11-20 (2026-11-20.parquet)"
    assert document["after"] == "2026-11-27 (2026-11-27.parquet)"
    assert [c["account_id"] for c in document["changes"]] == rows.get_column("account_id").to_list()
    assert [c["reason"] for c in document["changes"]] == rows.get_column("reason").to_list()
    assert len([line for line in table.stdout.splitlines() if re.match(r"  A\d{6}  .+: .+ moved it from ", line)]) == 7

    # The biggest flows are the same in the table and the JSON, and add up to the accounts whose segment moved.
    biggest = [f"  {f['from']} → {f['to']}: {f['accounts']:,}" for f in document["flows"][:5]]
    assert "\n".join(["biggest moves:", *biggest]) in table.stdout
    segment_moved = rows.filter(pl.col("before_segment") != pl.col("after_segment")).height
    assert sum(f["accounts"] for f in document["flows"]) == segment_moved

    # What the run wrote a week ago is what the diff says now.
    written = pl.read_csv(demo_weeks / "exports" / "movement.csv")
    assert written.equals(rows)


def test_a_snapshot_against_the_plan_now(demo_weeks: Path) -> None:
    history = demo_weeks / "history"
    now = diff(history / WEEK1, demo_weeks / "plan.toml")
    assert now.movement.before == "2026-11-20 (2026-11-20.parquet)"
    assert now.movement.after == "now (as of 2026-11-27)"
    kept = diff(history / WEEK1, history / WEEK2)
    assert changes_frame(now.movement).equals(changes_frame(kept.movement))
    assert [c.section for c in now.changes] == ["as_of"]

    # The same plan on the snapshot's own date: nothing moved.
    same_day = demo_weeks / "plan_same_day.toml"
    same_day.write_text((demo_weeks / "plan.toml").read_text().replace("as_of = 2026-11-27", "as_of = 2026-11-20"))
    unmoved = diff(history / WEEK1, same_day).movement
    assert unmoved.accounts.height == 5000 and unmoved.changed.height == 0


# --- plan against plan ---------------------------------------------------------------------------


def test_two_plans_print_the_rule_changes_and_the_tier_flows(
    demo_weeks: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = demo_weeks / "plan.toml"
    wider = demo_weeks / "plan_wider.toml"
    text = plan.read_text()
    assert text.count("limit = 50\n") == 1
    wider.write_text(text.replace("limit = 50\n", "limit = 80\n"))
    table = abm("diff", plan, wider, "--by", "tier")
    assert table.returncode == 0, table.stderr
    assert "plan changes:\nTiers\n  Tier 1: limit 50 -> 80" in table.stdout
    assert re.search(r"^  Tier 2 → Tier 1: \d+$", table.stdout, re.MULTILINE)
    assert "Tier 1 50 → 80" in table.stdout

    status, out, _ = cli_diff(capsys, plan, wider, "--by", "tier", "--format", "json")
    assert status == 0
    document = json.loads(out)
    assert document["plan_changes"] == [{"section": "tiers", "rule": "Tier 1", "text": "Tier 1: limit 50 -> 80"}]
    assert sum(f["accounts"] for f in document["flows"] if f["to"] == "Tier 1") == 30
    assert not [f for f in document["flows"] if f["from"] == "Tier 1"], "a wider limit takes nobody out of Tier 1"
    assert all(c["reason"].startswith("plan: Tier 1: limit 50 -> 80 moved it from ") for c in document["changes"]
               if c["before_tier"] != c["after_tier"])


def test_two_hand_made_plans_name_the_threshold_that_moved_an_account(tmp_path: Path) -> None:
    before = write_hand_made(tmp_path)
    after = tmp_path / "plan_70.toml"
    after.write_text(HAND_PLAN.format(as_of="2026-11-13", tier1=70))
    result = diff(before, after)
    changed = changes_frame(result.movement)
    assert changed.select("account_id", "before_tier", "after_tier", "reason").rows() == [
        ("A3", "Tier 2", "Tier 1", "plan: Tier 1: fit_score ≥ 80 -> ≥ 70 moved it from Tier 2 to Tier 1")
    ]
    assert [c.text for c in result.changes] == ["Tier 1: fit_score ≥ 80 -> ≥ 70"]
    assert result.notes == ()


@pytest.mark.slow
def test_a_history_in_a_folder_named_like_a_pattern(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """run, an identical rerun, review and diff read the history's files as themselves."""
    plan = copy_demo(tmp_path / "plans [q1] *?")
    for as_of in ("2026-11-20", "2026-11-27", "2026-11-27"):
        set_as_of(plan, as_of)
        assert cli.main(["run", str(plan)]) == 0
    history = plan.parent / "history"
    assert sorted(p.name for p in history.glob("*.parquet")) == [WEEK1, WEEK2]
    assert cli.main(["review", str(plan)]) == 0
    status, out, err = cli_diff(capsys, history / WEEK1, history / WEEK2)
    assert status == 0 and "moved" in out, err
    status, out, err = cli_diff(capsys, history / WEEK1, plan)
    assert status == 0 and "moved" in out, err


# --- bad input -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bad_files(demo_weeks: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bad")
    future = folder / "2026-12-04.parquet"
    meta = {"format": 99, "as_of": "2026-12-04", "plan_name": "From the future", "plan_hash": "0" * 12}
    pl.DataFrame({"account_id": ["A000001"]}).write_parquet(future, metadata={"abm_tui.snapshot": json.dumps(meta)})
    plain = folder / "assignments.parquet"
    pl.read_csv(demo_weeks / "exports" / "assignments.csv").write_parquet(plain)
    noise = folder / "noise.parquet"
    noise.write_bytes(bytes(range(256)) * 8)
    csv = demo_weeks / "exports" / "assignments.csv"
    return {"future": future, "plain": plain, "noise": noise, "csv": csv, "missing": folder / "2026-01-01.parquet"}


@pytest.mark.parametrize(("case", "named", "expected"), [
    ("later first", "a", "give the earlier one first"),
    ("plan then snapshot", "a", "give the snapshot first"),
    ("csv", "b", "expected a plan (.toml) or a snapshot (.parquet"),
    ("missing", "b", "no such snapshot file"),
    ("plain", "b", "not an abm-tui snapshot"),
    ("future", "b", "snapshot format 99, but this abm-tui reads format 1; upgrade abm-tui"),
    ("noise", "b", "not a Parquet file"),
])
def test_bad_input_is_one_line_naming_the_file(
    case: str, named: str, expected: str, demo_weeks: Path, bad_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    week1, week2 = demo_weeks / "history" / WEEK1, demo_weeks / "history" / WEEK2
    a, b = {
        "later first": (week2, week1),
        "plan then snapshot": (demo_weeks / "plan.toml", week1),
    }.get(case, (week1, bad_files.get(case)))
    status, out, err = cli_diff(capsys, a, b)
    assert status == 1
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("abm-tui: "), err
    assert str(a if named == "a" else b) in err
    assert expected in err
    assert "internal error" not in err


def test_bad_input_from_the_real_command_has_no_traceback(demo_weeks: Path, bad_files: dict[str, Path]) -> None:
    result = abm("diff", demo_weeks / "history" / WEEK1, bad_files["future"])
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip() == (f"abm-tui: {bad_files['future']}: snapshot format 99, but this abm-tui reads "
                                     "format 1; upgrade abm-tui")


def test_a_diff_of_snapshots_where_accounts_entered_and_left(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history = tmp_path / "history"
    kept = []
    for name, accounts in (("one", HAND_ACCOUNTS), ("two", NEWCOMER)):
        frame, session = hand_frame(tmp_path / name, accounts)
        kept.append(write_snapshot(history, frame, session.plan, session.as_of).path)
    assert [p.name for p in kept] == ["2026-11-13.parquet", "2026-11-13.2.parquet"]
    status, out, err = cli_diff(capsys, *kept)
    assert status == 0, err
    assert "7 accounts: 0 moved, 1 new, 1 gone" in out
    assert "A5  Far Away: no longer in the account list" in out
    assert "A6  Newcomer: new in this segmentation" in out


# --- an edited or damaged snapshot ----------------------------------------------------------------
# Each case starts from a snapshot `abm-tui run` wrote (the demo's first week) and damages it the way a hand in a
# notebook, a spreadsheet round trip or a full disk would; diff must name the file and what it expected.

# An edit takes the real snapshot's rows, metadata, bytes and path, and gives edited rows and metadata, or bytes.
Edit = Callable[[pl.DataFrame, dict, bytes, Path], "tuple[pl.DataFrame, object] | bytes"]


def _frame(change: Callable[[pl.DataFrame], pl.DataFrame]) -> Edit:
    return lambda frame, meta, raw, path: (change(frame), meta)


def _meta(change: Callable[[dict], object]) -> Edit:
    return lambda frame, meta, raw, path: (frame, change(dict(meta)))


def _corrupt_a_page(frame: pl.DataFrame, meta: dict, raw: bytes, path: Path) -> bytes:
    """The tier column's first data page overwritten past its header, as a bad sector would leave it."""
    chunk = pq.ParquetFile(path).metadata.row_group(0).column(frame.columns.index("tier"))
    start = chunk.data_page_offset + 32
    return raw[:start] + b"\xff" * 64 + raw[start + 64:]


def _first_row(column: str, value: object) -> Callable[[pl.DataFrame], pl.DataFrame]:
    return lambda frame: frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit(value)).otherwise(pl.col(column)).alias(column))


DAMAGE: dict[str, tuple[Edit, str]] = {
    **{f"no {column} column": (_frame(lambda f, c=column: f.drop(c)), f"the snapshot has no {column} column")
       for column in ("account_id", "tier", "stage", "bucket", "segment", "play")},
    "fit_score written as text": (_frame(lambda f: f.with_columns(pl.col("fit_score").cast(pl.String) + " pts")),
                                  "fit_score column holds text; expected numbers"),
    "tier as numbers": (_frame(lambda f: f.with_columns(pl.lit(3).alias("tier"))),
                        "tier column holds numbers; expected text"),
    "stage as lists": (_frame(lambda f: f.with_columns(pl.concat_list("stage").alias("stage"))),
                       "stage column holds lists; expected text"),
    "account_id as numbers": (_frame(lambda f: f.with_columns(pl.int_range(pl.len()).alias("account_id"))),
                              "account_id column holds numbers; expected text"),
    "a text amount": (_frame(lambda f: f.with_columns(pl.lit("$1,200").alias("opportunity_amount"))),
                      "opportunity_amount column holds text; expected numbers"),
    "crm_stage as numbers": (_frame(lambda f: f.with_columns(pl.lit(1).alias("crm_stage"))),
                             "crm_stage column holds numbers; expected text"),
    "days_since_engaged as text": (_frame(lambda f: f.with_columns(pl.lit("ten").alias("days_since_engaged"))),
                                   "days_since_engaged column holds text; expected numbers"),
    "engagement_recent as text": (_frame(lambda f: f.with_columns(pl.lit("high").alias("engagement_recent"))),
                                  "engagement_recent column holds text; expected numbers"),
    "last_engaged as text": (_frame(lambda f: f.with_columns(pl.lit("yesterday").alias("last_engaged"))),
                             "last_engaged column holds text; expected dates"),
    "a rule's column as text": (_frame(lambda f: f.with_columns(pl.col("employees").cast(pl.String))),
                                "does not fit the plan inside it (fit.criteria[2].where.employees.min: employees "
                                "holds text; min needs numbers or dates)"),
    "a rule's column dropped": (_frame(lambda f: f.drop("employees")),
                                "does not fit the plan inside it (fit.criteria[2].where.employees.min: unknown "
                                "column 'employees')"),
    "an account twice": (_frame(lambda f: pl.concat([f, f.head(1)])), "account_id 'A000001' is on 2 rows"),
    "a blank account_id": (_frame(_first_row("account_id", None)), "1 row of the snapshot has no account_id"),
    "a corrupted page": (_corrupt_a_page, "the snapshot is damaged and cannot be read (parquet: "),
    "a truncated file": (lambda frame, meta, raw, path: raw[: len(raw) // 2], "not a Parquet file, or one cut short"),
    "an emptied file": (lambda frame, meta, raw, path: b"", "not a Parquet file, or one cut short"),
    "format written as text": (_meta(lambda m: {**m, "format": "1"}),
                               "snapshot format '1', but this abm-tui reads format 1"),
    "an older format": (_meta(lambda m: {**m, "format": 0}), "snapshot format 0, but this abm-tui reads format 1"),
    "no format": (_meta(lambda m: {k: v for k, v in m.items() if k != "format"}),
                  "the snapshot metadata is damaged (it has no format entry)"),
    "no as_of": (_meta(lambda m: {k: v for k, v in m.items() if k != "as_of"}),
                 "the snapshot metadata is damaged (it has no as_of entry)"),
    "as_of not a date": (_meta(lambda m: {**m, "as_of": "last week"}),
                         "as_of is 'last week'; expected a date such as 2026-11-20"),
    "tiers not a list": (_meta(lambda m: {**m, "tiers": 5}), "tiers is 5; expected a list of names"),
    "plan_name not text": (_meta(lambda m: {**m, "plan_name": None}), "plan_name is None; expected text"),
    "metadata not JSON": (lambda frame, meta, raw, path: (frame, "{not json"),
                          "the snapshot metadata is damaged (not JSON"),
    "metadata a list": (_meta(lambda m: [1, 2]), "the snapshot metadata is damaged (a JSON list; expected an object)"),
    "the plan inside not TOML": (_meta(lambda m: {**m, "plan": "version = = 1"}), "(plan inside): not valid TOML"),
}


@pytest.fixture(scope="module")
def damaged(demo_weeks: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every case of DAMAGE, as a file beside the history (`2026-11-20.parquet` edited)."""
    real = demo_weeks / "history" / WEEK1
    frame, raw = pl.read_parquet(real), real.read_bytes()
    meta = json.loads(pl.read_parquet_metadata(real)[META_KEY])
    folder = tmp_path_factory.mktemp("damaged")
    files = {}
    for number, (case, (edit, _)) in enumerate(DAMAGE.items()):
        path = folder / f"{number:02}.parquet"
        made = edit(frame, meta, raw, real)
        if isinstance(made, bytes):
            path.write_bytes(made)
        else:
            edited, edited_meta = made
            text = edited_meta if isinstance(edited_meta, str) else json.dumps(edited_meta)
            edited.write_parquet(path, compression="zstd", metadata={META_KEY: text})
        files[case] = path
    return files


@pytest.mark.parametrize("case", sorted(DAMAGE))
@pytest.mark.parametrize("side", ["snapshot after", "snapshot before", "snapshot then plan"])
def test_an_edited_or_damaged_snapshot_is_one_line_naming_it(
    case: str, side: str, demo_weeks: Path, damaged: dict[str, Path], capsys: pytest.CaptureFixture[str],
) -> None:
    bad, week1 = damaged[case], demo_weeks / "history" / WEEK1
    args = {"snapshot after": (week1, bad), "snapshot before": (bad, demo_weeks / "history" / WEEK2),
            "snapshot then plan": (bad, demo_weeks / "plan.toml")}[side]
    status, out, err = cli_diff(capsys, *args)
    assert (status, out) == (1, ""), err
    assert err.count("\n") == 1 and err.startswith(f"abm-tui: {bad}"), err
    assert DAMAGE[case][1] in err
    assert "internal error" not in err


def test_the_damage_cases_start_from_a_snapshot_diff_reads(demo_weeks: Path, damaged: dict[str, Path]) -> None:
    """Each case differs from the real file, and the real file itself diffs cleanly against the next week."""
    real = demo_weeks / "history" / WEEK1
    assert len(DAMAGE) >= 21 and len(set(damaged.values())) == len(DAMAGE)
    assert all(path.read_bytes() != real.read_bytes() for path in damaged.values())
    assert diff(real, demo_weeks / "history" / WEEK2).movement.accounts.height > 0


# --- flows ---------------------------------------------------------------------------------------


def flows_agree(movement: Movement) -> None:
    """Every flow is its drill-down's size, and the flows add up to the accounts whose `by` changed."""
    for by in FLOW_DIMENSIONS:
        flows = movement.flows(by)
        changed = movement.changed.filter(pl.col(f"before_{by}").ne_missing(pl.col(f"after_{by}")))
        assert flows.get_column("accounts").sum() == changed.height, by
        drilled = [movement.flow_accounts(by, f, t) for f, t, _ in flows.iter_rows()]
        assert [d.height for d in drilled] == flows.get_column("accounts").to_list(), by
        ids = [i for d in drilled for i in d.get_column("account_id")]
        assert sorted(ids) == sorted(changed.get_column("account_id")), by


def test_flows_and_their_accounts_agree_on_the_demo_weeks(demo_weeks: Path) -> None:
    movement = diff(demo_weeks / "history" / WEEK1, demo_weeks / "history" / WEEK2).movement
    assert movement.flows("stage").height > 1
    flows_agree(movement)


def test_flows_count_the_new_and_the_gone(tmp_path: Path) -> None:
    before, first = hand_frame(tmp_path / "one", HAND_ACCOUNTS)
    after, second = hand_frame(tmp_path / "two", NEWCOMER, tier1=70)
    movement = compare(before, after, ("one", "two"), (first.plan, second.plan))
    assert movement.flows("tier").rows() == [("(new)", "Tier 1", 1), ("Not target", "(gone)", 1),
                                              ("Tier 2", "Tier 1", 1)]
    assert movement.flow_accounts("tier", "(new)", "Tier 1").get_column("account_id").to_list() == ["A6"]
    flows_agree(movement)
