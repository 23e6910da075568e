"""Plan diff in words (issue 6, part 5): every kind of change a planner makes, said the way `abm-tui diff` says it."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from abm_tui.plan import edits
from abm_tui.plan.changes import Change, describe_changes, plan_changes
from abm_tui.plan.dump import dumps_plan, save_plan
from abm_tui.plan.model import AllOf, Compare, Criterion, Plan, Play, Rule, Tier
from abm_tui.plan.parse import load_plan, loads_plan

REPO = Path(__file__).resolve().parent.parent
BUNDLED_PLAN = REPO / "data" / "plan.toml"

BASE = """\
version = 1
name = "FY27 Q1"
as_of = 2026-11-20

[data]
accounts = "accounts.csv"
engagement = "engagement.parquet"

[engagement]
recent_days = 30
window_days = 90

[engagement.weights]
ad_click = 3
demo_request = 25

[engagement.half_life_days]
demo_request = 7

[[fit.criteria]]
name = "Core industry"
points = 30
where = { industry = { in = ["Fintech", "HR Tech"] } }

[[fit.criteria]]
name = "Mid-market"
points = 20
where = { employees = { min = 200, max = 5000 } }

[[tiers]]
name = "Tier 1"
motion = "1:1"
where = { fit_score = { min = 80 }, engagement_recent = { min = 20 } }
limit = 50

[[tiers]]
name = "Tier 2"
motion = "1:few"
where = { fit_score = { min = 80 } }

[[tiers]]
name = "Tier 3"
where = { fit_score = { min = 70 } }

[[stages]]
name = "Considering"
where = { any = [{ pricing_page_visit_window = { min = 1 } }, { demo_request_window = { min = 1 } }] }

[[stages]]
name = "Aware"
where = { ad_impression_window = { min = 20 } }

[[buckets]]
name = "Spiking"
where = { engagement_recent = { min = 20 } }

[[buckets]]
name = "Quiet"
where = { engagement_window = { lt = 5 } }

[[plays]]
name = "Tier 1 + Aware"
tier = "Tier 1"
stage = "Aware"
campaign = "Case study ads"
cta = "Book a demo"
sales_action = "BDR sequence"

[[plays]]
tier = "Tier 2"
campaign = "Thought leadership"
cta = "Read the guide"
sales_action = "None"
"""


def base() -> Plan:
    return loads_plan(BASE)


def edited(old: str, new: str) -> Plan:
    """The base plan with one piece of its TOML rewritten, as a planner edits the file."""
    assert old in BASE, old
    return loads_plan(BASE.replace(old, new))


def texts(before: Plan, after: Plan) -> list[str]:
    return [change.text for change in plan_changes(before, after)]


# --- no change ------------------------------------------------------------------------------


def test_identical_plans_and_a_plan_saved_and_loaded_again_have_no_changes(tmp_path: Path) -> None:
    for plan in (base(), load_plan(BUNDLED_PLAN), Plan()):
        assert plan_changes(plan, plan) == ()
        again = load_plan(save_plan(plan, tmp_path / "again" / "plan.toml"))
        assert again.base_dir != plan.base_dir or again.source != plan.source
        assert plan_changes(plan, again) == ()
        assert plan_changes(again, plan) == ()


def test_a_change_that_means_the_same_is_not_reported() -> None:
    """Writing the tests of a where table in another order, or a play's one name as a list, changes nothing."""
    after = edited("where = { fit_score = { min = 80 }, engagement_recent = { min = 20 } }",
                   "where = { engagement_recent = { min = 20 }, fit_score = { min = 80 } }")
    after = loads_plan(dumps_with(after, 'tier = "Tier 2"', 'tier = ["Tier 2"]'))
    assert plan_changes(base(), after) == ()


def dumps_with(plan: Plan, old: str, new: str) -> str:
    """The plan as saved, with one piece rewritten: for edits on top of an edit."""
    text = dumps_plan(plan)
    assert old in text, old
    return text.replace(old, new)


# --- settings -------------------------------------------------------------------------------


def test_name_as_of_and_data_settings() -> None:
    before = base()
    after = replace(
        before,
        name="FY27 Q2",
        as_of=None,
        data=replace(before.data, accounts="crm.xlsx", sheet="Accounts", engagement=None, preset="hubspot",
                     columns=(("account_id", "Record ID"),)),
    )
    assert plan_changes(before, after) == (
        Change("name", None, 'Name: "FY27 Q1" -> "FY27 Q2"'),
        Change("as_of", None, "As of: 2026-11-20 -> not set"),
        Change("data", None, "Accounts file: accounts.csv -> crm.xlsx"),
        Change("data", None, "Accounts sheet: the first -> Accounts"),
        Change("data", None, "Engagement file: engagement.parquet -> none"),
        Change("data", None, "Preset: auto -> hubspot"),
        Change("data", None, 'Column account_id: none -> "Record ID"'),
    )
    mapped = replace(after, as_of=dt.date(2026, 11, 27),
                     data=replace(after.data, columns=(("domain", "Website"), ("account_id", "Company ID"))))
    assert texts(after, mapped) == [
        "As of: not set -> 2026-11-27",
        'Column domain: none -> "Website"',
        'Column account_id: "Record ID" -> "Company ID"',
    ]
    assert texts(mapped, after) == [
        "As of: 2026-11-27 -> not set",
        'Column account_id: "Company ID" -> "Record ID"',
        'Column domain: "Website" -> none',
    ]


def test_engagement_windows_weights_and_half_lives() -> None:
    after = edited(
        "recent_days = 30\nwindow_days = 90\n\n[engagement.weights]\nad_click = 3\ndemo_request = 25\n\n"
        "[engagement.half_life_days]\ndemo_request = 7\n",
        "recent_days = 14\nwindow_days = 60\n\n[engagement.weights]\nad_click = 3.5\nwebinar = 8\nemail_open = 1\n"
        "ad_impression = 0.1\n\n[engagement.half_life_days]\ndemo_request = 10.5\nad_click = 14\n",
    )
    assert plan_changes(base(), after) == tuple(
        Change("engagement", None, text)
        for text in (
            "Recent period: last 30 days -> last 14 days",
            "Window: last 90 days -> last 60 days",
            "Weight for ad_click: 3 -> 3.5",
            "Weight for webinar: 1 by default -> 8",
            "Weight for email_open: 1 by default -> 1",
            "Weight for ad_impression: 1 by default -> 0.1",
            "Weight for demo_request: 25 -> 1 by default",
            "Half-life for demo_request: 7 days -> 10.5 days",
            "Half-life for ad_click: none -> 14 days",
        )
    )
    assert texts(after, base())[-2:] == ["Half-life for demo_request: 10.5 days -> 7 days",
                                         "Half-life for ad_click: 14 days -> none"]


def test_export_and_history_settings() -> None:
    after = loads_plan(
        BASE + '\n[export]\nto = ["hubspot", "linkedin"]\n[export.hubspot]\nkey = "domain"\n'
        '[export.linkedin]\nper = "tier"\nmin_size = 1000\n'
        '[export.sql]\ndialect = "postgres"\naccounts_table = "abm_accounts"\nevents_table = "abm_events"\n'
        '\n[history]\nfolder = "snapshots"\n'
    )
    assert plan_changes(base(), after) == (
        Change("export", None, "Export to: none -> hubspot, linkedin"),
        Change("export", None, "HubSpot key: auto -> domain"),
        Change("export", None, "LinkedIn lists per: segment -> tier"),
        Change("export", None, "LinkedIn minimum list size: 300 -> 1,000"),
        Change("export", None, "SQL dialect: duckdb -> postgres"),
        Change("export", None, "SQL accounts table: accounts -> abm_accounts"),
        Change("export", None, "SQL events table: events -> abm_events"),
        Change("history", None, "History folder: history -> snapshots"),
    )


# --- rules ----------------------------------------------------------------------------------


def test_criterion_points_on_off_added_and_removed() -> None:
    before = base()
    after = edits.set_points(edits.toggle(before, "criteria", 1), 0, 40)
    assert plan_changes(before, after) == (
        Change("fit", "Core industry", "Core industry: points 30 -> 40"),
        Change("fit", "Mid-market", "Mid-market: switched off"),
    )
    assert texts(after, before) == ["Core industry: points 40 -> 30", "Mid-market: switched on"]
    regions = Criterion("Core regions", 1, AllOf((Compare("region", "in", ("North America", "EMEA")),)))
    grown = replace(before, criteria=(regions, *before.criteria))
    assert plan_changes(before, grown) == (
        Change("fit", "Core regions", "Core regions: added at position 1 (1 point): region in [North America, EMEA]"),
    )
    assert plan_changes(grown, before) == (Change("fit", "Core regions", "Core regions: removed"),)


def test_tier_limit_motion_and_added_tier_with_its_settings() -> None:
    before = base()
    assert texts(before, edits.set_limit(before, 0, 80)) == ["Tier 1: limit 50 -> 80"]
    assert texts(before, edits.set_limit(before, 1, 300)) == ["Tier 2: limit none -> 300"]
    assert texts(before, edits.set_limit(before, 0, None)) == ["Tier 1: limit 50 -> none"]
    ranked = edits.set_rank_by(before, 0, ("annual_revenue", "employees"))
    assert texts(before, ranked) == ["Tier 1: rank_by the default -> annual_revenue, employees"]
    assert texts(ranked, before) == ["Tier 1: rank_by annual_revenue, employees -> the default"]
    assert texts(before, edited('motion = "1:few"', 'motion = "1:many"')) == ["Tier 2: motion 1:few -> 1:many"]
    assert texts(before, edited('motion = "1:few"\n', "")) == ["Tier 2: motion 1:few -> none"]
    watch = Tier("Watch list", AllOf((Compare("fit_score", "min", 60),)), "1:many", 1000, enabled=False)
    after = replace(before, tiers=(*before.tiers[:2], watch, before.tiers[2]))
    assert plan_changes(before, after) == (
        Change("tiers", "Watch list",
               "Watch list: added at position 3 (1:many, limit 1,000, switched off): fit_score ≥ 60"),
    )
    everyone = replace(before, stages=(*before.stages, Rule("Identified")))
    assert texts(before, everyone) == ["Identified: added at position 3: every account"]


def test_where_tests_changed_added_and_removed_one_by_one() -> None:
    before = base()
    lowered = edits.set_test(before, "tiers", 0, "fit_score", "min", 70)
    assert plan_changes(before, lowered) == (Change("tiers", "Tier 1", "Tier 1: fit_score ≥ 80 -> ≥ 70"),)
    added = edits.set_test(before, "tiers", 1, "engagement_recent", "min", 20)
    assert texts(before, added) == ["Tier 2: test added: engagement_recent ≥ 20"]
    removed = edits.remove_test(before, "tiers", 0, "engagement_recent", "min")
    assert texts(before, removed) == ["Tier 1: test removed: engagement_recent ≥ 20"]
    industry = edited('["Fintech", "HR Tech"]', '["Fintech"]')
    assert texts(before, industry) == ["Core industry: industry in [Fintech, HR Tech] -> in [Fintech]"]
    several = edited("employees = { min = 200, max = 5000 }", "employees = { min = 500 }, region = { eq = \"EMEA\" }")
    assert texts(before, several) == [
        "Mid-market: employees ≥ 200 -> ≥ 500",
        "Mid-market: test removed: employees ≤ 5,000",
        "Mid-market: test added: region = EMEA",
    ]
    swapped_op = edited("engagement_window = { lt = 5 }", "engagement_window = { max = 4.5 }")
    assert texts(before, swapped_op) == ["Quiet: engagement_window < 5 -> ≤ 4.5"]
    emptied = edited('name = "Tier 3"\nwhere = { fit_score = { min = 70 } }\n', 'name = "Tier 3"\n')
    assert texts(before, emptied) == ["Tier 3: test removed: fit_score ≥ 70"]


def test_a_where_that_is_not_a_plain_table_is_said_whole() -> None:
    after = edited("{ demo_request_window = { min = 1 } }", "{ demo_request_window = { min = 2 } }")
    assert texts(base(), after) == [
        "Considering: where: any of (pricing_page_visit_window ≥ 1; demo_request_window ≥ 1)"
        " -> any of (pricing_page_visit_window ≥ 1; demo_request_window ≥ 2)"
    ]
    to_sql = edited("where = { engagement_recent = { min = 20 } }", 'where = { sql = "engagement_recent >= 25" }')
    assert texts(base(), to_sql) == ["Spiking: where: engagement_recent ≥ 20 -> engagement_recent >= 25"]


def test_rename_is_same_place_same_content_otherwise_removed_and_added() -> None:
    before = base()
    renamed = edits.rename(before, "tiers", 0, "Strategic")
    assert plan_changes(before, renamed)[0] == Change("tiers", "Strategic", "Tier 1: renamed to Strategic")
    # plays naming the tier follow it; that is their own change, said under plays
    assert texts(before, renamed)[1:] == ["Tier 1 + Aware: tier Tier 1 -> Strategic"]
    redone = replace(before, stages=(before.stages[0], Rule("Aware now", AllOf((Compare("ad_impression_window",
                                                                                      "min", 30),)))))
    assert plan_changes(before, redone) == (
        Change("stages", "Aware", "Aware: removed"),
        Change("stages", "Aware now", "Aware now: added at position 2: ad_impression_window ≥ 30"),
    )


def test_order_changes_name_the_rule_that_moved() -> None:
    before = base()
    swapped = edits.move(before, "tiers", 1, -1)
    assert plan_changes(before, swapped) == (Change("tiers", "Tier 2", "Tier 2 now comes before Tier 1"),)
    assert plan_changes(before, edits.move(before, "tiers", 0, 1)) == plan_changes(before, swapped)
    to_the_end = replace(before, tiers=(*before.tiers[1:], before.tiers[0]))
    assert texts(before, to_the_end) == ["Tier 1 now comes after Tier 3"]
    to_the_top = replace(before, tiers=(before.tiers[2], *before.tiers[:2]))
    assert texts(before, to_the_top) == ["Tier 3 now comes before Tier 1"]
    reversed_ = replace(before, tiers=before.tiers[::-1])
    assert texts(before, reversed_) == ["Tier 3 now comes before Tier 2", "Tier 2 now comes before Tier 1"]
    moved_and_edited = edits.set_limit(swapped, 1, 60)
    assert texts(before, moved_and_edited) == ["Tier 2 now comes before Tier 1", "Tier 1: limit 50 -> 60"]


def test_removed_and_added_rules_do_not_count_as_moves() -> None:
    before = base()
    after = replace(before, tiers=(Tier("Tier 0"), *before.tiers[1:], before.tiers[0]))
    assert texts(before, edits.delete(before, "tiers", 0)) == ["Tier 1: removed"]
    assert plan_changes(before, after) == (
        Change("tiers", "Tier 0", "Tier 0: added at position 1: every account"),
        Change("tiers", "Tier 1", "Tier 1 now comes after Tier 3"),
    )


# --- plays ----------------------------------------------------------------------------------


def test_plays_matched_by_name_or_by_what_they_cover() -> None:
    before = base()
    after = edited('campaign = "Case study ads"\ncta = "Book a demo"\nsales_action = "BDR sequence"',
                   'campaign = "ROI ads"\ncta = "Book a demo"\nsales_action = "AE-led"')
    after = loads_plan(dumps_with(after, 'campaign = "Thought leadership"\ncta = "Read the guide"',
                                  'campaign = "Thought leadership"\ncta = "Watch the webinar"'))
    assert plan_changes(before, after) == (
        Change("plays", "Tier 1 + Aware", 'Tier 1 + Aware: campaign "Case study ads" -> "ROI ads"'),
        Change("plays", "Tier 1 + Aware", 'Tier 1 + Aware: sales action "BDR sequence" -> "AE-led"'),
        Change("plays", "Tier 2", 'Tier 2: CTA "Read the guide" -> "Watch the webinar"'),
    )
    widened = edited('stage = "Aware"\n', 'stage = ["Aware", "Considering"]\nbucket = "Spiking"\n')
    assert texts(before, widened) == [
        "Tier 1 + Aware: stage Aware -> Aware or Considering",
        "Tier 1 + Aware: bucket any -> Spiking",
    ]
    named = edited('[[plays]]\ntier = "Tier 2"', '[[plays]]\nname = "Tier 2 nurture"\ntier = "Tier 2"')
    assert texts(before, named) == ["Tier 2: renamed to Tier 2 nurture"]


def test_plays_added_removed_and_moved() -> None:
    before = base()
    spiking = Play(bucket=("Spiking",), campaign="Inbound triage", cta="Book a demo", sales_action="SDR calls")
    after = replace(before, plays=(before.plays[1], spiking))
    assert plan_changes(before, after) == (
        Change("plays", "Tier 1 + Aware", "Tier 1 + Aware: removed"),
        Change("plays", "Spiking", "Spiking: added at position 2: bucket Spiking"),
    )
    everyone = replace(before, plays=(*before.plays, Play(name="Catch-all", campaign="Newsletter")))
    assert texts(before, everyone) == ["Catch-all: added at position 3: every account"]
    recovered = edited('[[plays]]\ntier = "Tier 2"', '[[plays]]\ntier = "Tier 3"')
    assert texts(before, recovered) == ["Tier 2: removed", "Tier 3: added at position 2: tier Tier 3"]
    swapped = replace(before, plays=before.plays[::-1])
    assert texts(before, swapped) == ["Tier 2 now comes before Tier 1 + Aware"]


# --- order and the CLI text -----------------------------------------------------------------


def many_changes() -> Plan:
    before = base()
    after = edits.set_test(before, "tiers", 0, "fit_score", "min", 70)
    after = edits.move(edits.toggle(after, "stages", 1), "stages", 1, -1)
    after = edits.delete(edits.set_points(after, 1, 25), "criteria", 0)
    return replace(
        after,
        name="FY27 Q2",
        history=replace(after.history, folder="weekly"),
        engagement=replace(after.engagement, half_life_days=()),
        export=replace(after.export, to=("salesforce",)),
        plays=(replace(after.plays[0], cta="Talk to us"), after.plays[1]),
    )


def test_changes_come_in_plan_order() -> None:
    changes = plan_changes(base(), many_changes())
    assert [(c.section, c.rule) for c in changes] == [
        ("name", None),
        ("engagement", None),
        ("fit", "Core industry"),
        ("fit", "Mid-market"),
        ("tiers", "Tier 1"),
        ("stages", "Aware"),
        ("stages", "Aware"),
        ("plays", "Tier 1 + Aware"),
        ("export", None),
        ("history", None),
    ]


def test_describe_changes_groups_lines_under_headings() -> None:
    assert describe_changes(plan_changes(base(), many_changes())) == (
        "Name\n"
        '  Name: "FY27 Q1" -> "FY27 Q2"\n'
        "\n"
        "Engagement\n"
        "  Half-life for demo_request: 7 days -> none\n"
        "\n"
        "Fit criteria\n"
        "  Core industry: removed\n"
        "  Mid-market: points 20 -> 25\n"
        "\n"
        "Tiers\n"
        "  Tier 1: fit_score ≥ 80 -> ≥ 70\n"
        "\n"
        "Stages\n"
        "  Aware now comes before Considering\n"
        "  Aware: switched off\n"
        "\n"
        "Plays\n"
        '  Tier 1 + Aware: CTA "Book a demo" -> "Talk to us"\n'
        "\n"
        "Export\n"
        "  Export to: none -> salesforce\n"
        "\n"
        "History\n"
        "  History folder: history -> weekly"
    )
    assert describe_changes(()) == "No changes: the two plans say the same thing."


def test_the_bundled_plan_against_a_planners_week_of_edits() -> None:
    before = load_plan(BUNDLED_PLAN)
    after = edits.set_limit(edits.set_test(before, "tiers", 1, "fit_score", "min", 75), 0, 80)
    after = edits.rename(edits.move(after, "stages", 3, -1), "buckets", 3, "Quiet")
    assert texts(before, after) == [
        "Tier 1: limit 50 -> 80",
        "Tier 2: fit_score ≥ 80 -> ≥ 75",
        "Considering now comes before Selecting",
        "No engagement: renamed to Quiet",
    ]


# --- properties -----------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(order=st.permutations(range(7)))
def test_any_reordering_is_said_as_moves_and_the_rest_kept_their_order(order: list[int]) -> None:
    stages = tuple(Rule(f"S{i}", AllOf((Compare("x", "min", i),))) for i in range(7))
    before = Plan(stages=stages)
    after = Plan(stages=tuple(stages[i] for i in order))
    changes = plan_changes(before, after)
    assert (changes == ()) == (list(order) == sorted(order))
    assert all(c.section == "stages" and f"{c.rule} now comes " in c.text for c in changes)
    moved = {c.rule for c in changes}
    assert len(moved) == len(changes)
    kept = [f"S{i}" for i in order if f"S{i}" not in moved]
    assert kept == sorted(kept)
    assert plan_changes(after, after) == ()
