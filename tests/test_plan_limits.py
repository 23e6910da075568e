"""Numbers out of range, reserved names and deep nesting are refused when the plan is read (issue 12.9,
12.11, 12.15): each with its key path, never as a crash at run time."""

from __future__ import annotations

from pathlib import Path

import pytest

from abm_tui import cli
from abm_tui.errors import AbmError
from abm_tui.plan import edits
from abm_tui.plan.parse import loads_plan

BASE = 'version = 1\n[data]\naccounts = "accounts.csv"\n'


def _refusal(text: str) -> str:
    with pytest.raises(AbmError) as caught:
        loads_plan(BASE + text)
    return str(caught.value)


@pytest.mark.parametrize(("text", "path", "said"), [
    ('[[fit.criteria]]\nname = "x"\npoints = 9223372036854775808\n', "fit.criteria[0].points", "9.22e+18"),
    ('[[fit.criteria]]\nname = "x"\npoints = 1' + "0" * 30 + "\n", "fit.criteria[0].points", "1e+30"),
    ('[[tiers]]\nname = "T"\nwhere = { employees = { min = 1' + "0" * 40 + " } }\n",
     "tiers[0].where.employees.min", "1e+40"),
    ('[[tiers]]\nname = "T"\nwhere = { employees = { in = [1, 1' + "0" * 40 + "] } }\n",
     "tiers[0].where.employees.in", "1e+40"),
    ('[[tiers]]\nname = "T"\nwhere = { fit_score = { max = nan } }\n', "tiers[0].where.fit_score.max", "nan"),
    ("[engagement.weights]\ndemo_request = inf\n", "engagement.weights.demo_request", "inf"),
    ("[engagement.weights]\ndemo_request = nan\n", "engagement.weights.demo_request", "nan"),
    ("[engagement.weights]\ndemo_request = 1e308\n", "engagement.weights.demo_request", "1e+308"),
    ("[engagement.half_life_days]\nad_click = nan\n", "engagement.half_life_days.ad_click", "nan"),
    ("[engagement.half_life_days]\nad_click = 1e9\n", "engagement.half_life_days.ad_click", "1,000,000,000"),
    ("[engagement]\nrecent_days = 100000000\nwindow_days = 100000000\n", "engagement.recent_days", "between 1 and"),
    ('[[tiers]]\nname = "T"\nlimit = 100000000000000000\n', "tiers[0].limit", "1e+17"),
])
def test_numbers_out_of_range_are_refused_with_the_key_path(text: str, path: str, said: str) -> None:
    message = _refusal(text)
    assert f"{path}: expected" in message
    assert said in message


@pytest.mark.parametrize(("text", "path"), [
    ('[[tiers]]\nname = "Not target"\n', "tiers[0].name"),
    ('[[tiers]]\nname = "T"\n[[tiers]]\nname = "not target"\n', "tiers[1].name"),
    ('[[stages]]\nname = "Unstaged"\n', "stages[0].name"),
    ('[[buckets]]\nname = "Unclassified"\n', "buckets[0].name"),
])
def test_reserved_names_are_refused(text: str, path: str) -> None:
    assert f"{path}: " in _refusal(text)
    assert "no rule takes" in _refusal(text)


def test_a_rule_cannot_be_renamed_to_a_reserved_name() -> None:
    plan = loads_plan(BASE + '[[tiers]]\nname = "Tier 1"\n')
    with pytest.raises(AbmError, match="Not target"):
        edits.rename(plan, "tiers", 0, "Not target")


def _nested(key: str, depth: int) -> str:
    opening, closing = ("{ any = [", "] }") if key == "any" else ("{ not = ", " }")
    return opening * depth + "{ employees = { min = 1 } }" + closing * depth


@pytest.mark.parametrize(("key", "depth"), [("any", 200), ("not", 2000)])
def test_deep_nesting_is_refused_with_its_place(key: str, depth: int) -> None:
    message = _refusal(f'[[tiers]]\nname = "T"\nwhere = {_nested(key, depth)}\n')
    assert "nested more than" in message
    assert "line 6" in message


@pytest.mark.parametrize("key", ["any", "not"])
def test_rules_nested_past_twenty_levels_name_the_key(key: str) -> None:
    message = _refusal(f'[[tiers]]\nname = "T"\nwhere = {_nested(key, 25)}\n')
    assert "tiers[0].where." + key in message
    assert "more than 20 levels" in message


def test_twenty_levels_still_load() -> None:
    plan = loads_plan(BASE + f'[[tiers]]\nname = "T"\nwhere = {_nested("not", 20)}\n')
    assert plan.tiers[0].name == "T"


@pytest.mark.cli
def test_validate_refuses_an_out_of_range_plan_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "accounts.csv").write_text("account_id,name,employees\n1,A,10\n")
    plan = tmp_path / "plan.toml"
    plan.write_text(BASE + '[[fit.criteria]]\nname = "Big"\npoints = 1' + "0" * 30 + "\n")
    assert cli.main(["validate", str(plan)]) == 1
    err = capsys.readouterr().err
    assert "fit.criteria[0].points" in err
    assert "internal error" not in err


@pytest.mark.cli
def test_init_on_huge_numbers_writes_a_plan_that_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`init` derives thresholds from the data: a revenue of 1e40 stays a float the engine can compare."""
    accounts = tmp_path / "a.csv"
    accounts.write_text("account_id,name,domain,industry,employees,annual_revenue,country\n"
                        "1,A,a.com,Soft,100,1e40,US\n2,B,b.com,Soft,100,2e40,US\n3,C,c.com,Fin,200,3e40,DE\n")
    assert cli.main(["init", str(accounts)]) == 0
    assert cli.main(["run", str(tmp_path / "plan.toml"), "--out", str(tmp_path / "out")]) == 0
    assert "2e+40" in (tmp_path / "plan.toml").read_text()
    assert "internal error" not in capsys.readouterr().err
