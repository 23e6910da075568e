"""Writing a plan from scratch with plan.edits: rules, tests at any depth, groups, plays, engagement."""

from __future__ import annotations

import datetime as dt

import pytest

from abm_tui.errors import AbmError
from abm_tui.plan import edits
from abm_tui.plan.dump import dumps_plan
from abm_tui.plan.model import AllOf, AnyOf, Compare, Criterion, Not, Plan, Play, Rule, Section, Sql, Tier
from abm_tui.plan.parse import loads_plan

SALESFORCE = Compare("tech_stack", "contains", "Salesforce")
BIG = Compare("employees", "min", 500)


def plan() -> Plan:
    return Plan(
        criteria=(Criterion("Big", 20, AllOf((BIG,))),),
        tiers=(Tier("Tier 1", AllOf((Compare("fit_score", "min", 80),)), limit=50),),
        stages=(Rule("Aware"),),
        buckets=(Rule("Net new"),),
        plays=(Play(tier=("Tier 1",), campaign="Exec dinner"),),
    )


def roundtrip(p: Plan) -> Plan:
    return loads_plan(dumps_plan(p))


def test_add_rule_from_scratch_at_the_end_or_an_index() -> None:
    added = edits.add_rule(plan(), "fit", edits.new_rule(Section.CRITERIA, "Uses Salesforce", 15))
    assert added.criteria[-1] == Criterion("Uses Salesforce", 15)
    first = edits.add_rule(plan(), Section.TIERS, edits.new_rule("tiers", "Tier 0"), index=0)
    assert [t.name for t in first.tiers] == ["Tier 0", "Tier 1"]
    assert roundtrip(added) == added


@pytest.mark.parametrize(("section", "rule", "said"), [
    ("tiers", Tier("Tier 1"), "already the name"),
    ("tiers", Tier("not target"), "where accounts no rule takes"),
    ("stages", Rule("  "), "expected a name"),
    ("tiers", Rule("Tier 2"), "expected a Tier"),
])
def test_add_rule_refuses_names_plays_could_not_tell_apart(section: str, rule: Rule | Tier, said: str) -> None:
    with pytest.raises(AbmError, match=said):
        edits.add_rule(plan(), section, rule)


def test_tests_are_added_changed_and_removed_at_any_depth() -> None:
    p = edits.add_rule(plan(), "fit", edits.new_rule("fit", "Uses Salesforce", 15))
    p = edits.add_test(p, "fit", 1, SALESFORCE)
    assert p.criteria[1].where == AllOf((SALESFORCE,))
    p = edits.add_test(p, "fit", 1, BIG)
    p = edits.group_any(p, "fit", 1, ((0,), (1,)))
    assert p.criteria[1].where == AllOf((AnyOf((AllOf((SALESFORCE,)), AllOf((BIG,)))),))
    us = Compare("country", "eq", "US")
    p = edits.add_test(p, "fit", 1, us, into=(0, 0))  # into the first alternative
    assert edits.condition_at(p.criteria[1].where, (0, 0)) == AllOf((SALESFORCE, us))
    assert edits.add_test(p, "fit", 1, us, into=(0,)).criteria[1].where.items[0].items[-1] == AllOf((us,))
    p = edits.set_condition(p, "fit", 1, (0, 1, 0), Compare("employees", "min", 1000))
    assert edits.condition_at(p.criteria[1].where, (0, 1, 0)) == Compare("employees", "min", 1000)
    assert roundtrip(p) == p
    p = edits.remove_condition(p, "fit", 1, (0, 1, 0))  # the alternative left empty goes too
    assert p.criteria[1].where == AllOf((AnyOf((AllOf((SALESFORCE, us)),)),))
    assert p.criteria[0] == plan().criteria[0]


def test_not_wraps_and_unwraps() -> None:
    p = edits.group_not(plan(), "fit", 0, (0,))
    assert p.criteria[0].where == AllOf((Not(AllOf((BIG,))),))
    assert edits.group_not(p, "fit", 0, (0,)).criteria[0].where == AllOf((BIG,))
    p = edits.add_test(p, "fit", 0, SALESFORCE, into=(0,))  # into the not's own table
    assert p.criteria[0].where == AllOf((Not(AllOf((BIG, SALESFORCE))),))
    assert edits.group_not(p, "fit", 0, (0,)).criteria[0].where == AllOf((BIG, SALESFORCE))


def test_a_test_a_toml_table_cannot_hold_twice_is_refused() -> None:
    with pytest.raises(AbmError, match=r"fit.criteria\[0\]: cannot write employees.min twice"):
        edits.add_test(plan(), "fit", 0, Compare("employees", "min", 10))
    with_sql = edits.add_test(plan(), "fit", 0, Sql("employees > 3"))
    with pytest.raises(AbmError, match="sql twice"):
        edits.add_test(with_sql, "fit", 0, Sql("employees > 4"))
    with pytest.raises(AbmError, match=r"no test at \[5\]"):
        edits.remove_condition(plan(), "fit", 0, (5,))


def test_describe_removal_names_the_rule_its_tests_and_its_plays() -> None:
    assert edits.describe_removal(plan(), "tiers", 0) == 'tiers[0] "Tier 1" and its 1 test; plays that name it: Tier 1'
    assert edits.describe_removal(plan(), "fit", 0, (0,)) == 'employees ≥ 500 from "Big"'


def test_tier_motion_and_limit() -> None:
    p = edits.set_motion(plan(), 0, " 1:1 ")
    assert p.tiers[0].motion == "1:1"
    assert edits.set_motion(p, 0, "").tiers[0].motion is None


def test_plays_are_added_and_edited_with_names_checked() -> None:
    p = edits.add_play(plan(), Play(stage=("Aware",), cta="Book a demo"))
    assert p.plays[1].cta == "Book a demo"
    p = edits.set_play(p, 1, cta="Get the report", bucket=("Net new",))
    assert p.plays[1] == Play(stage=("Aware",), bucket=("Net new",), cta="Get the report")
    with pytest.raises(AbmError, match=r'plays\[0\].tier: no tier named "Tier 9"'):
        edits.set_play(p, 0, tier=("Tier 9",))
    assert edits.delete_play(p, 0).plays == (p.plays[1],)
    assert roundtrip(p) == p


def test_channels_are_added_and_changed() -> None:
    p = edits.set_channel(plan(), "webinar", weight=2, half_life=14)
    assert p.engagement.weight("webinar") == 2 and p.engagement.half_life("webinar") == 14
    p = edits.set_channel(p, "webinar", weight=3)
    assert p.engagement.weights == (("webinar", 3.0),) and p.engagement.half_life("webinar") == 14
    with pytest.raises(AbmError, match="above 0 days"):
        edits.set_channel(p, "webinar", half_life=0)
    assert edits.set_as_of(p, dt.date(2026, 11, 1)).as_of == dt.date(2026, 11, 1)


@pytest.mark.parametrize(("kind", "op", "text", "value"), [
    ("numbers", "min", "1,000", 1000),
    ("numbers", "max", "2.5", 2.5),
    ("dates", "min", "2026-01-31", dt.date(2026, 1, 31)),
    ("text", "in", "Fintech, SaaS,", ("Fintech", "SaaS")),
    ("lists", "contains", " Salesforce ", "Salesforce"),
    ("text", "is_null", "", True),
    ("true/false values", "eq", "false", False),
])
def test_parse_test_reads_the_value_as_the_column_holds_it(kind: str, op: str, text: str, value: object) -> None:
    parsed = edits.parse_test("c", kind, op, text)
    assert parsed == Compare("c", op, value) and type(parsed.op) is str  # type: ignore[arg-type]


def test_parse_test_says_what_it_expected() -> None:
    with pytest.raises(AbmError, match="expected a number, got 'many'"):
        edits.parse_test("employees", "numbers", "min", "many")
    with pytest.raises(AbmError, match="one or more values"):
        edits.parse_test("industry", "text", "in", " , ")


def test_profiles_and_value_counts_say_what_the_picker_shows() -> None:
    import polars as pl

    from abm_tui.engine.profile import profiles, value_counts

    frame = pl.DataFrame({"tech_stack": [["Salesforce", "Slack"], ["Salesforce"], None],
                          "employees": [10, None, 10], "industry": ["SaaS", "Fintech", "SaaS"]})
    found = {p.name: p for p in profiles(frame, {"fit_score": pl.Int64()})}
    assert found["tech_stack"].kind == "lists" and found["tech_stack"].examples == ("Salesforce", "Slack")
    assert found["employees"].fill == pytest.approx(2 / 3) and found["fit_score"].kind == "numbers"
    assert value_counts(frame, "tech_stack") == [("Salesforce", 2), ("Slack", 1)]
    assert value_counts(frame, "industry") == [("SaaS", 2), ("Fintech", 1)]
    assert value_counts(frame, "employees") == [("10", 2)] and value_counts(frame, "nope") == []


def test_cell_plays_names_a_cells_plays_and_the_accounts_without_one(demo_session) -> None:  # noqa: ANN001
    import numpy as np

    from abm_tui.engine.profile import cell_plays

    assignment = demo_session.assignment()
    found = cell_plays(demo_session.engine, assignment, "tier", "Tier 1", "stage", None)
    tier_1 = assignment.tier == assignment.tier_labels.index("Tier 1")
    assert sum(n for _, n in found.plays) == int(np.count_nonzero(tier_1))
    no_play = int(np.count_nonzero(assignment.play == assignment.play_labels.index("No play")))
    assert found.no_play == no_play > 0 and found.accounts == assignment.size
