"""check_plan: a plan against the columns its data really has, every problem at its key path."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from abm_tui.errors import PlanError, Problem
from abm_tui.plan.model import AllOf, Compare, Plan, Tier
from abm_tui.plan.parse import load_plan, loads_plan
from abm_tui.plan.validate import check_plan

REPO = Path(__file__).resolve().parent.parent
BUNDLED_PLAN = REPO / "data" / "plan.toml"

FRAME = pl.DataFrame(
    {
        "account_id": ["a1", "a2"],
        "industry": ["Fintech", None],
        "employees": [10, 200],
        "annual_revenue": [1.5e6, None],
        "tech_stack": [["Salesforce"], []],
        "crm_stage": ["none", "open_opportunity"],
        "founded": [dt.date(2020, 1, 1), None],
        "is_customer": [True, False],
        "engagement_recent": [1.0, 0.0],
        "engagement_window": [3.0, 0.0],
    },
    schema={
        "account_id": pl.String,
        "industry": pl.String,
        "employees": pl.Int64,
        "annual_revenue": pl.Float64,
        "tech_stack": pl.List(pl.String),
        "crm_stage": pl.String,
        "founded": pl.Date,
        "is_customer": pl.Boolean,
        "engagement_recent": pl.Float64,
        "engagement_window": pl.Float64,
    },
)
SCHEMA = dict(FRAME.schema)
ENGAGEMENT = {
    "engagement_recent",
    "engagement_window",
    "engagement_total",
    "demo_request_window",
    "days_since_engaged",
}
NO_ENGAGEMENT_SCHEMA = {k: v for k, v in SCHEMA.items() if k not in ENGAGEMENT}

HEAD = 'version = 1\nname = "t"\n[data]\naccounts = "a.csv"\n'


def plan_of(body: str) -> Plan:
    return loads_plan(HEAD + body)


def check(body: str, schema: dict | None = None, engagement: set[str] | None = None) -> list[Problem]:
    """The plan's problems as `validate` lists them: those found reading it (a `sql` rule outside the
    allow-list or not parsing), else those found against the data's columns."""
    try:
        plan = plan_of(body)
    except PlanError as err:
        return err.problems
    return check_plan(plan, SCHEMA if schema is None else schema, ENGAGEMENT if engagement is None else engagement)


def tier(where: str) -> str:
    return f'[[tiers]]\nname = "T"\nwhere = {where}\n'


def stage(where: str) -> str:
    return f'[[stages]]\nname = "S"\nwhere = {where}\n'


def bucket(where: str) -> str:
    return f'[[buckets]]\nname = "B"\nwhere = {where}\n'


def criterion(where: str) -> str:
    return f'[[fit.criteria]]\nname = "C"\npoints = 10\nwhere = {where}\n'


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, problems
    return problems[0]


VALID = (
    criterion('{ industry = { in = ["Fintech", "HR Tech"] }, employees = { min = 200, max = 5000 } }')
    + criterion(
        '{ any = [{ tech_stack = { contains = "Salesforce" } }, { annual_revenue = { gt = 1e7 } }] }'
    ).replace('"C"', '"C2"')
    + criterion('{ not = { industry = { contains = "bank" } }, founded = { lt = 2021-01-01 } }').replace(
        '"C"', '"C3"'
    )
    + bucket(
        "{ engagement_recent = { min = 20 }, "
        'sql = "engagement_recent >= 3 * (engagement_window - engagement_recent) / 2" }'
    )
    + bucket("{ fit_score = { min = 50 } }").replace('"B"', '"B2"')
    + stage('{ crm_stage = { eq = "open_opportunity" } }')
    + stage('{ bucket = { in = ["B"] }, is_customer = { eq = false } }').replace('"S"', '"S2"')
    + stage("{ fit_score = { gt = 10 }, sql = \"fit_score > 1 AND crm_stage <> 'x'\" }").replace(
        '"S"', '"S3"'
    )
    + tier('{ fit_score = { min = 80 }, stage = { ne = "S" }, bucket = { eq = "B" } }')
    + tier(
        '{ account_id = { not_in = ["a1"] }, industry = { is_null = false }, employees = { in = [10, 200] } }'
    ).replace('"T"', '"T2"')
    + tier("{ sql = \"stage = 'S' OR bucket IS NULL\" }").replace('"T"', '"T3"')
)


def test_a_valid_plan_has_no_problems() -> None:
    assert check(VALID) == []


def test_an_empty_plan_has_no_problems() -> None:
    assert check("") == []
    assert check_plan(Plan(), {}, set()) == []


def test_unknown_column_with_hint() -> None:
    problem = only(check(criterion('{ industy = { in = ["Fintech"] } }')))
    assert problem.path == "fit.criteria[0].where.industy.in"
    assert "industy" in problem.message
    assert "did you mean 'industry'" in problem.message


def test_unknown_column_without_a_close_name() -> None:
    problem = only(check(tier("{ zzzqqq = { eq = 1 } }")))
    assert problem.path == "tiers[0].where.zzzqqq.eq"
    assert "zzzqqq" in problem.message and "did you mean" not in problem.message


def test_paths_inside_any_and_not() -> None:
    problems = check(
        tier(
            '{ any = [{ employees = { min = 1 } }, { industy = { eq = "x" } }], '
            'not = { crm_stag = { eq = "y" } } }'
        )
    )
    assert {p.path for p in problems} == {
        "tiers[0].where.any[1].industy.eq",
        "tiers[0].where.not.crm_stag.eq",
    }
    assert all("did you mean" in p.message for p in problems)


@pytest.mark.parametrize("op", ["min", "max", "gt", "lt"])
def test_order_test_on_a_text_column(op: str) -> None:
    problem = only(check(tier(f"{{ industry = {{ {op} = 5 }} }}")))
    assert problem.path == f"tiers[0].where.industry.{op}"
    assert "text" in problem.message


def test_text_value_for_a_numeric_column() -> None:
    problem = only(check(tier('{ employees = { eq = "many" } }')))
    assert problem.path == "tiers[0].where.employees.eq"
    assert 'expected a number, got "many"' in problem.message


def test_text_value_in_a_list_for_a_numeric_column() -> None:
    problem = only(check(stage('{ employees = { in = [10, "x"] } }')))
    assert problem.path == "stages[0].where.employees.in"
    assert "expected a number" in problem.message


def test_the_designs_example_message() -> None:
    """`tiers[0].where.fit_score.min: expected a number, got "high"`, for a plan built in code."""
    plan = Plan(tiers=(Tier("T", AllOf((Compare("fit_score", "min", "high"),))),))
    problem = only(check_plan(plan, SCHEMA, ENGAGEMENT))
    assert str(problem).startswith('tiers[0].where.fit_score.min: expected a number, got "high"')


def test_number_for_a_text_column() -> None:
    problem = only(check(tier("{ industry = { eq = 5 } }")))
    assert problem.path == "tiers[0].where.industry.eq"
    assert "expected text" in problem.message


def test_wrong_values_for_dates_and_booleans() -> None:
    problems = check(tier('{ founded = { min = 2020 }, is_customer = { eq = "yes" } }'))
    assert {p.path for p in problems} == {"tiers[0].where.founded.min", "tiers[0].where.is_customer.eq"}
    by_path = {p.path: p.message for p in problems}
    assert "date" in by_path["tiers[0].where.founded.min"]
    assert "true or false" in by_path["tiers[0].where.is_customer.eq"]


def test_order_test_on_a_boolean_column() -> None:
    problem = only(check(tier("{ is_customer = { min = 1 } }")))
    assert problem.path == "tiers[0].where.is_customer.min"


def test_contains_on_a_number_column() -> None:
    problem = only(check(tier('{ employees = { contains = "5" } }')))
    assert problem.path == "tiers[0].where.employees.contains"
    assert "contains" in problem.message and "numbers" in problem.message


def test_list_columns_need_contains() -> None:
    problem = only(check(tier('{ tech_stack = { eq = "Salesforce" } }')))
    assert problem.path == "tiers[0].where.tech_stack.eq"
    assert "contains" in problem.message
    assert check(tier('{ tech_stack = { contains = "Salesforce", is_null = false } }')) == []


def test_is_null_works_on_any_column() -> None:
    assert (
        check(
            tier(
                "{ employees = { is_null = true }, tech_stack = { is_null = true }, "
                "founded = { is_null = false } }"
            )
        )
        == []
    )


def test_stage_cannot_use_tier() -> None:
    problem = only(check(stage('{ tier = { eq = "Tier 1" } }')))
    assert problem.path == "stages[0].where.tier.eq"
    assert "tier" in problem.message


def test_fit_criterion_cannot_use_fit_score() -> None:
    problem = only(check(criterion("{ fit_score = { min = 10 } }")))
    assert problem.path == "fit.criteria[0].where.fit_score.min"
    assert "fit_score" in problem.message


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (criterion('{ bucket = { eq = "B" } }'), "fit.criteria[0].where.bucket.eq"),
        (
            criterion('{ fit_criteria_met = { contains = "C" } }'),
            "fit.criteria[0].where.fit_criteria_met.contains",
        ),
        (bucket('{ stage = { eq = "S" } }'), "buckets[0].where.stage.eq"),
        (bucket('{ tier = { eq = "T" } }'), "buckets[0].where.tier.eq"),
        (bucket('{ bucket = { eq = "B" } }'), "buckets[0].where.bucket.eq"),
        (stage('{ stage = { eq = "S" } }'), "stages[0].where.stage.eq"),
        (tier('{ tier = { eq = "T" } }'), "tiers[0].where.tier.eq"),
    ],
)
def test_derived_columns_a_section_cannot_see(body: str, path: str) -> None:
    assert only(check(body)).path == path


def test_derived_columns_a_section_can_see() -> None:
    assert check(bucket('{ fit_score = { min = 10 }, fit_criteria_met = { contains = "C" } }')) == []
    assert check(stage('{ fit_score = { min = 10 }, bucket = { eq = "B" } }')) == []
    assert check(tier('{ stage = { eq = "S" } }')) == []
    assert (
        check(
            tier(
                '{ fit_score = { min = 1 }, bucket = { in = ["B"] }, stage = { ne = "S" }, '
                'fit_criteria_met = { contains = "C" } }'
            )
        )
        == []
    )


def test_derived_column_types_are_checked() -> None:
    problem = only(check(tier('{ fit_score = { eq = "high" } }')))
    assert problem.path == "tiers[0].where.fit_score.eq"
    assert only(check(tier("{ stage = { min = 3 } }"))).path == "tiers[0].where.stage.min"


def test_engagement_feature_without_engagement_data() -> None:
    problems = check(
        tier("{ engagement_recent = { min = 20 } }") + stage("{ demo_request_window = { min = 1 } }"),
        schema=NO_ENGAGEMENT_SCHEMA,
    )
    assert {p.path for p in problems} == {
        "tiers[0].where.engagement_recent.min",
        "stages[0].where.demo_request_window.min",
    }
    for p in problems:
        column = p.path.split(".")[-2]
        assert "engagement" in p.message.replace(column, ""), p
        assert "unknown column" not in p.message


def test_engagement_feature_in_sql_without_engagement_data() -> None:
    problem = only(check(bucket('{ sql = "engagement_recent > 2" }'), schema=NO_ENGAGEMENT_SCHEMA))
    assert problem.path == "buckets[0].where.sql"
    assert "engagement" in problem.message.replace("engagement_recent", "")


@pytest.mark.parametrize(
    "text", ["engagement_recent >>> 2", "employees >", "industry = 'x", "nosuchfn(employees) > 1"]
)
def test_sql_that_does_not_parse(text: str) -> None:
    problem = only(check(tier(f'{{ sql = "{text}" }}')))
    assert problem.path == "tiers[0].where.sql"
    assert any(word in problem.message for word in ("parse", "evaluat", "not allowed"))


def test_sql_parse_message() -> None:
    problem = only(check(bucket('{ sql = "engagement_recent >>> 2" }')))
    assert problem.path == "buckets[0].where.sql"
    assert "does not parse" in problem.message


def test_sql_naming_an_unknown_column() -> None:
    problem = only(check(stage("{ sql = \"employes > 10 AND industry = 'x'\" }")))
    assert problem.path == "stages[0].where.sql"
    assert "employes" in problem.message
    assert "did you mean 'employees'" in problem.message


def test_sql_naming_a_derived_column_its_section_cannot_see() -> None:
    problem = only(check(stage("{ sql = \"tier = 'Tier 1'\" }")))
    assert problem.path == "stages[0].where.sql"
    assert "tier" in problem.message
    assert check(tier("{ sql = \"stage = 'S'\" }")) == []


@pytest.mark.parametrize("text", ["employees + 1", "industry", "annual_revenue * 2"])
def test_sql_that_is_not_a_true_false_test(text: str) -> None:
    problem = only(check(tier(f'{{ sql = "{text}" }}')))
    assert problem.path == "tiers[0].where.sql"
    assert "true/false" in problem.message


def test_sql_that_is_a_test_is_fine() -> None:
    assert check(tier("{ sql = \"employees > 10 AND industry = 'Fintech' OR founded IS NULL\" }")) == []


def test_problems_in_every_section_are_all_listed_in_evaluation_order() -> None:
    body = (
        criterion("{ industy = { eq = 1 } }")
        + bucket('{ stage = { eq = "S" } }')
        + stage('{ sql = "a >>> 1" }')
        + tier('{ employees = { contains = "1" } }')
    )
    problems = check(body)
    assert [p.path for p in problems] == [
        "fit.criteria[0].where.industy.eq",
        "buckets[0].where.stage.eq",
        "stages[0].where.sql",
        "tiers[0].where.employees.contains",
    ]


def test_bundled_plan_is_valid_against_its_demo_data() -> None:
    if not (REPO / "data" / "accounts.csv").exists():
        pytest.skip("the bundled demo data is not there yet")
    from abm_tui import Session

    session = Session.open(BUNDLED_PLAN)
    schema = dict(session.engine.frame(session.plan).schema)
    assert check_plan(load_plan(BUNDLED_PLAN), schema, set()) == []
    without = {k: v for k, v in schema.items() if not k.startswith(("engagement_", "ad_"))}
    problems = check_plan(load_plan(BUNDLED_PLAN), without, set(schema))
    assert problems and all("engagement" in p.message for p in problems)
    assert "tiers[0].where.engagement_recent.min" in {p.path for p in problems}


def test_rank_by_names_numbers_or_dates_a_tier_can_see() -> None:
    ranked = ('[[tiers]]\nname = "T"\nlimit = 5\n'
              'rank_by = ["fit_score", "annual_revenue", "founded", "engagement_recent"]\n')
    assert check(ranked) == []
    problem = only(check(ranked.replace('"founded"', '"industry"')))
    assert problem.path == "tiers[0].rank_by[2]"
    assert problem.message == "industry holds text; a limit ranks by numbers or dates, highest first"
    typo = only(check(ranked.replace('"annual_revenue"', '"anual_revenue"')))
    assert typo.path == "tiers[0].rank_by[1]" and "annual_revenue" in typo.message
    later = only(check(ranked.replace('"founded"', '"tier"')))
    assert "tiers cannot use tier" in later.message
    none = only(check(ranked, schema=NO_ENGAGEMENT_SCHEMA))
    assert none.path == "tiers[0].rank_by[3]" and "comes from engagement data" in none.message
