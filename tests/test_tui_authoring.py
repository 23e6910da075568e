"""Writing a plan in the workbench, driven from the keyboard with Pilot on the generated demo: a criterion
from nothing, an any group, a play, the engagement settings, a sql test, and deletes that ask first."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from abm_tui.plan.edits import ANY, Target
from abm_tui.plan.model import AllOf, AnyOf, Compare, Criterion, Not, Sql
from abm_tui.session import Session
from abm_tui.tui.app import AbmApp
from abm_tui.tui.screens.rule_editor import ConditionBuilder, ConfirmDelete, FormDialog
from abm_tui.tui.screens.workbench import WorkbenchScreen
from abm_tui.tui.widgets.matrix_table import MatrixTable
from abm_tui.tui.widgets.rules_tree import RulesTree
from tests.pilot import settled
from tests.test_tui import opened

pytestmark = pytest.mark.tui


async def typed(pilot: Pilot, text: str) -> None:
    await pilot.press(*("space" if c == " " else c for c in text))


def workbench(app: AbmApp) -> WorkbenchScreen:
    screen = app.screen_stack[1]
    assert isinstance(screen, WorkbenchScreen)
    return screen


def session(app: AbmApp) -> Session:
    return workbench(app).sessions.session


async def on(app: AbmApp, pilot: Pilot, target: Target, *keys: str) -> None:
    tree = workbench(app).query_one(RulesTree)
    tree.focus()
    tree.move_to(target)
    await pilot.pause()
    await pilot.press(*keys)
    await settled(pilot)


def preview(app: AbmApp) -> str:
    return str(app.screen.query_one(".abm-preview", Static).render())


async def build_test(pilot: Pilot, column: str, value: str) -> None:
    """In the open test builder: a column found by part of its name, its default test, a typed value."""
    await typed(pilot, column)
    await settled(pilot)
    await pilot.press("enter")  # the column under the filter
    await settled(pilot)
    await pilot.press("enter")  # its default test
    await typed(pilot, value)
    await settled(pilot)


async def test_a_criterion_with_a_contains_test_from_nothing(plan_copy: Path) -> None:
    async with opened(plan_copy) as (app, pilot):
        before = session(app).plan
        await on(app, pilot, Target("criteria"), "a")
        assert isinstance(app.screen, FormDialog)
        await typed(pilot, "Uses Salesforce")
        await pilot.press("tab", "1", "5", "enter")
        await settled(pilot)
        assert isinstance(app.screen, ConditionBuilder)
        await build_test(pilot, "tech", "Salesforce")
        assert "moves" in preview(app)
        await pilot.press("enter")
        await settled(pilot)
        assert isinstance(app.screen, WorkbenchScreen)
        plan = session(app).plan
        wanted = Criterion("Uses Salesforce", 15, AllOf((Compare("tech_stack", "contains", "Salesforce"),)))
        assert plan.criteria == (*before.criteria, wanted)
        assignment = session(app).assignment()
        met = assignment.criteria_met[:, assignment.criteria_names.index("Uses Salesforce")]
        table = session(app).engine.table
        expected = table.select(pl.col("tech_stack").list.contains("Salesforce").sum()).item()
        assert 0 < int(np.count_nonzero(met)) == expected
        await pilot.press("ctrl+z")
        await settled(pilot)
        assert session(app).plan == before, "adding the rule with its test is one undo step"


async def test_tier_1_also_needs_a_pricing_visit_or_a_demo_request(plan_copy: Path) -> None:
    async with opened(plan_copy) as (app, pilot):
        await on(app, pilot, Target("tiers", 0), "t")
        assert isinstance(app.screen, ConditionBuilder)
        await build_test(pilot, "pricing_page_visit_w", "1")
        await pilot.press("enter")
        await settled(pilot)
        visit = Compare("pricing_page_visit_window", "min", 1)
        assert visit in session(app).plan.tiers[0].where.items
        await on(app, pilot, Target("tiers", 0, visit.column, visit.op), "g")
        group = next(n.data for n in workbench(app).query_one(RulesTree)._nodes_in(workbench(app).query_one(
            RulesTree).root) if n.data is not None and n.data.section == "tiers" and n.data.op == ANY)
        await on(app, pilot, group, "t")
        assert "new alternative" in str(app.screen.query_one(".abm-dialog-title").render())
        await build_test(pilot, "demo_request_w", "1")
        await pilot.press("enter")
        await settled(pilot)
        where = session(app).plan.tiers[0].where
        demo = Compare("demo_request_window", "min", 1)
        assert AnyOf((AllOf((visit,)), AllOf((demo,)))) in where.items
        assert session(app).assignment().tier.tolist() == Session.open(plan_copy).assignment(
            session(app).plan).tier.tolist()


async def test_a_play_is_edited_in_place_and_the_cell_says_its_play(plan_copy: Path) -> None:
    async with opened(plan_copy) as (app, pilot):
        line = str(workbench(app).query_one("#cell-plays", Static).render())
        assert "accounts get no play" in line
        matrix = workbench(app).query_one(MatrixTable)
        matrix.focus()
        matrix.cursor_coordinate = (1, 1)  # Tier 2 x the first stage
        await settled(pilot)
        row, col = matrix.cell_labels()
        assert str(workbench(app).query_one("#cell-plays", Static).render()).startswith(f"{row} × {col}: ")
        index = next(i for i, p in enumerate(session(app).plan.plays) if p.name == "Closed Lost + re-engaged")
        await on(app, pilot, Target("plays", index), "enter")
        assert isinstance(app.screen, FormDialog)
        app.screen.query_one("#field-cta", Input).focus()
        await typed(pilot, "Book a win-back call")
        await settled(pilot)
        assert "changes the play of no account" in preview(app)
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert session(app).plan.plays[index].cta == "Book a win-back call"


async def test_deleting_a_test_in_a_group_keeps_the_rule_and_a_whole_rule_is_asked_about(plan_copy: Path) -> None:
    async with opened(plan_copy) as (app, pilot):
        index = next(i for i, c in enumerate(session(app).plan.criteria) if c.name == "Modern GTM stack")
        hubspot = Target("criteria", index, "tech_stack", "contains", path=(0, 1, 0))
        await on(app, pilot, hubspot, "x")
        rule = session(app).plan.criteria[index]
        assert rule.name == "Modern GTM stack"
        assert rule.where == AllOf((AnyOf((AllOf((Compare("tech_stack", "contains", "Salesforce"),)),)),))
        await on(app, pilot, Target("criteria", index), "x")
        assert isinstance(app.screen, ConfirmDelete)
        said = " ".join(str(s.render()) for s in app.screen.query(Static))
        assert "Modern GTM stack" in said and "moves" in said
        await pilot.press("n")
        await settled(pilot)
        assert session(app).plan.criteria[index].name == "Modern GTM stack"
        await on(app, pilot, Target("criteria", index), "x")
        await pilot.press("y")
        await settled(pilot)
        assert "Modern GTM stack" not in [c.name for c in session(app).plan.criteria]


async def test_the_engagement_dialog_sets_windows_and_adds_a_channel(plan_copy: Path) -> None:
    async with opened(plan_copy) as (app, pilot):
        await on(app, pilot, Target("engagement"), "E")
        assert isinstance(app.screen, FormDialog)
        note = str(app.screen.query_one(".abm-form-note", Static).render())
        assert "recomputes every account's engagement features" in note
        app.screen.query_one("#field-recent_days", Input).value = "14"
        app.screen.query_one("#field-new", Input).value = "podcast"
        app.screen.query_one("#field-new_w", Input).value = "3"
        app.screen.query_one("#field-h-webinar", Input).value = "21"
        await settled(pilot)
        await pilot.press("ctrl+s")
        await settled(pilot)
        e = session(app).plan.engagement
        assert (e.recent_days, e.weight("podcast"), e.half_life("webinar")) == (14, 3.0, 21.0)


async def test_a_sql_test_shows_its_parse_error_as_it_is_typed(plan_copy: Path) -> None:
    async with opened(plan_copy) as (app, pilot):
        await on(app, pilot, Target("tiers", 2), "t")
        await typed(pilot, "sql")
        await pilot.press("enter")
        await typed(pilot, "employees >")
        await settled(pilot)
        assert "not a change it can make yet" in preview(app)
        await typed(pilot, " 500")
        await settled(pilot)
        assert "moves" in preview(app)
        await pilot.press("enter")
        await settled(pilot)
        assert Sql("employees > 500") in session(app).plan.tiers[2].where.items


async def test_a_nested_test_is_rebuilt_negated_and_typed_on_its_own(plan_copy: Path) -> None:
    async with opened(plan_copy) as (app, pilot):
        index = next(i for i, c in enumerate(session(app).plan.criteria) if c.name == "Data warehouse")
        bigquery = Target("criteria", index, "tech_stack", "contains", path=(0, 1, 0))
        await on(app, pilot, bigquery, "T")
        assert isinstance(app.screen, ConditionBuilder)
        assert app.screen.query_one("#tb-value", Input).value == "BigQuery"
        app.screen.query_one("#tb-value", Input).value = "Redshift"
        await settled(pilot)
        await pilot.press("ctrl+s")
        await settled(pilot)
        alternatives = session(app).plan.criteria[index].where.items[0]
        assert isinstance(alternatives, AnyOf)
        assert AllOf((Compare("tech_stack", "contains", "Redshift"),)) in alternatives.items
        await on(app, pilot, Target("criteria", index, "tech_stack", "contains", path=(0, 1, 0)), "exclamation_mark")
        negated = session(app).plan.criteria[index].where.items[0]
        assert isinstance(negated, AnyOf)
        assert negated.items[1] == AllOf((Not(AllOf((Compare("tech_stack", "contains", "Redshift"),))),))
        assert len(session(app).plan.criteria[index].where.items) == 1, "the rest of the rule is as it was"


async def test_a_tiers_form_changes_its_motion_and_limit_in_one_step(plan_copy: Path) -> None:
    async with opened(plan_copy) as (app, pilot):
        before = session(app).plan
        await on(app, pilot, Target("tiers", 1), "enter")
        assert isinstance(app.screen, FormDialog)
        app.screen.query_one("#field-motion", Input).value = "1:few, SDR-led"
        app.screen.query_one("#field-limit", Input).value = "200"
        await settled(pilot)
        assert "moves tier" in preview(app)
        await pilot.press("ctrl+s")
        await settled(pilot)
        tier = session(app).plan.tiers[1]
        assert (tier.motion, tier.limit, tier.where) == ("1:few, SDR-led", 200, before.tiers[1].where)
        await pilot.press("ctrl+z")
        await settled(pilot)
        assert session(app).plan == before
