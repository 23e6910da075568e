"""The engine on a hand-built table, where every answer can be worked out by hand."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from abm_tui.engine.segment import Engine
from abm_tui.errors import AbmError
from abm_tui.plan import edits, rules
from abm_tui.plan.parse import loads_plan

TABLE = pl.DataFrame({
    "account_id": ["a5", "a1", "a4", "a2", "a3", "a6"],
    "industry": ["Fintech", "Fintech", "Retail", "HR Tech", None, "Fintech"],
    "employees": [500, 300, 40, 1200, 800, None],
    "crm_stage": ["none", "open_opportunity", "none", "closed_won", "none", "none"],
    "amount": [None, 50_000.0, None, 20_000.0, None, None],
})

PLAN = """
version = 1
name = "hand"
[data]
accounts = "x.csv"
[[fit.criteria]]
name = "Core industry"
points = 50
where = { industry = { in = ["Fintech", "HR Tech"] } }
[[fit.criteria]]
name = "Size"
points = 30
where = { employees = { min = 200, max = 1000 } }
[[buckets]]
name = "Big"
where = { employees = { min = 1000 } }
[[stages]]
name = "Won"
where = { crm_stage = { eq = "closed_won" } }
[[stages]]
name = "Selecting"
where = { crm_stage = { eq = "open_opportunity" } }
[[tiers]]
name = "Tier 1"
where = { fit_score = { min = 80 } }
limit = 2
[[tiers]]
name = "Tier 2"
where = { fit_score = { min = 50 }, stage = { ne = "Won" } }
[[plays]]
tier = "Tier 1"
campaign = "one to one"
[[plays]]
stage = ["Won", "Selecting"]
campaign = "deal"
"""


@pytest.fixture()
def engine() -> Engine:
    return Engine(TABLE, channels=None)


@pytest.fixture()
def plan():
    return loads_plan(PLAN)


def names(labels: tuple[str, ...], codes: np.ndarray) -> list[str]:
    return [labels[c] for c in codes]


def test_fit_scores_sum_points_of_criteria_met(engine: Engine, plan) -> None:
    a = engine.assign(plan)
    # a5 Fintech 500: 80; a1 Fintech 300: 80; a4 Retail 40: 0; a2 HR 1200: 50; a3 None 800: 30; a6 Fintech None: 50
    assert a.fit_score.tolist() == [80, 80, 0, 50, 30, 50]
    assert a.criteria_names == ("Core industry", "Size")
    assert a.criteria_met[:, 1].tolist() == [True, True, False, False, True, False]


def test_first_match_and_fallbacks(engine: Engine, plan) -> None:
    a = engine.assign(plan)
    assert names(a.stage_labels, a.stage) == ["Unstaged", "Selecting", "Unstaged", "Won", "Unstaged", "Unstaged"]
    assert names(a.bucket_labels, a.bucket) == ["Unclassified", "Unclassified", "Unclassified", "Big",
                                                "Unclassified", "Unclassified"]
    # Tier 2 reads `stage`: a2 has fit 50 but is Won, so it is Not target.
    assert names(a.tier_labels, a.tier) == ["Tier 1", "Tier 1", "Not target", "Not target", "Not target", "Tier 2"]


def test_limit_keeps_the_best_and_breaks_ties_by_account_id(engine: Engine, plan) -> None:
    one = plan.tiers[0].__class__(name="Tier 1", where=plan.tiers[0].where, limit=1)
    a = engine.assign(plan.__class__(**{**plan.__dict__, "tiers": (one, plan.tiers[1])}))
    # a5 and a1 both score 80: a1 wins on account_id; a5 falls through to Tier 2.
    assert names(a.tier_labels, a.tier)[:2] == ["Tier 2", "Tier 1"]
    assert a.cut_by_limit == (1, 0)


def test_rank_by_keeps_the_best_by_its_columns_with_missing_values_last(engine: Engine, plan) -> None:
    plan = loads_plan(PLAN.replace("limit = 2", 'limit = 2\nrank_by = ["amount", "employees"]'))
    a = engine.assign(plan)
    # Tier 1's candidates are a5 and a1 (fit 80); with limit 2 both stay whatever the ranking.
    assert names(a.tier_labels, a.tier)[:2] == ["Tier 1", "Tier 1"]
    one = loads_plan(PLAN.replace("limit = 2", 'limit = 1\nrank_by = ["amount", "employees"]'))
    a = engine.assign(one)
    # a1 has an amount (50,000), a5 has none: a1 is kept although a5 has more employees.
    assert names(a.tier_labels, a.tier)[:2] == ["Tier 2", "Tier 1"]
    by_size = engine.assign(loads_plan(PLAN.replace("limit = 2", 'limit = 1\nrank_by = ["employees"]')))
    assert names(by_size.tier_labels, by_size.tier)[:2] == ["Tier 1", "Tier 2"], "a5 (500) beats a1 (300)"


def test_rank_by_breaks_the_first_columns_ties_by_the_next(engine: Engine) -> None:
    ranked = 'where = { fit_score = { min = 50 } }\nlimit = 2\nrank_by = ["fit_score", "employees"]'
    plan = loads_plan(PLAN.replace('where = { fit_score = { min = 80 } }\nlimit = 2', ranked))
    a = engine.assign(plan)
    # candidates: a5 80, a1 80, a2 50 (1200 employees), a6 50 (none): fit 80 twice fills the limit.
    assert [n for n in names(a.tier_labels, a.tier)] == ["Tier 1", "Tier 1", "Not target", "Not target",
                                                         "Not target", "Tier 2"]
    three = engine.assign(loads_plan(PLAN.replace(
        'where = { fit_score = { min = 80 } }\nlimit = 2',
        'where = { fit_score = { min = 50 } }\nlimit = 3\nrank_by = ["fit_score", "employees"]')))
    # the third place goes to the fit-50 account with more employees (a2, 1200) over a6 (missing).
    assert names(three.tier_labels, three.tier) == ["Tier 1", "Tier 1", "Not target", "Tier 1", "Not target",
                                                    "Tier 2"]


def test_plays_first_match_with_any_of_names(engine: Engine, plan) -> None:
    a = engine.assign(plan)
    assert names(a.play_labels, a.play) == ["Tier 1", "Tier 1", "No play", "Won or Selecting", "No play", "No play"]


def test_disabled_rule_is_skipped(engine: Engine, plan) -> None:
    from dataclasses import replace

    off = replace(plan, stages=(replace(plan.stages[0], enabled=False), plan.stages[1]))
    a = engine.assign(off)
    assert "Won" not in names(a.stage_labels, a.stage)
    assert a.fit_score.tolist() == engine.assign(plan).fit_score.tolist()


def test_matrix_counts_sum_and_follow_plan_order(engine: Engine, plan) -> None:
    a = engine.assign(plan)
    m = engine.matrix(a)
    assert m.rows == ("Tier 1", "Tier 2", "Not target")
    assert m.cols == ("Won", "Selecting", "Unstaged")
    assert m.total == TABLE.height
    assert m.cell("Tier 1", "Selecting") == 1
    assert m.cell("Not target", "Unstaged") == 2


def test_matrix_measure_sums_a_column(engine: Engine, plan) -> None:
    m = engine.matrix(engine.assign(plan), measure="amount")
    assert m.cell("Tier 1", "Selecting") == 50_000.0
    assert m.cell("Not target", "Won") == 20_000.0
    assert m.total == 70_000.0


def test_pivot_on_a_categorical_column(engine: Engine, plan) -> None:
    m = engine.matrix(engine.assign(plan), rows="industry", cols="tier")
    assert m.rows == ("Fintech", "HR Tech", "Retail", "(blank)")
    assert m.cell("Fintech", "Tier 1") == 2
    assert m.cell("(blank)", "Not target") == 1


def test_pivot_refuses_unknown_and_high_cardinality_columns(engine: Engine, plan) -> None:
    a = engine.assign(plan)
    with pytest.raises(AbmError, match="industy.*did you mean 'industry'"):
        engine.matrix(a, rows="industy")
    wide = Engine(pl.DataFrame({"account_id": [f"x{i}" for i in range(100)], "n": list(range(100))}), None)
    with pytest.raises(AbmError, match="100 distinct values"):
        wide.matrix(wide.assign(loads_plan("version = 1\n[data]\naccounts='a'")), rows="n")


def count_compiled(monkeypatch) -> list:
    """Record each rule the engine compiles (top-level calls only: to_expr recurses into sub-conditions)."""
    compiled, depth, real = [], [0], rules.to_expr

    def counting(condition, schema):
        if depth[0] == 0:
            compiled.append(condition)
        depth[0] += 1
        try:
            return real(condition, schema)
        finally:
            depth[0] -= 1

    monkeypatch.setattr(rules, "to_expr", counting)
    return compiled


def test_a_threshold_tweak_evaluates_only_the_changed_rule(engine: Engine, plan, monkeypatch) -> None:
    engine.assign(plan)
    compiled = count_compiled(monkeypatch)
    tweaked = edits.set_test(plan, "tiers", 0, "fit_score", "min", 50)
    a = engine.assign(tweaked)
    assert compiled == [tweaked.tiers[0].where]
    assert names(a.tier_labels, a.tier)[:2] == ["Tier 1", "Tier 1"]
    # Undoing is free: the old rule's mask is still cached.
    compiled.clear()
    engine.assign(plan)
    assert compiled == []


def test_a_criterion_tweak_recomputes_rules_that_read_fit_score(engine: Engine, plan, monkeypatch) -> None:
    engine.assign(plan)
    compiled = count_compiled(monkeypatch)
    changed = edits.set_test(plan, "criteria", 1, "employees", "min", 100)
    a = engine.assign(changed)
    # The criterion and both tiers (they read fit_score) are evaluated again; stages and buckets are not.
    assert compiled == [changed.criteria[1].where, changed.tiers[0].where, changed.tiers[1].where]
    assert a.fit_score.tolist()[2] == 0


def test_weights_change_engagement_scores(tmp_path) -> None:
    table = pl.DataFrame({
        "account_id": ["a", "b"],
        "ad_click_recent": [1.0, 0.0], "ad_click_window": [1.0, 0.0], "ad_click_total": [1.0, 5.0],
    })
    engine = Engine(table, channels=("ad_click",))
    plan = loads_plan('version = 1\n[data]\naccounts="a"\n[engagement.weights]\nad_click = 3\n'
                      '[[tiers]]\nname="T"\nwhere={engagement_recent={min=2}}')
    assert engine.frame(plan).get_column("engagement_total").to_list() == [3.0, 15.0]
    assert engine.assign(plan).tier.tolist() == [0, 1]
    lighter = loads_plan('version = 1\n[data]\naccounts="a"\n[engagement.weights]\nad_click = 1\n'
                         '[[tiers]]\nname="T"\nwhere={engagement_recent={min=2}}')
    assert engine.assign(lighter).tier.tolist() == [1, 1]


def test_a_weight_change_reranks_a_limit_that_does_not_read_engagement() -> None:
    """The default ranking's second column is engagement_recent, which the weights make: a tier
    whose rule never names engagement must still be ranked again when a weight changes (the tier
    step's cache key carries the weights through the fit key; this holds it there)."""
    table = pl.DataFrame({
        "account_id": ["a", "b"],
        "ad_click_recent": [2.0, 0.0], "ad_click_window": [2.0, 0.0], "ad_click_total": [2.0, 0.0],
        "demo_request_recent": [0.0, 1.0], "demo_request_window": [0.0, 1.0], "demo_request_total": [0.0, 1.0],
    })
    engine = Engine(table, channels=("ad_click", "demo_request"))
    text = ('version = 1\n[data]\naccounts="a"\n[engagement.weights]\nad_click = {click}\ndemo_request = 5\n'
            '[[tiers]]\nname="T"\nlimit = 1\n')
    assert engine.assign(loads_plan(text.format(click=3))).tier.tolist() == [0, 1], "a: 6 against b: 5"
    assert engine.assign(loads_plan(text.format(click=1))).tier.tolist() == [1, 0], "a: 2 against b: 5"
