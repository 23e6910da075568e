"""The workbench opened for real with Textual's Pilot on a generated demo, driven from the keyboard."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from abm_tui.core import edits
from abm_tui.core.plan import load_plan
from abm_tui.core.session import Session
from abm_tui.tui.app import AbmApp
from abm_tui.tui.matrix_table import MatrixTable
from abm_tui.tui.rules_tree import RulesTree, Target
from abm_tui.tui.workbench import WorkbenchScreen


@pytest.fixture(autouse=True)
def private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings and autosaves go to the test's own folders, never the user's."""
    monkeypatch.setenv("ABM_TUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("ABM_TUI_STATE_DIR", str(tmp_path / "state"))


@pytest.fixture()
def plan_copy(demo_plan_path: Path, tmp_path: Path) -> Path:
    """A writable copy of the demo plan beside the shared demo data."""
    from abm_tui.core.export import relocated
    from abm_tui.core.plan import save_plan

    path = tmp_path / "plan.toml"
    save_plan(relocated(load_plan(demo_plan_path), tmp_path), path)
    return path


async def settle(app: AbmApp, pilot) -> None:  # noqa: ANN001 - textual's Pilot
    await app.workers.wait_for_complete()
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def cell(app: AbmApp, row: str, col: str) -> str:
    table = app.screen.query_one(MatrixTable)
    view = table.view
    assert view is not None
    r = (*view.current.rows, "Total").index(row)
    c = (*view.current.cols, "Total").index(col) + 1
    return str(table.get_cell_at((r, c))).split()[0]


async def test_opens_with_rules_matrix_and_status(plan_copy: Path) -> None:
    app = AbmApp(plan_copy)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, WorkbenchScreen)
        expected = Session.open(plan_copy).matrix()
        assert cell(app, "Tier 1", "Total") == f"{expected.values[0].sum():,}"
        assert cell(app, "Total", "Total") == "3,000"
        status = str(app.screen.query_one("#status", Static).render())
        assert "3,000 accounts" in status and "as of 2026-11-20" in status
        sections = [n.data.section for n in app.screen.query_one(RulesTree).root.children]
        assert sections == ["criteria", "tiers", "stages", "buckets", "plays", "engagement"]


async def test_nudging_a_threshold_recounts_to_what_the_engine_says(plan_copy: Path) -> None:
    app = AbmApp(plan_copy)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        tree = app.screen.query_one(RulesTree)
        tree.move_to(Target("tiers", 2, "fit_score", "min"))
        await pilot.press("minus", "minus")
        await settle(app, pilot)
        plan = load_plan(plan_copy)
        lowered = edits.set_test(plan, "tiers", 2, "fit_score", "min",
                                 edits.nudge(edits.nudge(70, -1), -1))
        engine = Session.open(plan_copy)
        engine.apply(lowered)
        expected = engine.matrix()
        assert cell(app, "Tier 3", "Total") == f"{expected.values[2].sum():,}"
        assert app.screen.session.plan == lowered and app.screen.session.dirty
        # The change against the baseline shows in the cell.
        table_text = str(app.screen.query_one(MatrixTable).get_cell_at((2, 9)))
        baseline = Session.open(plan_copy).matrix().values[2].sum()
        assert f"+{expected.values[2].sum() - baseline:,}" in table_text


async def test_undo_and_redo_follow_the_history(plan_copy: Path) -> None:
    app = AbmApp(plan_copy)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        before = cell(app, "Tier 3", "Total")
        app.screen.query_one(RulesTree).move_to(Target("tiers", 2, "fit_score", "min"))
        await pilot.press("minus")
        await settle(app, pilot)
        after = cell(app, "Tier 3", "Total")
        assert after != before
        await pilot.press("ctrl+z")
        await settle(app, pilot)
        assert cell(app, "Tier 3", "Total") == before and not app.screen.session.dirty
        await pilot.press("ctrl+y")
        await settle(app, pilot)
        assert cell(app, "Tier 3", "Total") == after


async def test_toggle_off_a_tier(plan_copy: Path) -> None:
    app = AbmApp(plan_copy)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        app.screen.query_one(RulesTree).move_to(Target("tiers", 0))
        await pilot.press("o")
        await settle(app, pilot)
        assert not app.screen.session.plan.tiers[0].enabled
        assert cell(app, "Tier 1", "Total") == "0"


async def test_nudging_something_that_is_not_a_number_is_refused_in_place(plan_copy: Path) -> None:
    app = AbmApp(plan_copy)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        app.screen.query_one(RulesTree).move_to(Target("criteria", 0, "industry", "in"))
        await pilot.press("plus")
        await settle(app, pilot)
        assert "is not a number" in str(app.screen.query_one("#status", Static).render())
        assert not app.screen.session.dirty


async def test_pivot_and_measure(plan_copy: Path) -> None:
    app = AbmApp(plan_copy)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        app.screen.query_one(MatrixTable).focus()
        await pilot.press("c")
        await settle(app, pilot)
        view = app.screen.query_one(MatrixTable).view
        assert view is not None and view.current.col_dim == "bucket"
        await pilot.press("m")
        await settle(app, pilot)
        assert app.screen.query_one(MatrixTable).view.measure == "pipeline"
        await pilot.press("m")
        await settle(app, pilot)
        assert cell(app, "Total", "Total") == "100.0%"


async def test_save_writes_the_plan_and_clears_unsaved(plan_copy: Path) -> None:
    app = AbmApp(plan_copy)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        app.screen.query_one(RulesTree).move_to(Target("criteria", 0))
        await pilot.press("plus")
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        saved = load_plan(plan_copy)
        assert saved == app.screen.session.plan and saved.criteria[0].points == 35
        assert not app.screen.session.dirty


async def test_a_bad_plan_shows_the_message_instead_of_crashing(tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text('version = 1\n[data]\naccounts = "missing.csv"\n')
    app = AbmApp(plan)
    async with app.run_test() as pilot:
        await settle(app, pilot)
        message = str(app.query_one("#loading-message", Static).render())
        assert "missing.csv: no such file" in message
        await pilot.press("q")
