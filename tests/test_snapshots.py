"""Screenshots of the main screens on the bundled demo, compared with the approved SVGs.

After a deliberate change to a screen: `pytest tests/test_snapshots.py --snapshot-update`, then look
at the new SVGs in tests/__snapshots__ before committing them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from abm_tui.plan.edits import Target
from abm_tui.tui.app import AbmApp
from abm_tui.tui.widgets.matrix_table import MatrixTable
from abm_tui.tui.widgets.rules_tree import RulesTree
from tests.pilot import settled

BUNDLED = Path(__file__).resolve().parent.parent / "data" / "plan.toml"


@pytest.fixture(autouse=True)
def same_folder_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """The export dialog offers a folder under the working directory: one that every checkout has."""
    monkeypatch.chdir("/tmp")


def demo() -> AbmApp:
    return AbmApp(BUNDLED, writable=False)


def test_workbench(snap_compare) -> None:  # noqa: ANN001 - the plugin's fixture
    assert snap_compare(demo(), terminal_size=(160, 48), run_before=settled)


def test_workbench_small_terminal(snap_compare) -> None:  # noqa: ANN001
    assert snap_compare(demo(), terminal_size=(100, 30), run_before=settled)


def test_workbench_after_a_tweak(snap_compare) -> None:  # noqa: ANN001
    async def tweak(pilot) -> None:  # noqa: ANN001
        await settled(pilot)
        pilot.app.screen.query_one(RulesTree).move_to(Target("tiers", 2, "fit_score", "min"))
        await pilot.press("minus")
        await settled(pilot)

    assert snap_compare(demo(), terminal_size=(160, 48), run_before=tweak)


async def drill(pilot) -> None:  # noqa: ANN001
    """Into Tier 1 / Considering."""
    await settled(pilot)
    table = pilot.app.screen.query_one(MatrixTable)
    table.focus()
    table.cursor_coordinate = (0, 4)
    await pilot.press("enter")
    await settled(pilot)


def test_drill_down(snap_compare) -> None:  # noqa: ANN001
    assert snap_compare(demo(), terminal_size=(160, 48), run_before=drill)


def test_account_detail(snap_compare) -> None:  # noqa: ANN001
    async def account(pilot) -> None:  # noqa: ANN001
        await drill(pilot)
        await pilot.press("enter")
        await settled(pilot)

    assert snap_compare(demo(), terminal_size=(160, 48), run_before=account)


def test_help(snap_compare) -> None:  # noqa: ANN001
    async def help_screen(pilot) -> None:  # noqa: ANN001
        await settled(pilot)
        await pilot.press("question_mark")
        await settled(pilot)

    assert snap_compare(demo(), terminal_size=(160, 48), run_before=help_screen)


def test_workbench_finding_a_rule_small_terminal(snap_compare) -> None:  # noqa: ANN001
    async def find(pilot) -> None:  # noqa: ANN001
        await settled(pilot)
        await pilot.press("slash", *"tier 2")
        await settled(pilot)

    assert snap_compare(demo(), terminal_size=(100, 30), run_before=find)


def test_workbench_matrix_focused_small_terminal(snap_compare) -> None:  # noqa: ANN001
    async def matrix(pilot) -> None:  # noqa: ANN001
        await settled(pilot)
        await pilot.press("tab", "right", "right", "right", "right", "right", "right")
        await settled(pilot)

    assert snap_compare(demo(), terminal_size=(100, 30), run_before=matrix)


def test_drill_down_small_terminal(snap_compare) -> None:  # noqa: ANN001
    assert snap_compare(demo(), terminal_size=(100, 30), run_before=drill)


async def export_dialog(pilot) -> None:  # noqa: ANN001
    await settled(pilot)
    await pilot.press("ctrl+e")
    await settled(pilot)


def test_export_dialog(snap_compare) -> None:  # noqa: ANN001
    assert snap_compare(demo(), terminal_size=(160, 48), run_before=export_dialog)


def test_export_dialog_small_terminal(snap_compare) -> None:  # noqa: ANN001
    assert snap_compare(demo(), terminal_size=(100, 30), run_before=export_dialog)


async def icp(pilot, tab: str = "1") -> None:  # noqa: ANN001
    await settled(pilot)
    await pilot.press("i")
    await settled(pilot)
    await pilot.press(tab)
    await settled(pilot)


def test_icp_backtest(snap_compare) -> None:  # noqa: ANN001
    """The backtest tab: per tier, the AUC and the gain curve drawn."""
    async def backtest(pilot) -> None:  # noqa: ANN001
        await icp(pilot, "3")

    assert snap_compare(demo(), terminal_size=(160, 48), run_before=backtest)


def test_icp_lift_small_terminal(snap_compare) -> None:  # noqa: ANN001
    assert snap_compare(demo(), terminal_size=(100, 30), run_before=icp)
