"""Getting around the workbench with Pilot: a cursor from the start, jumping to a section, finding a rule,
folding, a footer that follows the focused pane, and nothing cut silently at 100x30."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Static
from textual.widgets._footer import FooterKey

from abm_tui.plan import edits
from abm_tui.plan.edits import Target
from abm_tui.session import Session
from abm_tui.tui.app import AbmApp
from abm_tui.tui.widgets.matrix_table import MatrixTable
from abm_tui.tui.widgets.rules_tree import RulesTree
from abm_tui.userstate.settings import load_settings
from tests.pilot import settled

THRESHOLD = Target("tiers", 0, "fit_score", "min", path=(0,))  # Tier 1's threshold, 21 Down presses from the top


@asynccontextmanager
async def opened(path: Path, size: tuple[int, int] = (160, 48)) -> AsyncIterator[tuple[AbmApp, Pilot]]:
    app = AbmApp(path)
    async with app.run_test(size=size) as pilot:
        await settled(pilot)
        yield app, pilot


def tree(app: AbmApp) -> RulesTree:
    return app.screen.query_one(RulesTree)


def footer_actions(app: AbmApp) -> list[str]:
    return [key.action for key in app.screen.query(FooterKey)]


def tree_lines(app: AbmApp) -> list[str]:
    rules = tree(app)
    return [rules.render_line(y).text.rstrip() for y in range(rules.size.height)]


async def test_the_rules_have_a_cursor_from_the_start(plan_copy: Path) -> None:
    async with opened(plan_copy) as (app, _):
        assert app.focused is tree(app)
        assert tree(app).cursor_line == 0 and tree(app).target == Target("criteria")
        assert "Fit criteria" in str(app.screen.query_one("#rule-detail", Static).render())


async def test_a_number_jumps_to_its_section_and_reaches_tier_1s_threshold_in_three_keys(plan_copy: Path) -> None:
    async with opened(plan_copy) as (app, pilot):
        await pilot.press("2", "down", "down")
        assert tree(app).target == THRESHOLD
        await pilot.press("plus")
        await settled(pilot)
        assert edits.get_test(app.screen.sessions.session.plan, "tiers", 0, "fit_score", "min") > 80


async def test_brackets_step_through_the_sections_and_wrap(plan_copy: Path) -> None:
    async with opened(plan_copy) as (app, pilot):
        await pilot.press("right_square_bracket", "right_square_bracket")
        assert tree(app).target == Target("stages")
        await pilot.press("left_square_bracket", "left_square_bracket", "left_square_bracket")
        assert tree(app).target == Target("engagement")


async def test_find_by_rule_name_then_by_column(plan_copy: Path) -> None:
    async with opened(plan_copy) as (app, pilot):
        await pilot.press("slash", *"tier 1", "enter", "down")
        assert tree(app).target == THRESHOLD and app.focused is tree(app)
        await pilot.press("slash", *"annual_rev")
        await settled(pilot)
        assert tree(app).target == Target("criteria", 3, "annual_revenue", "min", path=(0,))
        detail = str(app.screen.query_one("#rule-detail", Static).render())
        assert "annual_revenue ≥ 20,000,000" in detail


async def test_find_goes_to_the_next_match_and_says_when_there_is_none(plan_copy: Path) -> None:
    async with opened(plan_copy) as (app, pilot):
        await pilot.press("slash", *"fit_score")
        await settled(pilot)
        first = tree(app).target
        await pilot.press("down")
        await settled(pilot)
        second = tree(app).target
        assert first is not None and second is not None and first != second
        assert {first.column, second.column} == {"fit_score"}
        await pilot.press(*"zzz")
        await settled(pilot)
        assert "no rule, test or column holds 'fit_scorezzz'" in str(app.screen.query_one("#status", Static).render())
        await pilot.press("escape")
        assert app.focused is tree(app)


async def test_a_found_rule_in_a_folded_section_is_unfolded(plan_copy: Path) -> None:
    async with opened(plan_copy) as (app, pilot):
        await pilot.press("2", "f")
        tiers = tree(app).root.children[1]
        assert not tiers.is_expanded
        await pilot.press("slash", *"tier 2", "enter")
        await settled(pilot)
        assert tiers.is_expanded and tree(app).target == Target("tiers", 1)
        await pilot.press("F")
        assert not any(node.is_expanded for node in tree(app).root.children)
        await pilot.press("F")
        assert all(node.is_expanded for node in tree(app).root.children)


async def test_the_footer_shows_the_keys_of_the_pane_with_focus(plan_copy: Path) -> None:
    async with opened(plan_copy) as (app, pilot):
        rules_keys = footer_actions(app)
        assert "nudge(1)" in rules_keys and "screen.pivot('rows')" not in rules_keys and "app.focus_next" in rules_keys
        await pilot.press("tab")
        await settled(pilot)
        assert app.focused is app.screen.query_one(MatrixTable)
        matrix_keys = footer_actions(app)
        assert "screen.pivot('rows')" in matrix_keys and "screen.measure" in matrix_keys
        assert "nudge(1)" not in matrix_keys


async def test_quit_help_and_export_stay_in_the_footer_at_100_columns(plan_copy: Path) -> None:
    async with opened(plan_copy, size=(100, 30)) as (app, pilot):
        for _ in range(2):  # the rules' footer, then the matrix's
            keys = {key.action: key for key in app.screen.query(FooterKey)}
            palette = next(key for action, key in keys.items() if action.endswith("command_palette")).region.x
            for action in ("quit_plan", "help", "export"):
                assert keys[action].region.right <= palette, action
            await pilot.press("tab")
            await settled(pilot)


async def test_nothing_is_cut_silently_at_100_columns(plan_copy: Path) -> None:
    async with opened(plan_copy, size=(100, 30)) as (app, pilot):
        await pilot.press("2", "down")  # the cursor on Tier 1: the box under the tree shows its whole line
        await settled(pilot)
        assert "best 50" in str(app.screen.query_one("#rule-detail", Static).render())
        tier_1 = next(line for line in tree_lines(app) if "Tier 1" in line)
        assert "best 50" in tier_1 or tier_1.rstrip("▁▂▃▄▅▆▇█▕ ").endswith("…"), tier_1
        lines = tree_lines(app)
        labels = {str(node.label) for node in tree(app)._nodes_in(tree(app).root)}
        shown = [line.lstrip("│├└▼▶ ").rstrip("▁▂▃▄▅▆▇█▕ ") for line in lines]
        for text in shown:
            if text:
                assert text in labels or text.endswith("…"), text
        cut = next(text for text in shown if text.endswith("…"))
        assert any(label.startswith(cut[:-1]) for label in labels)


async def test_the_rules_pane_widens_and_remembers_it(plan_copy: Path) -> None:
    async with opened(plan_copy) as (app, pilot):
        pane = app.screen.query_one("#rules-pane")
        before = pane.outer_size.width
        await pilot.press("greater_than_sign", "greater_than_sign")
        await settled(pilot)
        assert pane.outer_size.width == before + 8 == load_settings().rules_width
        await pilot.press("tab", "less_than_sign")  # a rules key: not in the matrix
        await settled(pilot)
        assert pane.outer_size.width == before + 8
    async with opened(plan_copy) as (app, _):
        assert app.screen.query_one("#rules-pane").outer_size.width == before + 8


async def test_the_status_line_never_wraps_nor_moves_the_panes(plan_copy: Path) -> None:
    async with opened(plan_copy, size=(100, 30)) as (app, pilot):
        status, panes = app.screen.query_one("#status", Static), app.screen.query_one("#panes")
        top = panes.region.y
        app.screen.say("a message far longer than the terminal is wide " * 5)
        await settled(pilot)
        assert status.outer_size.height == 1 and panes.region.y == top


async def test_the_matrix_keeps_its_row_labels_when_scrolled(plan_copy: Path) -> None:
    async with opened(plan_copy, size=(100, 30)) as (app, pilot):
        table = app.screen.query_one(MatrixTable)
        await pilot.press("tab", *["right"] * 9)
        await settled(pilot)
        assert table.scroll_x > 0 and table.fixed_columns == 1
        assert table.render_line(1).text.lstrip().startswith("Tier 1")
        assert Session.open(plan_copy).matrix().values.shape[1] + 1 >= 9
