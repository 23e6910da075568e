"""Engagement decay: a channel's half-life fades its events in the weighted scores, day by day.

Every test opens a real Session on an accounts file, an engagement file and a plan written to
tmp_path, so the plan's `[engagement.half_life_days]` travels the whole way from TOML to buckets.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import duckdb
import polars as pl
import pytest

from abm_tui.engine import features
from abm_tui.errors import PlanError
from abm_tui.outputs.warehouse import plan_sql
from abm_tui.session import Session

AS_OF = dt.date(2026, 11, 20)
EVENT_DAY = dt.date(2026, 11, 1)

PLAN = """\
version = 1
name = "Decay"
as_of = {as_of}

[data]
accounts = "accounts.csv"
engagement = "engagement.csv"

[engagement]
recent_days = 30
window_days = 90

[engagement.weights]
ad_click = 3
demo_request = 25
webinar = 8
{half_lives}
[[stages]]
name = "Asked for a demo"
where = {{ demo_request_recent = {{ min = 1 }} }}

[[buckets]]
name = "Hot"
where = {{ engagement_recent = {{ min = 20 }} }}
"""

HALF_LIVES = "\n[engagement.half_life_days]\ndemo_request = 14\nwebinar = 30\n"


def write_files(folder: Path, events: list[tuple[str, dt.date, str, float]], as_of: dt.date = AS_OF,
                half_lives: str = HALF_LIVES, accounts: tuple[str, ...] = ("A", "B", "C")) -> Path:
    """accounts.csv, engagement.csv and plan.toml in `folder`; returns the plan's path."""
    (folder / "accounts.csv").write_text("account_id,name\n" + "".join(f"{a},Company {a}\n" for a in accounts))
    rows = "".join(f"{a},{day.isoformat()},{channel},{count:g}\n" for a, day, channel, count in events)
    (folder / "engagement.csv").write_text("account_id,date,channel,count\n" + rows)
    plan = folder / "plan.toml"
    plan.write_text(PLAN.format(as_of=as_of.isoformat(), half_lives=half_lives))
    return plan


def ago(days: int) -> dt.date:
    return AS_OF - dt.timedelta(days=days)


EVENTS = [
    ("A", ago(0), "demo_request", 1),
    ("A", ago(7), "demo_request", 2),
    ("A", ago(40), "demo_request", 1),
    ("A", ago(120), "demo_request", 3),
    ("A", ago(10), "webinar", 4),
    ("A", ago(3), "ad_click", 5),
    ("A", AS_OF + dt.timedelta(days=2), "demo_request", 9),  # after as_of: ignored, even raised to a power
    ("C", ago(60), "webinar", 1),
]


def row(session: Session, account_id: str) -> dict:
    frame = session.engine.frame(session.plan)
    return frame.filter(pl.col("account_id") == account_id).row(0, named=True)


def test_decayed_sums_and_scores_are_count_times_half_to_the_age_over_the_half_life(tmp_path: Path) -> None:
    session = Session.open(write_files(tmp_path, EVENTS))
    a, b, c = row(session, "A"), row(session, "B"), row(session, "C")
    demo = {"recent": 1 * 0.5 ** (0 / 14) + 2 * 0.5 ** (7 / 14)}
    demo["window"] = demo["recent"] + 1 * 0.5 ** (40 / 14)
    demo["total"] = demo["window"] + 3 * 0.5 ** (120 / 14)
    webinar = 4 * 0.5 ** (10 / 30)
    for period in features.PERIODS:
        assert a[f"demo_request_{period}_decayed"] == demo[period]
        assert a[f"webinar_{period}_decayed"] == webinar
        assert a[f"ad_click_{period}"] == 5 and "ad_click_recent_decayed" not in a, "no half-life: counts fully"
        assert b[f"demo_request_{period}_decayed"] == 0.0 and b[f"engagement_{period}"] == 0.0
        # channel order: ad_click, then demo_request, then webinar
        assert a[f"engagement_{period}"] == 0.0 + 5 * 3 + demo[period] * 25 + webinar * 8
    # the raw counts still say how many, and recency is untouched
    assert (a["demo_request_recent"], a["demo_request_window"], a["demo_request_total"]) == (3, 4, 7)
    assert a["days_since_engaged"] == 0
    assert c["webinar_window"] == 1 and c["webinar_window_decayed"] == 0.5 ** (60 / 30) == 0.25
    assert c["engagement_window"] == 0.25 * 8 and c["engagement_recent"] == 0.0
    assert session.assignments().filter(pl.col("account_id") == "A").row(0, named=True)["stage"] == "Asked for a demo"


def test_a_decayed_account_leaves_the_bucket_on_the_day_the_half_life_says(tmp_path: Path) -> None:
    """One demo request worth 25 with a half-life of 14 days: 25 * 0.5 ** (4/14) = 20.5 is still >= 20 on
    day 4, and 25 * 0.5 ** (5/14) = 19.5 is not on day 5. The raw count keeps the stage every day."""
    events = [("A", EVENT_DAY, "demo_request", 1)]
    for k in range(8):
        folder = tmp_path / f"day{k}"
        folder.mkdir()
        session = Session.open(write_files(folder, events, as_of=EVENT_DAY + dt.timedelta(days=k)))
        a = session.assignments().filter(pl.col("account_id") == "A").row(0, named=True)
        assert row(session, "A")["engagement_recent"] == 25 * 0.5 ** (k / 14)
        assert a["bucket"] == ("Hot" if k <= 4 else "Unclassified"), f"day {k}"
        assert a["stage"] == "Asked for a demo", f"day {k}: demo_request_recent is a count, it does not decay"


def test_without_half_lives_the_tables_have_no_decay_columns_and_count_fully(tmp_path: Path) -> None:
    plain = Session.open(write_files(tmp_path, EVENTS, half_lives=""))
    table = plain.workspace.table
    channels = plain.workspace.channels
    assert channels is not None
    assert table.columns == ["account_id", "name", *(f"{c}_{p}" for c in channels for p in features.PERIODS),
                             "days_since_engaged", "intent_themes", "personas_engaged", "top_intent_theme",
                             "persona_count"]
    assert set(plain.engine.frame(plain.plan).columns) - set(table.columns) == {
        f"engagement_{p}" for p in features.PERIODS}
    a = row(plain, "A")
    assert a["engagement_recent"] == 5 * 3 + 3 * 25 + 4 * 8
    assert a["engagement_total"] == 5 * 3 + 7 * 25 + 4 * 8

    # a half-life for a channel the events lack adds nothing: same table, same assignments
    (tmp_path / "other").mkdir()
    unused = Session.open(write_files(tmp_path / "other", EVENTS, half_lives="\n[engagement.half_life_days]\n"
                                                                             "podcast = 7\n"))
    assert unused.workspace.table.equals(table)
    assert unused.assignments().equals(plain.assignments())

    # with half-lives: every column the plain table has is the same, and the decayed ones are added
    decayed = Session.open(write_files(tmp_path, EVENTS))
    assert decayed.workspace.table.select(table.columns).equals(table)
    added = set(decayed.workspace.table.columns) - set(table.columns)
    assert added == {f"{c}_{p}_decayed" for c in ("demo_request", "webinar") for p in features.PERIODS}


def test_a_half_life_change_rebuilds_the_features_and_undo_brings_them_back(tmp_path: Path) -> None:
    session = Session.open(write_files(tmp_path, [("A", EVENT_DAY, "demo_request", 1)], as_of=EVENT_DAY
                                       + dt.timedelta(days=5)))
    assert session.assignments().row(0, named=True)["bucket"] == "Unclassified"
    e = session.plan.engagement
    session.apply(replace(session.plan, engagement=replace(e, half_life_days=(("demo_request", 28),))))
    assert row(session, "A")["demo_request_recent_decayed"] == 0.5 ** (5 / 28)
    assert session.assignments().filter(pl.col("account_id") == "A").row(0, named=True)["bucket"] == "Hot"
    session.apply(replace(session.plan, engagement=replace(e, half_life_days=())))
    assert "demo_request_recent_decayed" not in session.workspace.table.columns
    assert row(session, "A")["engagement_recent"] == 25
    session.undo()
    assert row(session, "A")["engagement_recent"] == 25 * 0.5 ** (5 / 28)


def test_rules_may_name_the_decayed_sums(tmp_path: Path) -> None:
    path = write_files(tmp_path, EVENTS)
    bucket = '\n[[buckets]]\nname = "Fading webinar"\nwhere = {{ {column} = {{ min = 0.2 }} }}\n'
    text = path.read_text()
    path.write_text(text + bucket.format(column="webinar_window_decayed"))
    got = dict(Session.open(path).assignments().select("account_id", "bucket").iter_rows())
    assert got == {"A": "Hot", "B": "Unclassified", "C": "Fading webinar"}
    path.write_text(text + bucket.format(column="ad_click_window_decayed"))
    with pytest.raises(PlanError, match="unknown column 'ad_click_window_decayed'"):
        Session.open(path)


def test_explain_shows_the_half_life_and_what_the_counts_are_worth(tmp_path: Path) -> None:
    session = Session.open(write_files(tmp_path, [("A", EVENT_DAY, "demo_request", 1), ("A", EVENT_DAY, "ad_click", 2)],
                                       as_of=EVENT_DAY + dt.timedelta(days=5)))
    text = session.explain("A")
    assert ("Engagement (recent = last 30 days, window = last 90 days, to 2026-11-06; scores decay with age: "
            "demo_request half-life 14 days, webinar half-life 30 days)") in text
    assert "weighted score: recent 25.52, window 25.52, total 25.52" in text  # 2 * 3 + 25 * 0.78
    lines = text.splitlines()
    demo = next(line for line in lines if line.strip().startswith("demo_request"))
    assert demo.split() == ["demo_request", "1", "/", "1", "/", "1", "(weight", "25;", "after", "decay", "0.78",
                            "/", "0.78", "/", "0.78)"]
    click = next(line for line in lines if line.strip().startswith("ad_click"))
    assert "decay" not in click and click.endswith("(weight 3)")


def test_the_exported_sql_decays_as_the_engine_does(tmp_path: Path) -> None:
    """Both dialects on DuckDB: B's demo request is 4 days old (20.5, Hot) and C's 5 days (19.5, not)."""
    events = [*EVENTS, ("B", ago(4), "demo_request", 1), ("C", ago(5), "demo_request", 1)]
    session = Session.open(write_files(tmp_path, events))
    workspace = session.workspace
    con = duckdb.connect()
    con.register("accounts", workspace.dataset.accounts.to_arrow())
    con.register("events", pl.read_csv(tmp_path / "engagement.csv", try_parse_dates=True).to_arrow())
    want = session.assignments().select("account_id", "stage", "bucket").sort("account_id")
    assert want.get_column("bucket").to_list() == ["Hot", "Hot", "Unclassified"]
    for dialect in ("duckdb", "postgres"):
        sql = plan_sql(session.plan, workspace.dataset.accounts.schema, workspace.channels, session.as_of, dialect)
        assert 'THEN "count" * POWER(0.5, CAST("age" AS DOUBLE PRECISION) / 14.0) ELSE 0 END' in sql
        assert "-- Engagement scores decay: an event of age a days counts count * 0.5 ^ (a / half-life) in " \
               "demo_request (half-life 14 days), webinar (half-life 30 days)." in sql
        got = pl.from_arrow(con.sql(sql).to_arrow_table()).select("account_id", "stage", "bucket")
        assert got.equals(want), dialect


@pytest.mark.tui
async def test_the_workbench_shows_nudges_and_edits_each_half_life(tmp_path: Path) -> None:
    """The tree lists each half-life after the weights; + and typed text change it, the scores follow, and 0 is
    refused in place."""
    from textual.widgets import Input, Static

    from abm_tui.plan.edits import Target
    from abm_tui.tui.app import AbmApp
    from abm_tui.tui.modals import AskText
    from abm_tui.tui.widgets.rules_tree import RulesTree
    from tests.pilot import settled

    app = AbmApp(write_files(tmp_path, [("A", EVENT_DAY, "demo_request", 1)], as_of=EVENT_DAY + dt.timedelta(days=5)))

    async with app.run_test(size=(160, 48)) as pilot:
        await settled(pilot)
        workbench, tree = app.screen, app.screen.query_one(RulesTree)
        engagement = next(n for n in tree.root.children if n.data.section == "engagement")
        assert [(n.data, str(n.label)) for n in engagement.children][-3:] == [
            (Target("engagement", setting="webinar"), "webinar × 8"),
            (Target("engagement", column="demo_request", setting="half_life_days"), "demo_request half-life 14 d"),
            (Target("engagement", column="webinar", setting="half_life_days"), "webinar half-life 30 d"),
        ]
        tree.move_to(Target("engagement", column="demo_request", setting="half_life_days"))
        await pilot.press("plus")
        await settled(pilot)
        session = workbench.sessions.session
        assert session.plan.engagement.half_life("demo_request") == 15
        assert row(session, "A")["engagement_recent"] == 25 * 0.5 ** (5 / 15)
        assert "demo_request half-life 15 d" in [str(n.label) for n in engagement.children]

        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AskText)
        app.screen.query_one(Input).value = "0"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AskText), "a half-life of 0 must keep the dialog open"
        assert "above 0 days" in " ".join(str(w.render()) for w in app.screen.query(Static))
        app.screen.query_one(Input).value = "28"
        await pilot.press("enter")
        await settled(pilot)
        assert app.screen is workbench and session.plan.engagement.half_life("demo_request") == 28
        assert session.assignments().filter(pl.col("account_id") == "A").row(0, named=True)["bucket"] == "Hot"
