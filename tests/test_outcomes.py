"""ICP discovery and backtest (DESIGN.md, "Outcomes"): lift, suggestions, backtest, lookalikes and `abm-tui icp`.

Numbers are checked against independent computations in plain Python over the same rows; the planted-signal
data is generated here with a known answer.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from abm_tui.cli import icp
from abm_tui.engine.outcomes.backtest import auc, backtest, judged_later
from abm_tui.engine.outcomes.lift import Kind, attribute_lift
from abm_tui.engine.outcomes.outcome import Outcome, outcome_flags
from abm_tui.engine.outcomes.suggest import suggest
from abm_tui.engine.segment import BLANK
from abm_tui.errors import AbmError
from abm_tui.history.snapshots import list_snapshots
from abm_tui.outputs.icp_report import gather, icp_csv, icp_document
from abm_tui.plan import rules
from abm_tui.plan.dump import save_plan
from abm_tui.plan.model import NOT_TARGET
from abm_tui.plan.parse import load_plan
from abm_tui.plan.paths import relocated
from abm_tui.session import Session

INDUSTRIES = ("Insurance", "Retail", "Software", "Energy", "Media", "Education", "Logistics", "Healthcare")
TOOLS = ("Snowflake", "Salesforce", "HubSpot", "Slack", "Gong", "Zendesk")


def planted(n: int, seed: int = 3) -> pl.DataFrame:
    """Accounts whose wins are over-represented in one industry (Insurance) and one tool (Snowflake)."""
    rng = np.random.default_rng(seed)
    industry = np.array(INDUSTRIES)[rng.integers(0, len(INDUSTRIES), n)]
    has = rng.random((n, len(TOOLS))) < 0.3
    stacks = [[t for t, h in zip(TOOLS, row, strict=True) if h] for row in has]
    odds = 0.03 * np.where(industry == "Insurance", 6.0, 1.0) * np.where(has[:, 0], 4.0, 1.0)
    won = rng.random(n) < odds / (1 + odds)
    lost = ~won & (rng.random(n) < 0.1)
    closed = np.where(rng.random(n) < 0.5, "closed_won", "customer")
    stage = np.where(won, closed, np.where(lost, "closed_lost", "none"))
    employees = rng.integers(1, 5000, n).astype(float)
    employees[rng.random(n) < 0.05] = np.nan
    return pl.DataFrame({
        "account_id": [f"A{i:06d}" for i in range(n)],
        "name": [f"Company {i}" for i in range(n)],
        "industry": pl.Series(industry).scatter(rng.integers(0, n, n // 50), None),
        "tech_stack": pl.Series(stacks, dtype=pl.List(pl.String)),
        "employees": pl.Series(employees, nan_to_null=True),
        "region": np.array(["EMEA", "North America", "APAC"])[rng.integers(0, 3, n)],
        "rating": np.where(rng.random(n) < 0.02, np.nan, rng.random(n)),  # NaN: above every number, as Polars orders
        "crm_stage": stage,
    })


# --- outcome ------------------------------------------------------------------------------------


def test_outcome_words_are_the_presets() -> None:
    frame = pl.DataFrame({"crm_stage": ["none", "open_opportunity", "closed_won", "closed_lost", "customer",
                                        "churned", None, "Closed Won"]})
    assert outcome_flags(frame, Outcome.WON).to_list() == [False, False, True, False, True, False, False, False]
    assert outcome_flags(frame, Outcome.OPPORTUNITY).to_list() == [False, True, True, True, True, True, False, False]


def test_no_crm_stage_column_says_what_is_needed() -> None:
    with pytest.raises(AbmError, match=r"^accounts\.csv: has no crm_stage column; ICP discovery needs"):
        outcome_flags(pl.DataFrame({"account_id": ["A"]}), Outcome.WON, "accounts.csv")


def test_no_won_account_says_so_and_points_to_opportunity() -> None:
    frame = pl.DataFrame({"crm_stage": ["none", "open_opportunity"]})
    with pytest.raises(AbmError, match=r"no account has won .* among 2; .*try --outcome opportunity"):
        outcome_flags(frame, Outcome.WON)
    assert outcome_flags(frame, Outcome.OPPORTUNITY).sum() == 1


# --- lift ---------------------------------------------------------------------------------------


def wilson(won: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The textbook form: (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)."""
    p = won / n
    root = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (p + z * z / (2 * n) - root) / (1 + z * z / n), (p + z * z / (2 * n) + root) / (1 + z * z / n)


def members(frame: pl.DataFrame, lift, column: str, value: str) -> list[bool]:  # noqa: ANN001 - a Lift
    """Which accounts a row counts, decided in plain Python from the raw values."""
    values = frame.get_column(column).to_list()
    kind = lift.kinds[column]
    if kind is Kind.ELEMENT:
        return [(not v) if value == BLANK else (v is not None and value in v) for v in values]
    if kind is Kind.VALUE:
        return [(v is None) if value == BLANK else (v is not None and str(v) == value) for v in values]
    if value == BLANK:
        return [v is None for v in values]
    lo, hi = lift.bins[column][value]
    values = [math.inf if isinstance(v, float) and math.isnan(v) else v for v in values]
    return [v is not None and (lo is None or v >= lo) and (hi is None or v < hi) for v in values]


def test_lift_rows_equal_an_independent_count() -> None:
    frame = planted(3000)
    won = outcome_flags(frame, Outcome.WON)
    lift = attribute_lift(frame, won)
    flags = won.to_list()
    base = sum(flags) / len(flags)
    assert lift.base_rate == pytest.approx(base)
    # not the ids, the names or the outcome
    assert set(lift.kinds) == {"industry", "tech_stack", "employees", "region", "rating"}
    assert lift.rows.height > 20
    for row in lift.rows.iter_rows(named=True):
        inside = members(frame, lift, row["column"], row["value"])
        accounts, wins = sum(inside), sum(w for w, m in zip(flags, inside, strict=True) if m)
        assert (row["accounts"], row["won"]) == (accounts, wins), row
        assert row["win_rate"] == pytest.approx(wins / accounts)
        assert row["lift"] == pytest.approx(wins / accounts / base)
        assert (row["low"], row["high"]) == pytest.approx(wilson(wins, accounts))
        assert row["small"] == (accounts < 20 or accounts * min(base, 1 - base) < 5)


def test_every_account_is_counted_once_per_column_and_an_empty_list_is_blank() -> None:
    frame = planted(3000)
    lift = attribute_lift(frame, outcome_flags(frame, Outcome.WON))
    totals = dict(lift.rows.group_by("column").agg(pl.col("accounts").sum()).iter_rows())
    for column, kind in lift.kinds.items():
        if kind is not Kind.ELEMENT:
            assert totals[column] == frame.height, column
    empty = frame.select((pl.col("tech_stack").list.len() == 0).sum()).item()
    assert empty > 0
    blank = lift.rows.filter((pl.col("column") == "tech_stack") & (pl.col("value") == BLANK))
    assert blank.get_column("accounts").to_list() == [empty]


def test_every_row_becomes_a_where_that_counts_the_same_accounts() -> None:
    frame = planted(3000)
    lift = attribute_lift(frame, outcome_flags(frame, Outcome.WON))
    for row in lift.rows.iter_rows(named=True):
        if row["value"] == BLANK and lift.kinds[row["column"]] is Kind.ELEMENT:
            continue  # an empty list is blank too; suggestions never use this row
        where = lift.condition(row["column"], row["value"])
        assert frame.select(rules.to_expr(where, frame.schema).sum()).item() == row["accounts"], row


def test_numeric_bins_are_quantiles_written_lo_hi() -> None:
    frame = planted(5000)
    lift = attribute_lift(frame, outcome_flags(frame, Outcome.WON))
    labels = list(lift.bins["employees"])
    assert len(labels) == 5 and labels[0].startswith("[1, ") and labels[-1].endswith(", inf)")
    shares = lift.rows.filter((pl.col("column") == "employees") & (pl.col("value") != BLANK)).get_column("accounts")
    assert (shares > 0.15 * 5000 * 0.95).all()  # quintiles of the known values
    assert lift.rows.filter((pl.col("column") == "employees") & (pl.col("value") == BLANK)).height == 1


def test_small_rows_are_marked_not_hidden_and_sort_last() -> None:
    frame = pl.concat([planted(2000), planted(3).with_columns(pl.lit("Rare").alias("region"))])
    lift = attribute_lift(frame, outcome_flags(frame, Outcome.WON))
    rare = lift.rows.filter(pl.col("value") == "Rare")
    assert rare.height == 1 and rare.item(0, "small")
    assert lift.rows.get_column("small").is_sorted()
    big = lift.rows.filter(~pl.col("small")).get_column("evidence")
    assert big.is_sorted(descending=True)


def test_identifier_like_columns_are_skipped() -> None:
    frame = planted(1000).with_columns(pl.col("name").alias("company_code"))
    lift = attribute_lift(frame, outcome_flags(frame, Outcome.WON))
    assert "company_code" in lift.skipped
    assert "company_code" not in lift.rows.get_column("column").to_list()


# --- suggestions --------------------------------------------------------------------------------


def test_planted_signal_is_recovered_and_ranked_first() -> None:
    frame = planted(20_000)
    won = outcome_flags(frame, Outcome.WON)
    suggestions = suggest(frame, won, attribute_lift(frame, won))
    first_two = {s.name for s in suggestions.items[:2]}
    assert first_two == {"industry = Insurance", "tech_stack has Snowflake"}
    top = suggestions.items[0]
    assert top.points >= 20 and top.evidence.startswith(f"{top.name}: {top.accounts:,} accounts, {top.won:,} won, ")
    assert all(s.points < suggestions.items[1].points for s in suggestions.items[2:])


def test_a_copied_attribute_is_not_counted_twice() -> None:
    frame = planted(20_000).with_columns(pl.col("industry").alias("sector"))
    won = outcome_flags(frame, Outcome.WON)
    suggestions = suggest(frame, won, attribute_lift(frame, won))
    names = [s.name for s in suggestions.items]
    assert sum(n in ("industry = Insurance", "sector = Insurance") for n in names) == 1
    twin = [d for d in suggestions.duplicates if "Insurance" in d.name]
    assert twin and twin[0].phi == pytest.approx(1.0)


def test_suggestions_read_only_the_allowed_columns() -> None:
    frame = planted(20_000)
    won = outcome_flags(frame, Outcome.WON)
    suggestions = suggest(frame, won, attribute_lift(frame, won), {"tech_stack", "region"})
    assert {s.column for s in suggestions.items} <= {"tech_stack", "region"}
    assert suggestions.items[0].name == "tech_stack has Snowflake"


# --- backtest -----------------------------------------------------------------------------------


def pairwise_auc(score: list[float], won: list[bool]) -> float:
    """Every (won, not won) pair: 1 when the won one scores higher, 1/2 on a tie."""
    pos = [s for s, w in zip(score, won, strict=True) if w]
    neg = [s for s, w in zip(score, won, strict=True) if not w]
    wins = sum(1.0 if p > q else 0.5 if p == q else 0.0 for p in pos for q in neg)
    return wins / (len(pos) * len(neg))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auc_equals_the_pairwise_count(seed: int) -> None:
    rng = np.random.default_rng(seed)
    score = rng.integers(0, 8, 400)  # few distinct scores: many ties
    won = rng.random(400) < 0.1 + 0.05 * score
    assert auc(pl.Series(score), pl.Series(won)) == pytest.approx(pairwise_auc(score.tolist(), won.tolist()))
    assert auc(pl.Series([1, 2]), pl.Series([True, True])) is None


def history_free(demo_plan_path: Path, tmp_path: Path) -> Path:
    """The demo plan in a folder of its own, so its history folder is empty."""
    plan = load_plan(demo_plan_path)
    return save_plan(relocated(plan, tmp_path), tmp_path / "plan.toml")


def test_backtest_tiers_equal_the_matrix_joined_with_outcomes(demo_plan_path: Path, tmp_path: Path) -> None:
    session = Session.open(history_free(demo_plan_path, tmp_path))
    report = gather(session)
    assert report.backtest.tier_from is None
    matrix = session.matrix("tier", "crm_stage")
    won_cols = [j for j, c in enumerate(matrix.cols) if c in ("closed_won", "customer")]
    expected = {row: (int(matrix.values[i].sum()), int(matrix.values[i, won_cols].sum()))
                for i, row in enumerate(matrix.rows)}
    got = {r["tier"]: (r["accounts"], r["won"]) for r in report.backtest.tiers.iter_rows(named=True)}
    assert got == expected
    assert list(got) == [t.name for t in session.plan.tiers] + [NOT_TARGET]
    gains = report.backtest.gains
    assert gains.get_column("share_of_wins").is_sorted() and gains.row(-1, named=True)["share_of_wins"] == 1.0


def test_the_backtest_judges_the_oldest_snapshot_on_todays_outcomes(demo_plan_path: Path, demo_dir: Path) -> None:
    session = Session.open(demo_plan_path)
    report = gather(session)
    oldest = list_snapshots(demo_dir / "history")[0]
    assert report.backtest.tier_from == oldest.as_of < session.as_of == report.backtest.outcome_from
    accounts = pl.read_csv(demo_dir / "accounts.csv", columns=["account_id", "crm_stage"])
    joined = pl.read_parquet(oldest.path, columns=["account_id", "tier"]).join(accounts, on="account_id")
    expected = joined.group_by("tier").agg(pl.len().alias("accounts"),
                                           pl.col("crm_stage").is_in(["closed_won", "customer"]).sum().alias("won"))
    got = report.backtest.tiers.select("tier", "accounts", "won").filter(pl.col("accounts") > 0)
    assert dict(got.select("tier", pl.struct("accounts", "won")).iter_rows()) == dict(
        expected.select("tier", pl.struct(pl.col("accounts").cast(pl.Int64), pl.col("won").cast(pl.Int64)))
        .iter_rows())


def test_an_account_won_after_the_early_snapshot_counts_with_its_early_tier() -> None:
    earlier = pl.DataFrame({"account_id": ["A", "B", "C", "D"], "tier": ["Tier 3", "Tier 1", NOT_TARGET, "Tier 1"],
                            "fit_score": [40, 90, 10, 85]})
    # today A was promoted to Tier 1 and won; D is new since the snapshot
    later = pl.DataFrame({"account_id": ["A", "B", "C", "E"], "tier": ["Tier 1", "Tier 1", NOT_TARGET, "Tier 1"],
                          "fit_score": [95, 90, 10, 99], "won": [True, False, False, True]})
    result = backtest(judged_later(earlier, later), ("Tier 1", "Tier 2", "Tier 3"), dt.date(2026, 1, 1))
    rows = {r["tier"]: (r["accounts"], r["won"]) for r in result.tiers.iter_rows(named=True)}
    assert rows == {"Tier 1": (1, 0), "Tier 2": (0, 0), "Tier 3": (1, 1), NOT_TARGET: (1, 0)}
    assert result.auc == pytest.approx(pairwise_auc([40, 90, 10], [True, False, False]))


def test_a_target_tier_converting_worse_than_not_target_is_flagged() -> None:
    scored = pl.DataFrame({"account_id": list("ABCDEF"), "tier": ["Tier 1", "Tier 1", "Tier 2", "Tier 2",
                                                                  NOT_TARGET, NOT_TARGET],
                           "fit_score": [9, 8, 7, 6, 5, 4], "won": [True, True, False, False, True, False]})
    flags = dict(backtest(scored, ("Tier 1", "Tier 2")).tiers.select("tier", "below_not_target").iter_rows())
    assert flags == {"Tier 1": False, "Tier 2": True, NOT_TARGET: False}


# --- lookalikes ---------------------------------------------------------------------------------


def test_lookalikes_are_not_won_and_meet_the_criteria_they_name(demo_plan_path: Path) -> None:
    session = Session.open(demo_plan_path)
    report = gather(session)
    looks = report.lookalikes
    assert looks.height > 0
    won_ids = set(session.engine.frame(session.plan).filter(
        pl.col("crm_stage").is_in(["closed_won", "customer"])).get_column("account_id"))
    assert not set(looks.get_column("account_id")) & won_ids
    points = {s.name: s.points for s in report.suggestions.items}
    for row in looks.iter_rows(named=True):
        assert row["icp_score"] == sum(points[name] for name in row["reason"].split("; "))
    assert all(count <= 10 for count in looks.group_by("tier").len().get_column("len").to_list())


# --- the command --------------------------------------------------------------------------------


def icp_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="abm-tui icp")
    icp.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_csv_and_json_have_the_designed_shape(demo_plan_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert icp.run(icp_args(str(demo_plan_path), "--format", "csv")) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "column,value,accounts,won,win_rate,lift,low,high"
    assert len(lines) > 30
    assert icp.run(icp_args(str(demo_plan_path), "--format", "json")) == 0
    document = json.loads(capsys.readouterr().out)
    assert list(document)[:7] == ["outcome", "accounts", "won", "base_rate", "attributes", "suggested", "backtest"]
    assert document["outcome"] == "won" and document["base_rate"] == document["won"] / document["accounts"]
    assert set(document["attributes"][0]) >= {"column", "value", "accounts", "won", "win_rate", "lift", "low", "high"}
    assert set(document["backtest"]["tiers"][0]) == {"tier", "accounts", "won", "win_rate", "lift"}
    assert 0 <= document["backtest"]["auc"] <= 1
    assert all({"points", "evidence", "where"} <= set(s) for s in document["suggested"])


def test_the_demo_tells_its_story(demo_plan_path: Path) -> None:
    """The demo generator's wins favour Fintech, HR Tech, Snowflake and Gong: the suggestions say so first."""
    report = gather(Session.open(demo_plan_path))
    top = {s.name for s in report.suggestions.items[:4]}
    assert {"industry = Fintech", "industry = HR Tech", "tech_stack has Snowflake"} <= top


def test_table_and_markdown_render(demo_plan_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert icp.run(icp_args(str(demo_plan_path), "--outcome", "opportunity")) == 0
    table = capsys.readouterr().out
    assert "reached an opportunity" in table and "AUC of fit_score" in table and "lookalikes" in table
    assert icp.run(icp_args(str(demo_plan_path), "--format", "markdown")) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("# ICP discovery") and "| tier | accounts |" in markdown and "█" in markdown


def test_out_writes_the_three_files(demo_plan_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert icp.run(icp_args(str(demo_plan_path), "--format", "csv", "--out", str(tmp_path / "icp"))) == 0
    printed = capsys.readouterr().out
    assert (tmp_path / "icp" / "icp.csv").read_text() == printed
    assert json.loads((tmp_path / "icp" / "icp.json").read_text())["outcome"] == "won"
    assert (tmp_path / "icp" / "icp.md").read_text().startswith("# ICP discovery")


def test_write_plan_writes_the_suggestions_and_never_overwrites(demo_plan_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "suggested" / "plan.toml"
    target.parent.mkdir()
    assert icp.run(icp_args(str(demo_plan_path), "--format", "csv", "--write-plan", str(target))) == 0
    written = load_plan(target)
    report = gather(Session.open(demo_plan_path))
    assert written.criteria == report.suggestions.criteria()
    session = Session.open(target)  # the data paths were rewritten for the new folder
    first = report.suggestions.items[0]
    met = session.engine.frame(session.plan).select(rules.to_expr(first.where, session.engine.table.schema).sum())
    assert met.item() == first.accounts
    before = target.read_text()
    with pytest.raises(AbmError, match=r"already exists; choose another file or pass --force"):
        icp.run(icp_args(str(demo_plan_path), "--write-plan", str(target)))
    assert target.read_text() == before
    assert icp.run(icp_args(str(demo_plan_path), "--format", "csv", "--write-plan", str(target), "--force")) == 0
    with pytest.raises(AbmError, match=r"is an input of this plan; refusing to overwrite it"):
        icp.run(icp_args(str(demo_plan_path), "--write-plan", str(demo_plan_path), "--force"))


def test_the_command_says_what_is_needed_without_crm_stage(demo_plan_path: Path, tmp_path: Path) -> None:
    plan = load_plan(demo_plan_path)
    accounts = pl.read_csv(plan.resolve(plan.data.accounts)).drop("crm_stage", "opportunity_amount")
    accounts.write_csv(tmp_path / "accounts.csv")
    moved = relocated(plan, tmp_path)
    bare = replace(moved, data=replace(moved.data, accounts="accounts.csv"), stages=(), plays=())
    path = save_plan(bare, tmp_path / "plan.toml")
    with pytest.raises(AbmError, match=r"accounts\.csv: has no crm_stage column"):
        icp.run(icp_args(str(path)))


def test_the_command_says_so_when_nothing_was_won(demo_plan_path: Path, tmp_path: Path) -> None:
    plan = load_plan(demo_plan_path)
    accounts = pl.read_csv(plan.resolve(plan.data.accounts)).with_columns(
        pl.col("crm_stage").replace({"closed_won": "open_opportunity", "customer": "none"}))
    accounts.write_csv(tmp_path / "accounts.csv")
    moved = relocated(plan, tmp_path)
    path = save_plan(replace(moved, data=replace(moved.data, accounts="accounts.csv")), tmp_path / "plan.toml")
    with pytest.raises(AbmError, match=r"no account has won .*try --outcome opportunity"):
        icp.run(icp_args(str(path)))
    assert icp.run(icp_args(str(path), "--outcome", "opportunity", "--format", "csv")) == 0


def test_icp_csv_is_spreadsheet_safe(demo_plan_path: Path) -> None:
    session = Session.open(demo_plan_path)
    report = gather(session)
    rows = report.lift.rows
    risky = replace(report, lift=replace(report.lift, rows=rows.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("=1+1")).otherwise(pl.col("value")).alias("value"))))
    assert icp_csv(risky).splitlines()[1].split(",")[1] == "'=1+1"
    assert icp_document(report)["accounts"] == session.engine.size


def test_the_command_spells_the_outcomes_as_the_engine_does() -> None:
    """`cli/icp.py` spells them itself to keep --help free of Polars; this keeps the two the same."""
    assert tuple(Outcome) == icp.OUTCOMES
    with pytest.raises(SystemExit):
        icp_args("plan.toml", "--outcome", "lost")


def test_session_accounts_keeps_the_order_asked_and_leaves_unknown_ids_out(demo_plan_path: Path) -> None:
    session = Session.open(demo_plan_path)
    every = session.assignments()
    ids = every.get_column("account_id").to_list()
    asked = [ids[40], "NO-SUCH-ID", ids[3], ids[2999]]
    found = session.accounts(asked)
    assert found.get_column("account_id").to_list() == [ids[40], ids[3], ids[2999]]
    expected = every.filter(pl.col("account_id").is_in(asked))
    assert found.sort("account_id").equals(expected.sort("account_id"))


def test_described_names_the_points_and_criteria_of_misplaced_won_accounts(demo_plan_path: Path) -> None:
    from abm_tui.engine.outcomes.lookalikes import described

    session = Session.open(demo_plan_path)
    report = gather(session)
    frame = session.engine.frame(session.plan)
    shown = described(frame, report.misplaced, report.suggestions)
    assert shown.get_column("account_id").to_list() == report.misplaced.get_column("account_id").to_list()
    rows = {r["account_id"]: r for r in frame.filter(
        pl.col("account_id").is_in(shown.get_column("account_id").implode())).iter_rows(named=True)}
    for row in shown.head(50).iter_rows(named=True):
        met = [s for s in report.suggestions.items
               if frame.filter(pl.col("account_id") == row["account_id"]).select(
                   rules.to_expr(s.where, frame.schema)).item()]
        assert row["icp_score"] == sum(s.points for s in met)
        assert (row["reason"] or "") == "; ".join(s.name for s in met)
        assert row["name"] == rows[row["account_id"]]["name"]
