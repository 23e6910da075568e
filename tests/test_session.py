"""The session: history, refusing bad plans without losing state, and recomputing only what a change touches."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from abm_tui import PlanError, Session, edits, load_plan, save_plan
from abm_tui.engine import features
from abm_tui.errors import AbmError
from abm_tui.onboarding.demo import write_demo


def test_matrix_covers_every_account_once(demo_session: Session) -> None:
    m = demo_session.matrix()
    assert m.total == demo_session.report.rows_kept == demo_session.engine.size
    assert m.rows[-1] == "Not target" and m.cols[-1] == "Unstaged"
    assert m.rows[:-1] == tuple(t.name for t in demo_session.plan.tiers)
    assert m.cols[:-1] == tuple(s.name for s in demo_session.plan.stages)


def test_apply_undo_redo_follow_the_history(demo_session: Session) -> None:
    original = demo_session.matrix()
    looser = edits.set_test(demo_session.plan, "tiers", 2, "fit_score", "min", 30)
    demo_session.apply(looser)
    changed = demo_session.matrix()
    assert demo_session.dirty and demo_session.can_undo and not demo_session.can_redo
    assert changed.values[2].sum() > original.values[2].sum()
    demo_session.undo()
    assert demo_session.plan == load_plan(demo_session.plan.base_dir / "plan.toml")
    np.testing.assert_array_equal(demo_session.matrix().values, original.values)
    assert not demo_session.dirty
    demo_session.redo()
    np.testing.assert_array_equal(demo_session.matrix().values, changed.values)
    with pytest.raises(AbmError, match="nothing to redo"):
        demo_session.redo()


def test_apply_after_undo_drops_the_redo_branch(demo_session: Session) -> None:
    plan = demo_session.plan
    demo_session.apply(edits.set_test(plan, "tiers", 0, "fit_score", "min", 60))
    demo_session.undo()
    demo_session.apply(edits.set_test(plan, "tiers", 0, "fit_score", "min", 90))
    assert not demo_session.can_redo
    assert edits.get_test(demo_session.plan, "tiers", 0, "fit_score", "min") == 90


def test_a_bad_plan_is_refused_and_the_session_keeps_its_state(demo_session: Session) -> None:
    before = demo_session.plan
    bad = edits.set_test(before, "tiers", 0, "fit_scor", "min", 10)
    with pytest.raises(PlanError, match=r"tiers\[0\]\.where\.fit_scor\.min: unknown column 'fit_scor'.*fit_score"):
        demo_session.apply(bad)
    assert demo_session.plan is before and not demo_session.can_undo
    assert demo_session.matrix().total == demo_session.engine.size


def test_window_change_recomputes_features(demo_session: Session) -> None:
    recent = demo_session.engine.frame(demo_session.plan).get_column("engagement_recent").sum()
    wider = replace(demo_session.plan, engagement=replace(demo_session.plan.engagement, recent_days=60))
    demo_session.apply(wider)
    assert demo_session.engine.frame(wider).get_column("engagement_recent").sum() > recent
    demo_session.undo()
    assert demo_session.engine.frame(demo_session.plan).get_column("engagement_recent").sum() == recent


def test_weight_change_keeps_the_loaded_table(demo_session: Session) -> None:
    table = demo_session.engine.table
    weights = tuple((c, 0.0 if c == "demo_request" else w) for c, w in demo_session.plan.engagement.weights)
    demo_session.apply(replace(demo_session.plan, engagement=replace(demo_session.plan.engagement, weights=weights)))
    assert demo_session.engine.table is table
    frame = demo_session.engine.frame(demo_session.plan)
    expected = features.weighted_scores(table, demo_session.engine.channels, demo_session.plan.engagement)
    assert frame.get_column("engagement_total").equals(expected.get_column("engagement_total"))


def test_assignments_have_one_row_per_account_with_the_contract_columns(demo_session: Session) -> None:
    frame = demo_session.assignments()
    assert frame.height == demo_session.engine.size
    assert frame.get_column("account_id").is_unique().all()
    for column in ("account_id", "name", "domain", "fit_score", "bucket", "tier", "stage", "segment",
                   "campaign", "cta", "sales_action", "reason"):
        assert column in frame.columns
    assert frame.select((pl.col("segment") == pl.col("tier") + " / " + pl.col("stage")).all()).item()
    assert frame.get_column("reason").null_count() == 0


def test_saved_plan_gives_the_same_assignments(demo_session: Session, tmp_path: Path) -> None:
    path = tmp_path / "copy.toml"
    copy = replace(demo_session.plan, data=replace(
        demo_session.plan.data,
        accounts=str(demo_session.plan.resolve(demo_session.plan.data.accounts)),
        engagement=str(demo_session.plan.resolve(demo_session.plan.data.engagement)),
    ))
    save_plan(copy, path)
    again = Session.open(path)
    assert again.plan == copy
    assert again.assignments().equals(demo_session.assignments())


def test_explain_walks_every_rule(demo_session: Session) -> None:
    frame = demo_session.assignments()
    tier1 = frame.filter(pl.col("tier") == "Tier 1").row(0, named=True)
    text = demo_session.explain(tier1["account_id"])
    assert f"Fit score {tier1['fit_score']}" in text
    assert "→ fired: Tier 1" in text
    assert f"Stage: {tier1['stage']}" in text and f"Bucket: {tier1['bucket']}" in text
    assert "Engagement (recent = last 30 days" in text


def test_explain_says_when_a_limit_cut_an_account(demo_session: Session) -> None:
    plan = demo_session.plan
    tight = replace(plan, tiers=(replace(plan.tiers[0], limit=1), *plan.tiers[1:]))
    demo_session.apply(tight)
    cut = demo_session.assignment().cut_by_limit[0]
    assert cut > 0
    fit_min = edits.get_test(plan, "tiers", 0, "fit_score", "min")
    engagement_min = edits.get_test(plan, "tiers", 0, "engagement_recent", "min")
    tier2 = demo_session.assignments().filter(
        pl.col("tier") != "Tier 1", pl.col("fit_score") >= fit_min, pl.col("engagement_recent") >= engagement_min
    ).get_column("account_id")[0]
    assert "not among the best 1 by fit_score, then engagement_recent (" in demo_session.explain(tier2)
    demo_session.apply(edits.set_rank_by(tight, 0, ("annual_revenue", "employees")))
    assert "not among the best 1 by annual_revenue, then employees (" in demo_session.explain(tier2)
    reason = demo_session.assignments().filter(pl.col("tier") == "Tier 1").get_column("reason")[0]
    assert "(best 1 by annual_revenue, then employees)" in reason


def test_explain_of_an_unknown_account_names_it(demo_session: Session) -> None:
    with pytest.raises(AbmError, match="no account with account_id 'nope'"):
        demo_session.explain("nope")


def test_engagement_lists_belong_to_their_own_accounts(demo_session: Session) -> None:
    """Themes, personas and recency recomputed per account straight from the events agree with the table."""
    events = demo_session.workspace.dataset.events
    as_of = demo_session.as_of
    window = demo_session.plan.engagement.window_days
    age = (pl.lit(as_of) - pl.col("date")).dt.total_days()
    recent_events = events.filter(age >= 0, age < window)
    expected = (
        recent_events.filter(pl.col("persona").is_not_null())
        .group_by("_row")
        .agg(pl.col("persona").cast(pl.String).unique().sort().alias("expected"))
    )
    table = demo_session.engine.table.with_row_index("_row")
    joined = table.join(expected, on="_row", how="left").with_columns(pl.col("expected").fill_null([]))
    assert joined.filter(pl.col("personas_engaged") != pl.col("expected")).height == 0
    top = (
        recent_events.filter(pl.col("intent_theme").is_not_null())
        .group_by("_row", "intent_theme").agg(pl.col("count").sum())
        .sort(["_row", "count", "intent_theme"], descending=[False, True, False])
        .group_by("_row", maintain_order=True).agg(pl.col("intent_theme").first().cast(pl.String).alias("top"))
    )
    joined = table.join(top, on="_row", how="left")
    assert joined.filter(pl.col("top_intent_theme").ne_missing(pl.col("top"))).height == 0
    silent = table.join(events.select("_row").unique(), on="_row", how="anti")
    assert silent.get_column("intent_themes").list.len().max() == 0


def test_data_paths_are_literal_paths(tmp_path: Path) -> None:
    """A folder named like a pattern is read as itself, and a plan naming `a*.csv` does not read a1.csv."""
    plain, odd = tmp_path / "plain", tmp_path / "plans [q1] *?"
    for folder in (plain, odd):
        write_demo(folder, accounts=200, events=2000, seed=3)
    expected = Session.open(plain / "plan.toml").matrix()
    opened = Session.open(odd / "plan.toml")
    assert opened.report.rows_kept == 200
    np.testing.assert_array_equal(opened.matrix().values, expected.values)

    plan = load_plan(plain / "plan.toml")
    (plain / "a1.csv").write_bytes((plain / "accounts.csv").read_bytes())
    starred = replace(plan, data=replace(plan.data, accounts="a*.csv"))
    with pytest.raises(AbmError) as info:
        Session.open(starred)
    assert str(info.value) == f"{plain / 'a*.csv'}: no such file"
