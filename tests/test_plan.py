"""The plan file, format version 1: parsing, every error at its key path, the round trip, and edits.

DESIGN.md's section "The plan (TOML), format version 1" is the contract these tests hold the code to.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from abm_tui.errors import AbmError, PlanError
from abm_tui.plan import edits
from abm_tui.plan.dump import dumps_plan, plan_to_dict, save_plan, where_to_dict
from abm_tui.plan.model import (
    MATCH_ALL,
    AllOf,
    AnyOf,
    Compare,
    Criterion,
    DataSource,
    EngagementSettings,
    Not,
    Plan,
    Play,
    Rule,
    Sql,
    Tier,
)
from abm_tui.plan.ops import OPS
from abm_tui.plan.parse import load_plan, loads_plan, parse_where, plan_from_dict

REPO = Path(__file__).resolve().parent.parent
BUNDLED_PLAN = REPO / "data" / "plan.toml"

# Copied verbatim from DESIGN.md, "The plan (TOML), format version 1".
DESIGN_EXAMPLE = """\
version = 1
name = "FY27 Q1"
as_of = 2026-11-22            # optional; recency windows end here; default: the newest event date, else today

[data]
accounts = "accounts.csv"     # relative to the plan file
engagement = "engagement.parquet"   # optional
preset = "auto"               # auto | canonical | hubspot | salesforce | linkedin
[data.columns]                # optional: canonical name = header in the file
account_id = "Record ID"

[engagement]
recent_days = 30              # an event is recent when as_of - recent_days < date <= as_of
window_days = 90
[engagement.weights]          # weighted engagement score per channel
ad_impression = 0.1
ad_click = 3
pricing_page_visit = 10
demo_request = 25

[[fit.criteria]]              # fit_score = sum of the points of the criteria met
name = "Core industry"
points = 30
where = { industry = { in = ["Fintech", "HR Tech"] } }

[[tiers]]                     # first match wins
name = "Tier 1"
motion = "1:1"
where = { fit_score = { min = 80 }, engagement_recent = { min = 20 } }
limit = 50                    # optional: the best 50 by fit_score stay (ties: higher engagement_recent, then account_id); the rest fall through to the next rule

[[stages]]                    # first match wins, most advanced first; a rule without `where` matches all
name = "Selecting"
where = { crm_stage = { in = ["open_opportunity"] } }

[[buckets]]                   # engagement buckets, first match wins
name = "Spiking"
where = { sql = "engagement_recent >= 3 * (engagement_window - engagement_recent) / 2" }

[[plays]]                     # first match wins; an omitted tier/stage/bucket matches any
tier = "Tier 1"
stage = "Interested"
campaign = "1:1 consideration: case study and ROI ads"
cta = "Book a demo"
sales_action = "BDR personalized sequence"
"""  # noqa: E501

# The excerpt's play names a stage "Interested" that the excerpt leaves out; with that stage added
# (after "Selecting", most advanced first) the example is a complete plan.
_SELECTING = 'where = { crm_stage = { in = ["open_opportunity"] } }\n'
DESIGN_PLAN = DESIGN_EXAMPLE.replace(
    _SELECTING, _SELECTING + '\n[[stages]]\nname = "Interested"\nwhere = { ad_click_window = { min = 2 } }\n'
)
assert DESIGN_PLAN != DESIGN_EXAMPLE

HEAD = 'version = 1\nname = "t"\n[data]\naccounts = "accounts.csv"\n'


def plan_of(body: str) -> Plan:
    """A plan from a body appended after a minimal valid head."""
    return loads_plan(HEAD + body, source="test.toml")


def problems_of(text: str, source: str = "test.toml") -> dict[str, str]:
    with pytest.raises(PlanError) as info:
        loads_plan(text, source=source)
    err = info.value
    assert isinstance(err, AbmError)
    assert err.problems, "a PlanError lists its problems"
    found: dict[str, str] = {}
    for p in err.problems:
        found.setdefault(p.path, p.message)
        assert str(p) in str(err), "each problem appears in the error's message"
    return found


# --- parsing --------------------------------------------------------------------------------


def test_design_example_loads_with_every_field() -> None:
    plan = loads_plan(DESIGN_PLAN, source="design.toml", base_dir=Path("/plans/fy27"))
    assert plan.version == 1
    assert plan.name == "FY27 Q1"
    assert plan.as_of == dt.date(2026, 11, 22)
    assert plan.data == DataSource(
        "accounts.csv", "engagement.parquet", "auto", (("account_id", "Record ID"),)
    )
    assert plan.engagement.recent_days == 30 and plan.engagement.window_days == 90
    assert dict(plan.engagement.weights) == {
        "ad_impression": 0.1,
        "ad_click": 3,
        "pricing_page_visit": 10,
        "demo_request": 25,
    }
    assert plan.engagement.weight("ad_click") == 3
    assert plan.engagement.weight("webinar") == 1.0  # weight 1 where unnamed
    assert plan.criteria == (
        Criterion("Core industry", 30, AllOf((Compare("industry", "in", ("Fintech", "HR Tech")),))),
    )
    (tier,) = plan.tiers
    assert tier.name == "Tier 1" and tier.motion == "1:1" and tier.limit == 50 and tier.enabled
    assert tier.where == AllOf((Compare("fit_score", "min", 80), Compare("engagement_recent", "min", 20)))
    assert [s.name for s in plan.stages] == ["Selecting", "Interested"]
    assert plan.stages[0].where == AllOf((Compare("crm_stage", "in", ("open_opportunity",)),))
    assert plan.buckets == (
        Rule(
            "Spiking", AllOf((Sql("engagement_recent >= 3 * (engagement_window - engagement_recent) / 2"),))
        ),
    )
    assert plan.plays == (
        Play(
            tier=("Tier 1",),
            stage=("Interested",),
            bucket=None,
            campaign="1:1 consideration: case study and ROI ads",
            cta="Book a demo",
            sales_action="BDR personalized sequence",
        ),
    )
    assert plan.resolve(plan.data.accounts) == Path("/plans/fy27/accounts.csv")
    assert plan.resolve("/abs/x.csv") == Path("/abs/x.csv")


def test_design_example_verbatim_fails_only_on_the_stage_its_excerpt_leaves_out() -> None:
    found = problems_of(DESIGN_EXAMPLE)
    assert list(found) == ["plays[0].stage"]
    assert '"Interested"' in found["plays[0].stage"]


def test_bundled_default_plan_loads() -> None:
    plan = load_plan(BUNDLED_PLAN)
    assert plan.version == 1
    assert plan.as_of == dt.date(2026, 11, 20)
    assert plan.base_dir == BUNDLED_PLAN.resolve().parent
    assert plan.data.accounts == "accounts.csv" and plan.data.engagement == "engagement.parquet"
    assert [t.name for t in plan.tiers] == ["Tier 1", "Tier 2", "Tier 3"]
    assert plan.tiers[0].limit == 50 and plan.tiers[2].limit is None
    assert len(plan.criteria) == 8 and sum(c.points for c in plan.criteria) == 120
    assert plan.stages[-1] == Rule("Identified", MATCH_ALL)
    assert plan.engagement.weight("email_open") == 0.5
    assert plan.plays[1].stage == ("Aware", "Interested")
    assert plan.plays[-1].tier == ("Not target",)


OP_CASES = [
    ("min", "80", 80),
    ("min", "2026-01-01", dt.date(2026, 1, 1)),
    ("max", "1.5", 1.5),
    ("gt", "-3", -3),
    ("lt", "1e3", 1000.0),
    ("eq", '"Fintech"', "Fintech"),
    ("eq", "true", True),
    ("eq", "2026-11-22", dt.date(2026, 11, 22)),
    ("ne", "7", 7),
    ("in", '["a", "b"]', ("a", "b")),
    ("in", "[1, 2, 3]", (1, 2, 3)),
    ("not_in", '["x"]', ("x",)),
    ("contains", '"Sales"', "Sales"),
    ("is_null", "true", True),
    ("is_null", "false", False),
]


@pytest.mark.parametrize(("op", "text", "value"), OP_CASES)
def test_every_op_parses(op: str, text: str, value: object) -> None:
    plan = plan_of(f'[[tiers]]\nname = "T"\nwhere = {{ col = {{ {op} = {text} }} }}\n')
    assert plan.tiers[0].where == AllOf((Compare("col", op, value),))
    (item,) = plan.tiers[0].where.items
    assert type(item.value) is type(value)


def test_ops_under_test_are_the_designs() -> None:
    assert set(OPS) == {"min", "max", "gt", "lt", "eq", "ne", "in", "not_in", "contains", "is_null"}
    assert {op for op, _, _ in OP_CASES} == set(OPS)


def test_several_ops_on_one_column_and_several_columns_are_all_kept() -> None:
    plan = plan_of(
        '[[tiers]]\nname = "T"\nwhere = { employees = { min = 200, max = 5000 }, region = { ne = "APAC" } }\n'
    )
    assert plan.tiers[0].where.items == (
        Compare("employees", "min", 200),
        Compare("employees", "max", 5000),
        Compare("region", "ne", "APAC"),
    )


def test_any_not_and_sql_nest() -> None:
    where = {
        "any": [
            {"a": {"min": 1}},
            {"not": {"b": {"eq": "x"}}, "sql": "c > 1"},
            {"any": [{"d": {"is_null": True}}, {"e": {"contains": "q"}}]},
        ],
        "not": {"any": [{"f": {"in": [1, 2]}}], "sql": "g = 'h'"},
        "k": {"lt": 3},
    }
    got = parse_where(where, "tiers[0].where")
    assert got == AllOf(
        (
            AnyOf(
                (
                    AllOf((Compare("a", "min", 1),)),
                    AllOf((Not(AllOf((Compare("b", "eq", "x"),))), Sql("c > 1"))),
                    AllOf(
                        (
                            AnyOf(
                                (
                                    AllOf((Compare("d", "is_null", True),)),
                                    AllOf((Compare("e", "contains", "q"),)),
                                )
                            ),
                        )
                    ),
                )
            ),
            Not(AllOf((AnyOf((AllOf((Compare("f", "in", (1, 2)),)),)), Sql("g = 'h'")))),
            Compare("k", "lt", 3),
        )
    )
    assert where_to_dict(got) == where


def test_any_and_not_accept_bare_conditions_built_in_code() -> None:
    """AnyOf and Not wrap a bare condition in a table, so trees built in code equal parsed ones."""
    assert AnyOf((Compare("a", "eq", 1),)) == AnyOf((AllOf((Compare("a", "eq", 1),)),))
    assert Not(Sql("x > 1")) == Not(AllOf((Sql("x > 1"),)))
    assert AllOf((AllOf((Compare("a", "eq", 1),)), Compare("b", "eq", 2))) == AllOf(
        (Compare("a", "eq", 1), Compare("b", "eq", 2))
    )


def test_plays_take_a_name_or_a_list_of_names() -> None:
    plan = plan_of(
        '[[tiers]]\nname = "T1"\n[[tiers]]\nname = "T2"\n'
        '[[stages]]\nname = "S1"\n[[stages]]\nname = "S2"\n'
        '[[buckets]]\nname = "B1"\n'
        '[[plays]]\ntier = "T1"\nstage = ["S1", "S2"]\nbucket = "B1"\ncampaign = "c"\n'
        '[[plays]]\nname = "Everyone else"\ntier = ["T2", "Not target"]\n'
        'stage = "Unstaged"\nbucket = "Unclassified"\n'
        '[[plays]]\ncta = "x"\n'
    )
    p0, p1, p2 = plan.plays
    assert (p0.tier, p0.stage, p0.bucket, p0.campaign, p0.name) == (("T1",), ("S1", "S2"), ("B1",), "c", None)
    assert (p1.tier, p1.stage, p1.bucket, p1.name) == (
        ("T2", "Not target"),
        ("Unstaged",),
        ("Unclassified",),
        "Everyone else",
    )
    assert (p2.tier, p2.stage, p2.bucket) == (None, None, None)
    assert (p2.campaign, p2.cta, p2.sales_action) == ("", "x", "")


def test_enabled_false_is_read_everywhere() -> None:
    plan = plan_of(
        '[[fit.criteria]]\nname = "C"\npoints = 5\nwhere = { a = { eq = 1 } }\nenabled = false\n'
        '[[tiers]]\nname = "T"\nenabled = false\n'
        '[[stages]]\nname = "S"\nenabled = false\n'
        '[[buckets]]\nname = "B"\nenabled = false\n'
        '[[buckets]]\nname = "B2"\n'
    )
    assert not plan.criteria[0].enabled
    assert not plan.tiers[0].enabled
    assert not plan.stages[0].enabled
    assert not plan.buckets[0].enabled
    assert plan.buckets[1].enabled


def test_as_of_is_a_toml_date_and_optional() -> None:
    plan = loads_plan('version = 1\nas_of = 2026-11-22\n[data]\naccounts = "a.csv"\n')
    assert plan.as_of == dt.date(2026, 11, 22) and type(plan.as_of) is dt.date
    assert plan_of("").as_of is None


def test_defaults() -> None:
    plan = plan_of("")
    assert plan.engagement == EngagementSettings(30, 90, ())
    assert plan.data.engagement is None and plan.data.preset == "auto" and plan.data.columns == ()
    assert plan.criteria == plan.tiers == plan.stages == plan.buckets == plan.plays == ()
    assert loads_plan('version = 1\n[data]\naccounts = "a.csv"\n').name  # some name, never empty
    only_recent = plan_of("[engagement]\nrecent_days = 7\n")
    assert (only_recent.engagement.recent_days, only_recent.engagement.window_days) == (7, 90)
    tier = plan_of('[[tiers]]\nname = "T"\n').tiers[0]
    assert tier == Tier("T", MATCH_ALL, None, None, True)


def test_plan_from_dict_reads_parsed_toml() -> None:
    doc = tomllib.loads(DESIGN_PLAN)
    assert plan_from_dict(doc) == loads_plan(DESIGN_PLAN)


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2", "0", '"1"', "true", "1.0"])
def test_unknown_version_is_refused(version: str) -> None:
    text = HEAD.replace("version = 1", f"version = {version}")
    with pytest.raises(AbmError) as info:
        loads_plan(text, source="v.toml")
    message = str(info.value)
    assert "version" in message and "v.toml" in message
    assert isinstance(info.value, PlanError)
    assert [p.path for p in info.value.problems] == ["version"]


def test_version_2_message_names_the_version() -> None:
    found = problems_of(HEAD.replace("version = 1", "version = 2"))
    assert "2" in found["version"] and "1" in found["version"]


def test_missing_version() -> None:
    found = problems_of('name = "x"\n[data]\naccounts = "a.csv"\n')
    assert list(found) == ["version"]
    assert "missing" in found["version"]


def test_bad_toml_names_the_source() -> None:
    with pytest.raises(AbmError) as info:
        loads_plan('version = 1\nname = "unterminated\n', source="broken-plan.toml")
    assert "broken-plan.toml" in str(info.value)
    assert "TOML" in str(info.value)


def test_load_plan_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("version = = 1\n", encoding="utf-8")
    with pytest.raises(AbmError, match="bad.toml"):
        load_plan(path)
    with pytest.raises(AbmError, match="missing.toml"):
        load_plan(tmp_path / "missing.toml")
    with pytest.raises(AbmError):
        load_plan(tmp_path)


def test_unknown_top_level_key_with_hint() -> None:
    found = problems_of('version = 1\nteirs = []\n[data]\naccounts = "a.csv"\n')
    assert list(found) == ["teirs"]
    assert "unknown key" in found["teirs"]
    assert "did you mean 'tiers'" in found["teirs"]


def test_unknown_keys_in_rules_get_hints() -> None:
    found = problems_of(HEAD + '[[tiers]]\nname = "T"\nlimt = 5\n[[stages]]\nname = "S"\nwehre = {}\n')
    assert "did you mean 'limit'" in found["tiers[0].limt"]
    assert "did you mean 'where'" in found["stages[0].wehre"]


def test_unknown_op_with_hint() -> None:
    found = problems_of(HEAD + '[[tiers]]\nname = "T"\nwhere = { fit_score = { mn = 80 } }\n')
    assert list(found) == ["tiers[0].where.fit_score.mn"]
    assert "did you mean 'min'" in found["tiers[0].where.fit_score.mn"]


def test_text_where_a_number_is_expected() -> None:
    found = problems_of(HEAD + '[[tiers]]\nname = "T"\nwhere = { fit_score = { min = "high" } }\n')
    message = found["tiers[0].where.fit_score.min"]
    assert "expected a number" in message
    assert 'got "high"' in message


@pytest.mark.parametrize("value", ['"Fintech"', "[]", "5", "{ a = 1 }", "[[1], [2]]"])
def test_in_needs_a_non_empty_list_of_values(value: str) -> None:
    found = problems_of(
        HEAD + f'[[fit.criteria]]\nname = "C"\npoints = 1\nwhere = {{ industry = {{ in = {value} }} }}\n'
    )
    assert "fit.criteria[0].where.industry.in" in found
    assert "list" in found["fit.criteria[0].where.industry.in"]


@pytest.mark.parametrize(
    ("where", "path"),
    [
        ("{ x = { is_null = 1 } }", "tiers[0].where.x.is_null"),
        ('{ x = { contains = "" } }', "tiers[0].where.x.contains"),
        ("{ x = { eq = [1] } }", "tiers[0].where.x.eq"),
        ("{ x = { gt = true } }", "tiers[0].where.x.gt"),
        ("{ x = 5 }", "tiers[0].where.x"),
        ("{ x = {} }", "tiers[0].where.x"),
        ("{ any = [] }", "tiers[0].where.any"),
        ("{ any = { a = { eq = 1 } } }", "tiers[0].where.any"),
        ("{ any = [{ a = { eq = 1 } }, { b = { mn = 1 } }] }", "tiers[0].where.any[1].b.mn"),
        ("{ not = { a = { in = 3 } } }", "tiers[0].where.not.a.in"),
        ('{ sql = "" }', "tiers[0].where.sql"),
        ("{ sql = 3 }", "tiers[0].where.sql"),
    ],
)
def test_malformed_tests_are_reported_at_their_path(where: str, path: str) -> None:
    found = problems_of(HEAD + f'[[tiers]]\nname = "T"\nwhere = {where}\n')
    assert list(found) == [path]


def test_duplicate_rule_names() -> None:
    found = problems_of(
        HEAD + '[[tiers]]\nname = "Tier 1"\n[[tiers]]\nname = "Tier 2"\n[[tiers]]\nname = "Tier 1"\n'
    )
    assert list(found) == ["tiers[2].name"]
    assert '"Tier 1"' in found["tiers[2].name"] and "unique" in found["tiers[2].name"]


def test_play_naming_an_unknown_stage_gets_a_hint() -> None:
    found = problems_of(
        HEAD + '[[stages]]\nname = "Interested"\n[[plays]]\nstage = "Intrested"\ncampaign = "c"\n'
    )
    assert list(found) == ["plays[0].stage"]
    assert '"Intrested"' in found["plays[0].stage"]
    assert "did you mean 'Interested'" in found["plays[0].stage"]


def test_play_naming_an_unknown_tier_in_a_list() -> None:
    found = problems_of(HEAD + '[[tiers]]\nname = "Tier 1"\n[[plays]]\ntier = ["Tier 1", "Tier 9"]\n')
    assert list(found) == ["plays[0].tier"]
    assert '"Tier 9"' in found["plays[0].tier"]


def test_recent_days_must_not_exceed_window_days() -> None:
    found = problems_of(HEAD + "[engagement]\nrecent_days = 120\nwindow_days = 90\n")
    assert list(found) == ["engagement.recent_days"]
    assert "90" in found["engagement.recent_days"] and "120" in found["engagement.recent_days"]
    assert plan_of("[engagement]\nrecent_days = 90\nwindow_days = 90\n").engagement.recent_days == 90


def test_several_problems_are_reported_together() -> None:
    text = (
        "version = 1\nteirs = 3\n"
        '[data]\naccounts = "a.csv"\npreset = "sap"\n'
        '[engagement]\nrecent_days = 100\nwindow_days = 90\n[engagement.weights]\nad_click = "three"\n'
        '[[fit.criteria]]\nname = "C"\npoints = "ten"\nwhere = { industry = { in = "Fintech" } }\n'
        '[[tiers]]\nname = "T"\nwhere = { fit_score = { min = "high" } }\nlimit = 0\n'
        '[[tiers]]\nname = "T"\nwhere = { fit_score = { mn = 1 } }\n'
        '[[stages]]\nname = "S"\nwhere = { sql = "" }\nenabled = "yes"\n'
        '[[plays]]\nstage = "Sx"\n'
    )
    with pytest.raises(PlanError) as info:
        loads_plan(text, source="many.toml")
    paths = {p.path for p in info.value.problems}
    expected = {
        "teirs",
        "data.preset",
        "engagement.recent_days",
        "engagement.weights.ad_click",
        "fit.criteria[0].points",
        "fit.criteria[0].where.industry.in",
        "tiers[0].where.fit_score.min",
        "tiers[0].limit",
        "tiers[1].where.fit_score.mn",
        "tiers[1].name",
        "stages[0].where.sql",
        "stages[0].enabled",
        "plays[0].stage",
    }
    assert expected <= paths, expected - paths
    message = str(info.value)
    assert message.startswith("many.toml")
    for path in expected:
        assert path in message


# --- round trip -----------------------------------------------------------------------------


def _where_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("where")]


@pytest.mark.parametrize("which", ["bundled", "design"])
def test_round_trip_is_equal(which: str) -> None:
    plan = load_plan(BUNDLED_PLAN) if which == "bundled" else loads_plan(DESIGN_PLAN)
    text = dumps_plan(plan)
    again = loads_plan(text)
    assert again == plan
    assert dumps_plan(again) == text
    assert tomllib.loads(text) == plan_to_dict(plan)


def test_dumps_keeps_where_inline() -> None:
    plan = load_plan(BUNDLED_PLAN)
    text = dumps_plan(plan)
    rules_with_where = [
        r for r in (*plan.criteria, *plan.tiers, *plan.stages, *plan.buckets) if r.where.items
    ]
    lines = _where_lines(text)
    assert len(lines) == len(rules_with_where)
    for line, rule in zip(lines, rules_with_where, strict=True):
        assert line.startswith("where = {") and line.endswith("}")
        assert tomllib.loads(line)["where"] == where_to_dict(rule.where)
    assert ".where" not in text  # no [tiers.where...] sections
    assert "[[tiers]]" in text and "[[fit.criteria]]" in text and "[engagement.weights]" in text


def test_round_trip_of_awkward_values() -> None:
    plan = Plan(
        name='Q1 "north" \\ plan\nsecond line',
        as_of=dt.date(2027, 1, 31),
        data=DataSource(
            "data/my accounts.csv",
            "events.parquet",
            "hubspot",
            (("account_id", "Record ID"), ("annual_revenue", "Annual Revenue ($)")),
        ),
        engagement=EngagementSettings(14, 60, (("ad click", 2.5), ("demo_request", 25.0), ("x.y", 0.0))),
        criteria=(
            Criterion("Big", 10, AllOf((Compare("Annual Revenue ($)", "min", 1.5e7),))),
            Criterion("Everyone", -5, MATCH_ALL, enabled=False),
        ),
        tiers=(
            Tier(
                "Tier 1",
                AllOf(
                    (
                        Compare("founded", "lt", dt.date(2020, 1, 1)),
                        Compare("name", "eq", 'O\'Brien "Co"'),
                        Compare("is_customer", "eq", False),
                        Compare("score", "gt", -0.25),
                    )
                ),
                motion="1:1",
                limit=7,
            ),
            Tier(
                "Tier 2",
                AllOf((Not(AllOf((AnyOf((AllOf(()), AllOf((Sql("a >= 'x'"),)))),))),)),
                enabled=False,
            ),
        ),
        stages=(Rule("Ünïcode ✓", AllOf((Compare("tags", "contains", "ü"),))), Rule("Rest")),
        buckets=(Rule("B", AllOf((Compare("k", "in", (1, "two", 3.5, True, dt.date(2020, 2, 29))),))),),
        plays=(
            Play(
                tier=("Tier 1", "Not target"),
                stage=("Rest",),
                campaign="",
                cta="a = b",
                sales_action="#1",
                name="p",
            ),
        ),
    )
    again = loads_plan(dumps_plan(plan))
    assert again == plan
    assert again.criteria[0].where.items[0].value == 1.5e7


def test_where_to_dict_refuses_what_a_table_cannot_hold() -> None:
    twice = AllOf((Compare("a", "min", 1), Compare("a", "min", 2)))
    with pytest.raises(ValueError, match="twice"):
        where_to_dict(twice)


def test_save_plan_is_atomic_and_loads_back(tmp_path: Path) -> None:
    folder = tmp_path / "plans"
    plan = load_plan(BUNDLED_PLAN)
    target = folder / "plan.toml"
    written = save_plan(plan, target)
    assert Path(written) == target
    assert sorted(os.listdir(folder)) == ["plan.toml"]
    again = load_plan(target)
    assert again == plan
    assert again.base_dir == folder.resolve()
    # overwrite with a changed plan: still one file, no temporary left behind
    changed = dataclasses.replace(plan, name="Changed")
    save_plan(changed, target)
    assert sorted(os.listdir(folder)) == ["plan.toml"]
    assert load_plan(target) == changed
    assert target.read_text(encoding="utf-8") == dumps_plan(changed)


def test_save_plan_leaves_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "plan.toml"
    plan = loads_plan(DESIGN_PLAN)
    save_plan(plan, target)
    before = target.read_bytes()
    bad = dataclasses.replace(
        plan, criteria=(Criterion("x", 1, AllOf((Compare("a", "min", 1), Compare("a", "min", 2)))),)
    )
    with pytest.raises(ValueError):
        save_plan(bad, target)
    assert target.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["plan.toml"]


# --- edits ----------------------------------------------------------------------------------


def test_set_test_changes_one_value_and_keeps_the_original() -> None:
    plan = load_plan(BUNDLED_PLAN)
    changed = edits.set_test(plan, "tiers", 0, "fit_score", "min", 70)
    assert changed is not plan and changed != plan
    assert edits.get_test(changed, "tiers", 0, "fit_score", "min") == 70
    assert edits.get_test(plan, "tiers", 0, "fit_score", "min") == 80
    assert plan.tiers[0].where == AllOf(
        (Compare("fit_score", "min", 80), Compare("engagement_recent", "min", 20))
    )
    assert changed.tiers[0].where == AllOf(
        (Compare("fit_score", "min", 70), Compare("engagement_recent", "min", 20))
    )
    assert changed.tiers[1:] == plan.tiers[1:]
    assert (changed.criteria, changed.stages, changed.buckets, changed.plays) == (
        plan.criteria,
        plan.stages,
        plan.buckets,
        plan.plays,
    )
    assert dataclasses.replace(changed.tiers[0], where=plan.tiers[0].where) == plan.tiers[0]
    assert loads_plan(dumps_plan(changed)) == changed


def test_set_test_adds_a_new_test() -> None:
    plan = load_plan(BUNDLED_PLAN)
    assert edits.get_test(plan, "tiers", 2, "employees", "max") is None
    changed = edits.set_test(plan, "tiers", 2, "employees", "max", 1000)
    assert changed.tiers[2].where.items == (
        Compare("fit_score", "min", 70),
        Compare("employees", "max", 1000),
    )
    assert edits.get_test(changed, "tiers", 2, "employees", "max") == 1000
    # a second op on an existing column sits beside its first, as the TOML table would hold it
    both = edits.set_test(changed, "tiers", 2, "fit_score", "max", 95)
    assert both.tiers[2].where.items == (
        Compare("fit_score", "min", 70),
        Compare("fit_score", "max", 95),
        Compare("employees", "max", 1000),
    )
    assert loads_plan(dumps_plan(both)) == both
    stage = edits.set_test(plan, "stages", 6, "crm_stage", "in", ("none",))  # a rule without `where`
    assert stage.stages[6].where == AllOf((Compare("crm_stage", "in", ("none",)),))
    fit = edits.set_test(plan, "fit", 2, "employees", "min", 100)
    assert edits.get_test(fit, "criteria", 2, "employees", "min") == 100
    bucket = edits.set_test(plan, "buckets", 1, "engagement_window", "min", 40)
    assert edits.get_test(bucket, "buckets", 1, "engagement_window", "min") == 40


@pytest.mark.parametrize(
    ("section", "index"), [("teirs", 0), ("plays", 0), ("tiers", 3), ("tiers", -1), ("stages", 99)]
)
def test_set_test_refuses_a_bad_section_or_index(section: str, index: int) -> None:
    plan = load_plan(BUNDLED_PLAN)
    with pytest.raises(AbmError):
        edits.set_test(plan, section, index, "fit_score", "min", 1)


def test_set_test_refuses_an_unknown_op() -> None:
    """An edit must not make a plan that saves but no longer loads (`mn` is not a test)."""
    plan = load_plan(BUNDLED_PLAN)
    with pytest.raises(AbmError):
        edits.set_test(plan, "tiers", 0, "fit_score", "mn", 70)


# --- properties -----------------------------------------------------------------------------

_SPECIAL = {"any", "not", "sql"}
column_names = st.one_of(
    st.sampled_from(
        ["industry", "fit_score", "engagement_recent", "Annual Revenue ($)", "a.b", "ü", "x-y", "1"]
    ),
    st.text(min_size=1, max_size=6),
).filter(lambda s: s not in _SPECIAL)
numbers = st.one_of(st.integers(-(2**63 - 1), 2**63 - 1), st.floats(allow_nan=False))
scalars = st.one_of(numbers, st.text(max_size=8), st.booleans(), st.dates())
OP_VALUES = {
    "min": st.one_of(numbers, st.dates()),
    "max": st.one_of(numbers, st.dates()),
    "gt": st.one_of(numbers, st.dates()),
    "lt": st.one_of(numbers, st.dates()),
    "eq": scalars,
    "ne": scalars,
    "in": st.lists(scalars, min_size=1, max_size=4),
    "not_in": st.lists(scalars, min_size=1, max_size=4),
    "contains": st.text(min_size=1, max_size=8),
    "is_null": st.booleans(),
}
op_tables = st.fixed_dictionaries({}, optional=OP_VALUES).filter(bool)
sql_texts = st.sampled_from(
    [
        "a > 1",
        "engagement_recent >= 3 * (engagement_window - engagement_recent) / 2",
        "name = 'O''Brien'",
        'x LIKE "%a%"',
    ]
) | st.text(min_size=1, max_size=10).filter(str.strip)


@st.composite
def _extended(draw: st.DrawFn, children: st.SearchStrategy[dict]) -> dict:
    entries = list(draw(st.dictionaries(column_names, op_tables, max_size=2)).items())
    if draw(st.booleans()):
        entries.append(("any", draw(st.lists(children, min_size=1, max_size=3))))
    if draw(st.booleans()):
        entries.append(("not", draw(children)))
    if draw(st.booleans()):
        entries.append(("sql", draw(sql_texts)))
    return dict(draw(st.permutations(entries)))


where_dicts = st.recursive(st.dictionaries(column_names, op_tables, max_size=3), _extended, max_leaves=6)


def _same(a: object, b: object) -> bool:
    """Equality that also tells 1 from 1.0 from True, which == does not."""
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return type(a) is type(b) and a == b


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(where=where_dicts)
def test_where_survives_parse_to_dict_parse(where: dict) -> None:
    parsed = parse_where(where, "where")
    back = where_to_dict(parsed)
    assert _same(back, where), (back, where)
    assert parse_where(back, "where") == parsed


_rule_names = st.lists(st.text(min_size=1, max_size=8).filter(str.strip), min_size=0, max_size=3, unique=True)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    wheres=st.lists(where_dicts, min_size=4, max_size=4),
    tier_names=_rule_names,
    stage_names=_rule_names,
    name=st.text(min_size=1, max_size=12).filter(str.strip),
    as_of=st.none() | st.dates(),
    texts=st.lists(st.text(max_size=10), min_size=3, max_size=3),
    limit=st.none() | st.integers(1, 10**6),
    enabled=st.booleans(),
)
def test_plans_built_from_random_wheres_round_trip(
    wheres: list[dict],
    tier_names: list[str],
    stage_names: list[str],
    name: str,
    as_of: dt.date | None,
    texts: list[str],
    limit: int | None,
    enabled: bool,
) -> None:
    conditions = [parse_where(w, "where") for w in wheres]
    plan = Plan(
        name=name,
        as_of=as_of,
        data=DataSource("accounts.csv"),
        criteria=(Criterion("c", 3, conditions[0], enabled),),
        tiers=tuple(
            Tier(n, conditions[1], limit=limit, motion=texts[0] if texts[0].strip() else None)
            for n in tier_names
        ),
        stages=tuple(Rule(n, conditions[2], enabled) for n in stage_names),
        buckets=(Rule("b", conditions[3]),),
        plays=(
            Play(
                tier=tuple(tier_names) or None,
                stage=tuple(stage_names[:1]) or None,
                bucket=("b",),
                campaign=texts[0],
                cta=texts[1],
                sales_action=texts[2],
            ),
        ),
    )
    text = dumps_plan(plan)
    again = loads_plan(text)
    assert again == plan
    written = [conditions[0]] + [conditions[1]] * len(tier_names) + [conditions[2]] * len(stage_names)
    written = written[:1] + [
        c for c in written[1:] + [conditions[3]] if c.items
    ]  # a criterion always has one
    assert len(_where_lines(text)) == len(written)


def test_export_table_round_trips_and_defaults_stay_out_of_the_file() -> None:
    base = (REPO / "data" / "plan.toml").read_text()
    assert "[export" not in dumps_plan(loads_plan(base))
    plan = loads_plan(base + '\n[export]\nto = ["hubspot", "linkedin"]\n[export.linkedin]\nper = "tier"\n'
                             'min_size = 500\n[export.sql]\naccounts_table = "crm.accounts"\n')
    assert plan.export.to == ("hubspot", "linkedin")
    assert (plan.export.linkedin_per, plan.export.linkedin_min_size) == ("tier", 500)
    assert plan.export.accounts_table == "crm.accounts" and plan.export.events_table == "events"
    text = dumps_plan(plan)
    assert "events_table" not in text and "[export.hubspot]" not in text
    assert loads_plan(text) == plan


def test_export_table_problems_name_their_keys() -> None:
    base = (REPO / "data" / "plan.toml").read_text()
    with pytest.raises(PlanError) as caught:
        loads_plan(base + '\n[export]\nto = ["hubspt"]\nfolder = "x"\n[export.sql]\ndialect = "oracle"\n'
                          '[export.linkedin]\nmin_size = 0\n')
    text = str(caught.value)
    assert "export.to[0]: expected one of hubspot, salesforce, linkedin, sql" in text and "hubspot" in text
    assert "export.folder: unknown key" in text
    assert ('export.sql.dialect: expected one of duckdb, postgres, snowflake, bigquery, redshift, databricks, '
            'got "oracle"') in text
    assert "export.linkedin.min_size: expected a whole number of at least 1" in text


def test_data_sheet_is_an_optional_key() -> None:
    base = (REPO / "data" / "plan.toml").read_text().replace('preset = "auto"', 'preset = "auto"\nsheet = "Accounts"')
    plan = loads_plan(base)
    assert plan.data.sheet == "Accounts"
    assert loads_plan(dumps_plan(plan)) == plan


def test_half_lives_and_history_folder_are_optional_keys_that_round_trip() -> None:
    base = (REPO / "data" / "plan.toml").read_text()
    plain = loads_plan(base)
    assert plain.engagement.half_life_days == () and plain.history.folder == "history"
    assert "half_life_days" not in dumps_plan(plain) and "[history]" not in dumps_plan(plain)
    plan = loads_plan(base.replace("[engagement.weights]", "[engagement.half_life_days]\ndemo_request = 14\n"
                                   "ad_click = 3.5\n\n[engagement.weights]") + '\n[history]\nfolder = "weekly"\n')
    assert plan.engagement.half_life("demo_request") == 14 and plan.engagement.half_life("webinar") is None
    assert plan.history.folder == "weekly"
    text = dumps_plan(plan)
    assert "[engagement.half_life_days]\ndemo_request = 14\nad_click = 3.5" in text
    assert loads_plan(text) == plan


def test_half_life_and_history_problems_name_their_keys() -> None:
    base = (REPO / "data" / "plan.toml").read_text()
    with pytest.raises(PlanError) as caught:
        loads_plan(base.replace("[engagement.weights]", "[engagement.half_life_days]\ndemo_request = 0\n"
                                'webinar = "week"\n\n[engagement.weights]') + "\n[history]\nfolder = 3\nkeep = 1\n")
    text = str(caught.value)
    assert "engagement.half_life_days.demo_request: expected a number of days above 0, got 0" in text
    assert 'engagement.half_life_days.webinar: expected a number, got "week"' in text
    assert "history.folder: expected a non-empty string, got 3" in text
    assert "history.keep: unknown key" in text


def test_rank_by_is_a_list_of_distinct_column_names_and_round_trips() -> None:
    plan = loads_plan(HEAD + '[[tiers]]\nname = "T"\nlimit = 5\nrank_by = ["annual_revenue", "employees"]\n')
    assert plan.tiers[0].rank_by == ("annual_revenue", "employees")
    assert plan.tiers[0].ranking(has_engagement=True) == ("annual_revenue", "employees")
    assert loads_plan(dumps_plan(plan)) == plan
    default = loads_plan(HEAD + '[[tiers]]\nname = "T"\nlimit = 5\n')
    assert default.tiers[0].rank_by is None and "rank_by" not in dumps_plan(default)
    assert default.tiers[0].ranking(has_engagement=True) == ("fit_score", "engagement_recent")
    assert default.tiers[0].ranking(has_engagement=False) == ("fit_score",)
    for bad, said in (('"employees"', "expected a list of column names"), ("[]", "expected a list of column names"),
                      ('["a", 3]', "expected a list of column names"), ('["a", "a"]', "'a' is named twice"),
                      (str([f"c{i}" for i in range(9)]).replace("'", '"'), "at most 8 columns")):
        found = problems_of(HEAD + f'[[tiers]]\nname = "T"\nrank_by = {bad}\n')
        assert said in found["tiers[0].rank_by"], (bad, found)
