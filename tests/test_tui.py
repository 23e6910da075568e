"""The workbench opened for real with Textual's Pilot, on a generated demo set."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Static

from abm_tui.core.session import Session
from abm_tui.tui.app import AbmApp
from abm_tui.tui.matrix_screen import MatrixScreen


async def test_matrix_screen_opens_on_the_demo(demo_plan_path: Path) -> None:
    app = AbmApp(demo_plan_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, MatrixScreen)
        table = app.screen.query_one("#matrix", DataTable)
        expected = Session.open(demo_plan_path).matrix()
        assert table.row_count == len(expected.rows) + 1
        first_row = table.get_row_at(0)
        assert first_row[0] == "Tier 1"
        assert str(first_row[-1]) == f"{expected.values[0].sum():,}"
        assert str(table.get_row_at(table.row_count - 1)[-1]) == "3,000"
        status = str(app.screen.query_one("#status", Static).render())
        assert "3,000 accounts loaded" in status and "as of 2026-11-20" in status
        await pilot.press("q")
    assert app.return_code in (0, None)


async def test_a_bad_plan_shows_the_message_instead_of_crashing(tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text('version = 1\n[data]\naccounts = "missing.csv"\n')
    app = AbmApp(plan)
    async with app.run_test() as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        message = str(app.query_one("#loading-message", Static).render())
        assert "missing.csv: no such file" in message
        await pilot.press("q")
