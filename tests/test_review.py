"""The quarterly review on hand-made histories where every number is known, plus one real run history.

The main history: ten accounts over three monthly snapshots (and an older one under another plan
name, outside the default 91 days). Per account, at 2026-08-01 -> 09-01 -> 10-01:

    A1 Tier 1  Identified none -> open 100 -> open 150           opened, progressed, first engaged 07-01
    A2 Tier 1  Selecting open 500 -> open -> closed_won 600       won (not opened: open at the start)
    A3 Tier 1  Engaged none -> none -> closed_lost 80 (09-10)     lost and opened; engaged 07-15
    A4 Tier 1  Identified none -> ... -> moves to Tier 2          no first engagement
    A5 Tier 1  Won customer throughout                            neither won nor opened
    B1 Tier 2  Identified -> Engaged -> Engaged                   progressed
    B2 Tier 2  Engaged none -> Selecting open 40 -> Engaged none  opened (seen open on 09-01); engaged 07-20
    B3 Tier 2  Identified, gone by the end
    C1, C2     Not target Identified throughout (C2's CRM says "Negotiation" at the end)
    E1         Tier 3 in the middle snapshot only; D1 Tier 1 new at the end
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import shutil
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from abm_tui.errors import AbmError
from abm_tui.history import snapshots as history
from abm_tui.history.review import DIMENSIONS, FLAG, TOTAL, review, review_csv, review_markdown, sparkline
from abm_tui.history.snapshots import Snapshot, list_snapshots, write_snapshot
from abm_tui.plan.model import Plan
from abm_tui.plan.parse import load_plan, loads_plan
from abm_tui.session import Session

REPO = Path(__file__).resolve().parent.parent
D = dt.date
PLAN = """
version = 1
name = "Review test"

[data]
accounts = "accounts.csv"

[[tiers]]
name = "Tier 1"
where = { fit_score = { min = 80 } }

[[tiers]]
name = "Tier 2"
where = { fit_score = { min = 60 } }

[[tiers]]
name = "Tier 3"
where = { fit_score = { min = 40 } }

[[stages]]
name = "Won"
where = { crm_stage = { in = ["closed_won", "customer"] } }

[[stages]]
name = "Lost"
where = { crm_stage = { in = ["closed_lost", "churned"] } }

[[stages]]
name = "Selecting"
where = { crm_stage = { eq = "open_opportunity" } }

[[stages]]
name = "Engaged"
where = { engagement_window = { min = 10 } }

[[stages]]
name = "Identified"

[[buckets]]
name = "Hot"
where = { engagement_recent = { min = 10 } }
"""
PLAYS = {"Tier 1": "Deal acceleration", "Tier 2": "Nurture"}
# account, tier, stage, crm_stage, opportunity_amount, close_date, first_engaged
S0 = [
    ("A1", "Tier 1", "Identified", "none", None, None, D(2026, 7, 1)),
    ("A2", "Tier 1", "Selecting", "open_opportunity", 500.0, None, D(2026, 6, 1)),
    ("A3", "Tier 1", "Engaged", "none", None, None, D(2026, 7, 15)),
    ("A4", "Tier 1", "Identified", "none", None, None, None),
    ("A5", "Tier 1", "Won", "customer", 900.0, D(2025, 12, 1), D(2025, 1, 1)),
    ("B1", "Tier 2", "Identified", "none", None, None, None),
    ("B2", "Tier 2", "Engaged", "none", None, None, D(2026, 7, 20)),
    ("B3", "Tier 2", "Identified", "none", None, None, None),
    ("C1", "Not target", "Identified", "none", None, None, None),
    ("C2", "Not target", "Identified", "none", None, None, None),
]
S1 = [
    ("A1", "Tier 1", "Selecting", "open_opportunity", 100.0, None, D(2026, 7, 1)),
    ("A2", "Tier 1", "Selecting", "open_opportunity", 500.0, None, D(2026, 6, 1)),
    ("A3", "Tier 1", "Engaged", "none", None, None, D(2026, 7, 15)),
    ("A4", "Tier 1", "Identified", "none", None, None, None),
    ("A5", "Tier 1", "Won", "customer", 900.0, D(2025, 12, 1), D(2025, 1, 1)),
    ("B1", "Tier 2", "Engaged", "none", None, None, D(2026, 8, 20)),
    ("B2", "Tier 2", "Selecting", "open_opportunity", 40.0, None, D(2026, 7, 20)),
    ("B3", "Tier 2", "Identified", "none", None, None, None),
    ("C1", "Not target", "Identified", "none", None, None, None),
    ("C2", "Not target", "Identified", "none", None, None, None),
    ("E1", "Tier 3", "Identified", "none", None, None, None),
]
S2 = [
    ("A1", "Tier 1", "Selecting", "open_opportunity", 150.0, None, D(2026, 7, 1)),
    ("A2", "Tier 1", "Won", "closed_won", 600.0, D(2026, 9, 20), D(2026, 6, 1)),
    ("A3", "Tier 1", "Lost", "closed_lost", 80.0, D(2026, 9, 10), D(2026, 7, 15)),
    ("A5", "Tier 1", "Won", "customer", 900.0, D(2025, 12, 1), D(2025, 1, 1)),
    ("D1", "Tier 1", "Identified", "none", None, None, None),
    ("A4", "Tier 2", "Identified", "none", None, None, None),
    ("B1", "Tier 2", "Engaged", "none", None, None, D(2026, 8, 20)),
    ("B2", "Tier 2", "Engaged", "none", None, None, D(2026, 7, 20)),
    ("C1", "Not target", "Identified", "none", None, None, None),
    ("C2", "Not target", "Identified", "Negotiation", None, None, None),
]
OLD = [("A1", "Tier 2", "Identified", "none", None, None, None), ("A2", "Tier 1", "Engaged", "none", None, None, None)]
DATES = (D(2026, 8, 1), D(2026, 9, 1), D(2026, 10, 1))


def snapshot_rows(rows: list[tuple], hot: tuple[str, ...] = ("A1", "A2")) -> pl.DataFrame:
    """A frame with exactly the columns and dtypes `history.snapshot_frame` writes."""
    ids, tiers, stages, crm, amounts, closes, engaged = (list(c) for c in zip(*rows, strict=True))
    return pl.DataFrame({
        "account_id": ids, "name": [f"{i} Inc" for i in ids], "domain": [f"{i.lower()}.com" for i in ids],
        "fit_score": pl.Series([90] * len(ids), dtype=pl.Int64), "tier": tiers, "stage": stages,
        "bucket": ["Hot" if i in hot else "Unclassified" for i in ids],
    }).with_columns(
        (pl.col("tier") + " / " + pl.col("stage")).alias("segment"),
        pl.col("tier").replace_strict(PLAYS, default="No play").alias("play"),
        pl.Series("crm_stage", crm, dtype=pl.String),
        pl.Series("opportunity_amount", amounts, dtype=pl.Float64),
        pl.Series("close_date", closes, dtype=pl.Date),
        pl.lit(1.0).alias("engagement_recent"), pl.lit(12.0).alias("engagement_window"),
        pl.lit(3, pl.Int32).alias("days_since_engaged"), pl.Series("first_engaged", engaged, dtype=pl.Date),
        pl.Series("last_engaged", engaged, dtype=pl.Date), pl.lit("webinar").alias("last_channel"),
    )


def write_history(folder: Path, plan: Plan, frames: list[pl.DataFrame], dates: tuple[dt.date, ...] = DATES) -> None:
    for frame, day in zip(frames, dates, strict=True):
        write_snapshot(folder, frame, plan, day)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return loads_plan(PLAN)


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory, plan: Plan) -> tuple[Snapshot, ...]:
    folder = tmp_path_factory.mktemp("history")
    old_plan = loads_plan(PLAN.replace("min = 80", "min = 85").replace("Review test", "Old plan"))
    write_snapshot(folder, snapshot_rows(OLD), old_plan, D(2026, 5, 1))
    write_history(folder, plan, [snapshot_rows(rows) for rows in (S0, S1, S2)])
    return list_snapshots(folder)


def rows_by_group(frame: pl.DataFrame) -> dict[str, dict]:
    return {row["group"]: row for row in frame.iter_rows(named=True)}


def test_tier_review_numbers(snapshots: tuple[Snapshot, ...]) -> None:
    result = review(snapshots, by="tier")
    assert (result.start.as_of, result.end.as_of) == (D(2026, 8, 1), D(2026, 10, 1))
    assert [s.as_of for s in result.snapshots] == list(DATES)
    assert result.table.get_column("group").to_list() == ["Tier 1", "Tier 2", "Tier 3", "Not target", TOTAL]
    rows = rows_by_group(result.table)
    assert rows["Tier 1"] == {
        "group": "Tier 1", "accounts_at_start": 5, "accounts_at_end": 5, "progressed": 2, "opened": 2, "won": 1,
        "lost": 1, "pipeline": 230.0, "won_amount": 600.0, "conversion_rate": 0.4, "win_rate": 0.5,
        "median_days_to_opportunity": 59.5, "flag": "", "lift": 0.4 / 0.3, "below_not_target": False,
    }
    assert rows["Tier 2"] == {
        "group": "Tier 2", "accounts_at_start": 3, "accounts_at_end": 3, "progressed": 1, "opened": 1, "won": 0,
        "lost": 0, "pipeline": 40.0, "won_amount": 0.0, "conversion_rate": 1 / 3, "win_rate": None,
        "median_days_to_opportunity": 43.0, "flag": "", "lift": (1 / 3) / 0.3, "below_not_target": False,
    }
    assert rows["Tier 3"] == {
        "group": "Tier 3", "accounts_at_start": 0, "accounts_at_end": 0, "progressed": 0, "opened": 0, "won": 0,
        "lost": 0, "pipeline": 0.0, "won_amount": 0.0, "conversion_rate": None, "win_rate": None,
        "median_days_to_opportunity": None, "flag": FLAG, "lift": None, "below_not_target": None,
    }
    assert rows["Not target"]["flag"] == FLAG
    assert (rows["Not target"]["accounts_at_start"], rows["Not target"]["conversion_rate"]) == (2, 0.0)
    assert rows[TOTAL] == {
        "group": TOTAL, "accounts_at_start": 10, "accounts_at_end": 10, "progressed": 3, "opened": 3, "won": 1,
        "lost": 1, "pipeline": 270.0, "won_amount": 600.0, "conversion_rate": 0.3, "win_rate": 0.5,
        "median_days_to_opportunity": 57.0, "flag": "", "lift": 1.0, "below_not_target": None,
    }


def test_sizes_over_time(snapshots: tuple[Snapshot, ...]) -> None:
    sizes = review(snapshots, by="tier").sizes
    assert sizes.columns == ["group", "2026-08-01", "2026-09-01", "2026-10-01"]
    assert sizes.rows() == [
        ("Tier 1", 5, 5, 5), ("Tier 2", 3, 3, 3), ("Tier 3", 0, 1, 0), ("Not target", 2, 2, 2), (TOTAL, 10, 11, 10),
    ]


def test_notes_name_unread_crm_words_and_nothing_else(snapshots: tuple[Snapshot, ...]) -> None:
    notes = review(snapshots).notes
    assert len(notes) == 1
    assert "'Negotiation' (1)" in notes[0]


def test_segment_review_in_tier_by_stage_order(snapshots: tuple[Snapshot, ...]) -> None:
    result = review(snapshots)
    assert result.by == "segment"
    assert result.table.get_column("group").to_list() == [
        "Tier 1 / Won", "Tier 1 / Lost", "Tier 1 / Selecting", "Tier 1 / Engaged", "Tier 1 / Identified",
        "Tier 2 / Selecting", "Tier 2 / Engaged", "Tier 2 / Identified", "Tier 3 / Identified",
        "Not target / Identified", TOTAL,
    ]
    rows = rows_by_group(result.table)
    identified = rows["Tier 1 / Identified"]
    assert (identified["accounts_at_start"], identified["accounts_at_end"], identified["progressed"]) == (2, 1, 1)
    assert (identified["opened"], identified["pipeline"], identified["conversion_rate"]) == (1, 150.0, 0.5)
    assert identified["median_days_to_opportunity"] == 62.0
    assert (rows["Tier 1 / Won"]["accounts_at_end"], rows["Tier 1 / Won"]["flag"]) == (2, "")
    assert rows["Tier 1 / Lost"]["accounts_at_start"] == 0
    assert rows["Tier 2 / Selecting"]["flag"] == FLAG  # there only in the middle snapshot
    assert rows["Not target / Identified"]["flag"] == FLAG
    assert rows[TOTAL]["opened"] == 3


def test_stage_review(snapshots: tuple[Snapshot, ...]) -> None:
    result = review(snapshots, by="stage")
    assert result.table.get_column("group").to_list() == ["Won", "Lost", "Selecting", "Engaged", "Identified", TOTAL]
    table = result.table.select("group", "accounts_at_start", "accounts_at_end", "progressed", "opened", "won",
                                "lost", "pipeline", "won_amount", "win_rate", "median_days_to_opportunity")
    assert table.rows()[:5] == [
        ("Won", 1, 2, 0, 0, 0, 0, 0.0, 0.0, None, None),
        ("Lost", 0, 1, 0, 0, 0, 0, 0.0, 0.0, None, None),
        ("Selecting", 1, 1, 1, 0, 1, 0, 0.0, 600.0, 1.0, None),
        ("Engaged", 2, 2, 0, 2, 0, 1, 120.0, 0.0, 0.0, 50.0),
        ("Identified", 6, 4, 2, 1, 0, 0, 150.0, 0.0, None, 62.0),
    ]


def test_bucket_and_play_reviews(snapshots: tuple[Snapshot, ...]) -> None:
    buckets = review(snapshots, by="bucket")
    assert buckets.table.select("group", "accounts_at_start", "accounts_at_end").rows() == [
        ("Hot", 2, 2), ("Unclassified", 8, 8), (TOTAL, 10, 10),
    ]
    plays = review(snapshots, by="play")  # by size at the end, not alphabetically
    assert plays.table.select("group", "accounts_at_start", "accounts_at_end", "opened", "won").rows() == [
        ("Deal acceleration", 5, 5, 2, 1), ("Nurture", 3, 3, 1, 0), ("No play", 2, 2, 0, 0), (TOTAL, 10, 10, 3, 1),
    ]
    assert plays.sizes.get_column("2026-09-01").to_list() == [5, 3, 3, 11]


def test_every_dimension_totals_the_same(snapshots: tuple[Snapshot, ...]) -> None:
    totals = {by: review(snapshots, by=by).table.row(-1, named=True) for by in DIMENSIONS}
    assert len({tuple(row.values()) for row in totals.values()}) == 1


def test_default_and_explicit_periods(snapshots: tuple[Snapshot, ...]) -> None:
    ending = review(snapshots, end=D(2026, 9, 15))
    assert (ending.start.as_of, ending.end.as_of) == (D(2026, 8, 1), D(2026, 9, 1))
    explicit = review(snapshots, start=D(2026, 5, 20), end=D(2026, 10, 1))
    assert explicit.start.as_of == D(2026, 5, 1)
    assert len(explicit.snapshots) == 4
    assert any("'Old plan'" in note and "2026-05-01" in note for note in explicit.notes)
    assert any("rules changed during the period (2 versions)" in note for note in explicit.notes)
    early = review(snapshots, start=D(2026, 1, 1))
    assert early.start.as_of == D(2026, 5, 1)
    assert any("no snapshot on or before --from 2026-01-01" in note for note in early.notes)
    sparse = review([snapshots[0], snapshots[-1]])  # nothing in the 91 days before the end but the end itself
    assert sparse.start.as_of == D(2026, 5, 1)
    assert any("no snapshot in the 91 days before 2026-10-01" in note for note in sparse.notes)


def test_a_second_run_on_the_same_day_gets_its_own_column(tmp_path: Path, plan: Plan) -> None:
    write_history(tmp_path, plan, [snapshot_rows(S0), snapshot_rows(S2), snapshot_rows(S2[:4])],
                  (D(2026, 8, 1), D(2026, 10, 1), D(2026, 10, 1)))
    result = review(list_snapshots(tmp_path), by="tier")
    assert result.sizes.columns == ["group", "2026-08-01", "2026-10-01", "2026-10-01.2"]
    assert result.end.path.name == "2026-10-01.2.parquet"
    assert rows_by_group(result.table)["Tier 1"]["accounts_at_end"] == 4


def test_missing_outcome_columns(tmp_path: Path, plan: Plan) -> None:
    frames = [snapshot_rows(rows).with_columns(pl.lit(None, pl.String).alias("crm_stage"),
                                               pl.lit(None, pl.Float64).alias("opportunity_amount"))
              for rows in (S0, S1, S2)]
    write_history(tmp_path, plan, frames)
    result = review(list_snapshots(tmp_path), by="tier")
    rows = rows_by_group(result.table)
    assert rows["Tier 1"]["progressed"] == 3  # A3's move to Lost cannot be told from progress without the CRM
    for column in ("opened", "won", "lost", "pipeline", "won_amount", "conversion_rate", "win_rate",
                   "median_days_to_opportunity"):
        assert result.table.get_column(column).null_count() == result.table.height, column
    assert result.table.get_column("flag").to_list() == [""] * 5
    assert result.table.get_column("accounts_at_start").to_list() == [5, 3, 0, 2, 10]
    assert len(result.notes) == 1
    assert "crm_stage is missing" in result.notes[0] and "sizes and stage progress only" in result.notes[0]


def test_missing_amounts_only(tmp_path: Path, plan: Plan) -> None:
    frames = [snapshot_rows(rows).with_columns(pl.lit(None, pl.Float64).alias("opportunity_amount"))
              for rows in (S0, S1, S2)]
    write_history(tmp_path, plan, frames)
    result = review(list_snapshots(tmp_path), by="tier")
    assert result.table.get_column("pipeline").null_count() == result.table.height
    assert rows_by_group(result.table)[TOTAL]["won"] == 1
    assert any("opportunity_amount is missing" in note for note in result.notes)


def test_errors(snapshots: tuple[Snapshot, ...], tmp_path: Path, plan: Plan) -> None:
    with pytest.raises(AbmError, match=r"^--from 2026-12-01 is after --to 2026-11-01$"):
        review(snapshots, start=D(2026, 12, 1), end=D(2026, 11, 1))
    with pytest.raises(AbmError, match=r"no snapshots.*`abm-tui run` keeps one snapshot per run"):
        review([])
    folder = str(snapshots[0].path.parent)
    with pytest.raises(AbmError, match=r"only one snapshot \(2026-08-01.*abm-tui run") as caught:
        review(snapshots[1:2])
    assert folder in str(caught.value)
    with pytest.raises(AbmError, match=r"no snapshot on or before --to 2026-01-01 \(the oldest is 2026-05-01"):
        review(snapshots, end=D(2026, 1, 1))
    with pytest.raises(AbmError, match=r"only one snapshot \(2026-08-01.*--from 2026-08-02 --to 2026-08-20"):
        review(snapshots, start=D(2026, 8, 2), end=D(2026, 8, 20))
    with pytest.raises(AbmError, match=r"review by 'tiers'.*did you mean 'tier'"):
        review(snapshots, by="tiers")
    write_history(tmp_path, plan, [snapshot_rows(S0), snapshot_rows(S2).drop("stage")], DATES[::2])
    with pytest.raises(AbmError, match=r"2026-10-01\.parquet: the snapshot has no stage column"):
        review(list_snapshots(tmp_path))


def test_sparkline() -> None:
    assert sparkline([0, 7, 14]) == "▁▅█"
    assert sparkline([1, 2, 3, 4, 5, 6, 7, 8]) == "▁▂▃▄▅▆▇█"
    assert sparkline([5, 5, 5]) == "▄▄▄"
    assert sparkline([]) == ""


def test_markdown(snapshots: tuple[Snapshot, ...]) -> None:
    text = review_markdown(review(snapshots, by="tier"))
    assert text.startswith("# Quarterly review: Review test\n")
    assert "2026-08-01 to 2026-10-01 (61 days, 3 snapshots), by tier" in text
    assert "| Tier | At start | At end | Progressed | Opened | Won | Lost |" in text
    assert "| Tier 1 | 5 | 5 | 2 | 2 | 1 | 1 | 230 | 600 | 40.0% | 50.0% | 60 |  |" in text
    assert f"| Not target | 2 | 2 | 0 | 0 | 0 | 0 | 0 | 0 | 0.0% | – | – | {FLAG} |" in text
    assert "| **All accounts** | 10 | 10 | 3 |" in text
    assert "| Tier | 2026-08-01 | 2026-09-01 | 2026-10-01 | Trend |" in text
    assert "| Tier 3 | 0 | 1 | 0 | ▁█▁ |" in text
    assert "| Tier 1 | 5 | 5 | 5 | ▄▄▄ |" in text
    assert "- crm_stage words the review does not read" in text


def test_csv_parses_back_with_the_same_numbers(snapshots: tuple[Snapshot, ...]) -> None:
    result = review(snapshots)
    parsed = pl.read_csv(io.StringIO(review_csv(result)), schema=result.table.rename({"group": "segment"}).schema)
    expected = result.table.rename({"group": "segment"})
    assert parsed.drop("flag").equals(expected.drop("flag"))
    assert parsed.get_column("flag").fill_null("").to_list() == expected.get_column("flag").to_list()


def test_review_of_a_real_run_history(tmp_path: Path) -> None:
    for name in ("plan.toml", "accounts.csv", "engagement.parquet"):
        shutil.copy(REPO / "data" / name, tmp_path / name)
    plan = load_plan(tmp_path / "plan.toml")
    for as_of in (D(2026, 10, 23), D(2026, 11, 20)):
        session = Session.open(dataclasses.replace(plan, as_of=as_of))
        history.keep(session, session.assignments())
    assignments = session.assignments()
    result = review(list_snapshots(tmp_path / "history"))
    total = result.table.row(-1, named=True)
    assert total["accounts_at_start"] == total["accounts_at_end"] == assignments.height
    end_counts = dict(assignments.group_by("segment").len().iter_rows())
    at_end = result.sizes.filter(pl.col("group") != TOTAL, pl.col("2026-11-20") > 0)
    assert dict(at_end.select("group", "2026-11-20").rows()) == end_counts
    assert total["progressed"] > 0
    assert total["flag"] == ""  # the flag marks groups; the demo's CRM columns do not change between these runs
    assert result.notes == ()  # a new as_of is no new plan version


def test_pipeline_takes_the_latest_amount_and_ignores_nan(tmp_path: Path, plan: Plan) -> None:
    nan_for_a1 = pl.when(pl.col("account_id") == "A1").then(float("nan")).otherwise(pl.col("opportunity_amount"))
    end = snapshot_rows(S2).with_columns(nan_for_a1.alias("opportunity_amount"))
    frames = [snapshot_rows(S0), snapshot_rows(S1), end]
    write_history(tmp_path, plan, frames)
    tier_1 = rows_by_group(review(list_snapshots(tmp_path), by="tier").table)["Tier 1"]
    assert tier_1["pipeline"] == 180.0  # A1's 100 from 2026-09-01 (its amount at the end is NaN) + A3's 80


def test_an_edited_snapshot_is_named_with_what_was_expected(tmp_path: Path, plan: Plan) -> None:
    """A text amount was read as empty before: now the file and the column are named, as diff names them."""
    write_history(tmp_path, plan, [snapshot_rows(S0), snapshot_rows(S1), snapshot_rows(S2)])
    edited = list_snapshots(tmp_path)[1]
    frame = pl.read_parquet(edited.path).with_columns(pl.lit("$1,200").alias("opportunity_amount"))
    frame.write_parquet(edited.path, metadata=pl.read_parquet_metadata(edited.path))
    with pytest.raises(AbmError) as caught:
        review(list_snapshots(tmp_path))
    assert str(caught.value) == (f"{edited.path}: the snapshot's opportunity_amount column holds text; expected "
                                 "numbers, as in every snapshot `abm-tui run` writes (was the file edited?)")


def test_a_damaged_page_names_its_snapshot(tmp_path: Path, plan: Plan) -> None:
    write_history(tmp_path, plan, [snapshot_rows(S0), snapshot_rows(S1), snapshot_rows(S2)])
    damaged = list_snapshots(tmp_path)[1].path
    raw = damaged.read_bytes()
    start = pq.ParquetFile(damaged).metadata.row_group(0).column(0).data_page_offset + 16
    damaged.write_bytes(raw[:start] + b"\xff" * 48 + raw[start + 48:])
    with pytest.raises(AbmError) as caught:
        review(list_snapshots(tmp_path))
    message = str(caught.value)
    assert message.startswith(f"{damaged}: the snapshot is damaged and cannot be read (") and "\n" not in message


def bundled_review(by: str) -> dict[str, dict]:
    return rows_by_group(review(list_snapshots(REPO / "data" / "history"), by=by).table)


def test_a_target_tier_converting_below_not_target_is_flagged() -> None:
    """The bundled demo's Tier 2 opens opportunities at 0.3% of its accounts, Not target at 2.0%: flagged."""
    rows = bundled_review("tier")
    tier2, floor, total = rows["Tier 2"], rows["Not target"], rows[TOTAL]
    assert (round(tier2["conversion_rate"], 3), round(floor["conversion_rate"], 3)) == (0.003, 0.020)
    assert tier2["below_not_target"] is True
    assert floor["below_not_target"] is None and total["below_not_target"] is None
    for row in rows.values():
        assert row["lift"] == pytest.approx(row["conversion_rate"] / total["conversion_rate"])
        if row["group"] not in ("Not target", TOTAL):
            assert row["below_not_target"] is (row["conversion_rate"] < floor["conversion_rate"])


def test_a_segment_is_compared_with_not_target_in_the_same_stage() -> None:
    rows = bundled_review("segment")
    compared = 0
    for group, row in rows.items():
        tier, _, stage = group.partition(" / ")
        peer = rows.get(f"Not target / {stage}")
        if tier in ("Not target", TOTAL) or peer is None:
            assert row["below_not_target"] is None
            continue
        compared += 1
        assert row["below_not_target"] is (row["conversion_rate"] < peer["conversion_rate"])
    assert compared > 10
    assert any(row["below_not_target"] for row in rows.values())


def test_no_group_is_compared_with_not_target_by_stage() -> None:
    assert all(row["below_not_target"] is None for row in bundled_review("stage").values())


def test_the_lift_columns_are_added_after_the_old_ones(snapshots: tuple[Snapshot, ...]) -> None:
    """The CLI is a contract: the CSV keeps every column it had, in its place, and gains two at the end."""
    header = review_csv(review(snapshots, by="tier")).splitlines()[0].split(",")
    assert header == ["tier", "accounts_at_start", "accounts_at_end", "progressed", "opened", "won", "lost", "pipeline",
                      "won_amount", "conversion_rate", "win_rate", "median_days_to_opportunity", "flag", "lift",
                      "below_not_target"]
    text = review_markdown(review(snapshots, by="tier"))
    assert "| Tier 1 | 5 | 5 | 2 | 2 | 1 | 1 | 230 | 600 | 40.0% | 50.0% | 60 |  | 1.33 |  |" in text
