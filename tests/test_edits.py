"""Named plan edits: each returns a new plan and leaves the old one alone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from abm_tui.errors import AbmError
from abm_tui.plan import edits
from abm_tui.plan.parse import load_plan

BUNDLED_PLAN = Path(__file__).resolve().parent.parent / "data" / "plan.toml"


@pytest.fixture()
def plan():
    return load_plan(BUNDLED_PLAN)


@pytest.mark.parametrize(
    ("value", "direction", "large", "expected"),
    [(80, 1, False, 85), (80, -1, False, 75), (80, 1, True, 130), (5, 1, False, 6), (5000, 1, False, 5500),
     (20_000_000, -1, False, 15_000_000), (0.5, 1, False, 1.5), (200, -1, False, 150)],
)
def test_nudge_scales_with_the_value(value, direction, large, expected) -> None:
    assert edits.nudge(value, direction, large) == expected


def test_parse_value_keeps_the_type_and_says_what_was_expected() -> None:
    assert edits.parse_value("85", 80) == 85
    assert edits.parse_value("1,200", 80) == 1200
    assert edits.parse_value("2.5", 1.0) == 2.5
    assert edits.parse_value("2026-01-31", dt.date(2026, 1, 1)) == dt.date(2026, 1, 31)
    assert edits.parse_value("Fintech", "x") == "Fintech"
    with pytest.raises(AbmError, match="expected a number, got 'high'"):
        edits.parse_value("high", 80)
    with pytest.raises(AbmError, match="expected a date"):
        edits.parse_value("soon", dt.date(2026, 1, 1))


def test_toggle_points_limit(plan) -> None:
    off = edits.toggle(plan, "tiers", 0)
    assert not off.tiers[0].enabled and plan.tiers[0].enabled
    assert edits.toggle(off, "tiers", 0) == plan
    assert edits.set_points(plan, 0, 45).criteria[0].points == 45
    assert edits.set_limit(plan, 0, 80).tiers[0].limit == 80
    assert edits.set_limit(plan, 0, None).tiers[0].limit is None
    with pytest.raises(AbmError, match="at least 1"):
        edits.set_limit(plan, 0, 0)
    ranked = edits.set_rank_by(plan, 0, ("annual_revenue", "employees"))
    assert ranked.tiers[0].rank_by == ("annual_revenue", "employees") and plan.tiers[0].rank_by is None
    assert edits.set_rank_by(ranked, 0, ()) == plan, "no columns is the default ranking again"
    with pytest.raises(AbmError, match="tiers.0..rank_by: a column is named twice"):
        edits.set_rank_by(plan, 0, ("employees", "employees"))


def test_move_delete_duplicate(plan) -> None:
    moved = edits.move(plan, "stages", 1, -1)
    assert [s.name for s in moved.stages[:2]] == [plan.stages[1].name, plan.stages[0].name]
    with pytest.raises(AbmError, match="already first"):
        edits.move(plan, "stages", 0, -1)
    assert len(edits.delete(plan, "buckets", 0).buckets) == len(plan.buckets) - 1
    copy = edits.duplicate(plan, "tiers", 0)
    assert [t.name for t in copy.tiers[:2]] == ["Tier 1", "Tier 1 (2)"]
    assert copy.tiers[1].where == plan.tiers[0].where


def test_remove_test(plan) -> None:
    fewer = edits.remove_test(plan, "tiers", 0, "engagement_recent", "min")
    assert edits.get_test(fewer, "tiers", 0, "engagement_recent", "min") is None
    assert edits.get_test(fewer, "tiers", 0, "fit_score", "min") == 80


def test_rename_carries_into_plays(plan) -> None:
    renamed = edits.rename(plan, "tiers", 0, "Strategic")
    assert renamed.tiers[0].name == "Strategic"
    assert [p.tier for p in renamed.plays if p.tier and "Strategic" in p.tier]
    assert not [p for p in renamed.plays if p.tier and "Tier 1" in p.tier]
    with pytest.raises(AbmError, match="already the name"):
        edits.rename(plan, "tiers", 0, "Tier 2")
    with pytest.raises(AbmError, match="expected a name"):
        edits.rename(plan, "stages", 0, "  ")
    assert edits.rename(plan, "criteria", 0, "Core verticals").criteria[0].name == "Core verticals"


def test_add_rule_appends_or_inserts_and_refuses_a_name_taken(plan) -> None:
    from abm_tui.plan.model import AllOf, Compare, Criterion, Section

    rule = Criterion("industry = Fintech", 31, AllOf((Compare("industry", "eq", "Fintech"),)))
    added = edits.add_rule(plan, Section.CRITERIA, rule)
    assert added.criteria == (*plan.criteria, rule) and plan.criteria[-1] != rule
    assert edits.add_rule(plan, "fit", rule, 0).criteria == (rule, *plan.criteria)
    with pytest.raises(AbmError, match="already") as taken:
        edits.add_rule(added, Section.CRITERIA, rule)
    assert "industry = Fintech" in str(taken.value) and "fit.criteria" in str(taken.value)
    with pytest.raises(AbmError, match="fit.criteria") as beyond:
        edits.add_rule(plan, Section.CRITERIA, rule, 99)
    assert "99" in str(beyond.value)
    with pytest.raises(AbmError, match="no section 'nope'"):
        edits.add_rule(plan, "nope", rule)
