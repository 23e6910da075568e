"""Screenshots of the authoring dialogs on the bundled demo, at the two sizes the workbench is tried at.

After a deliberate change: `pytest tests/test_snapshots_authoring.py --snapshot-update`, then look at
the new SVGs in tests/__snapshots__ before committing them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from abm_tui.plan.edits import Target
from abm_tui.tui.app import AbmApp
from abm_tui.tui.widgets.rules_tree import RulesTree
from tests.pilot import settled

BUNDLED = Path(__file__).resolve().parent.parent / "data" / "plan.toml"
SIZES = [(160, 48), (100, 30)]


def keys_on(target: Target, *keys: str):  # noqa: ANN201 - the plugin's run_before
    async def run(pilot) -> None:  # noqa: ANN001
        await settled(pilot)
        pilot.app.screen.query_one(RulesTree).move_to(target)
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
            await settled(pilot)
    return run


@pytest.mark.parametrize("size", SIZES)
def test_test_builder_with_a_list_column(snap_compare, size: tuple[int, int]) -> None:  # noqa: ANN001
    run = keys_on(Target("tiers", 0), "t", *"tech", "enter", "enter", *"Snowflake")
    assert snap_compare(AbmApp(BUNDLED, writable=False), terminal_size=size, run_before=run)


@pytest.mark.parametrize("size", SIZES)
def test_play_form(snap_compare, size: tuple[int, int]) -> None:  # noqa: ANN001
    run = keys_on(Target("plays", 5), "enter")
    assert snap_compare(AbmApp(BUNDLED, writable=False), terminal_size=size, run_before=run)


@pytest.mark.parametrize("size", SIZES)
def test_engagement_form(snap_compare, size: tuple[int, int]) -> None:  # noqa: ANN001
    run = keys_on(Target("engagement"), "E")
    assert snap_compare(AbmApp(BUNDLED, writable=False), terminal_size=size, run_before=run)


@pytest.mark.parametrize("size", SIZES)
def test_delete_question(snap_compare, size: tuple[int, int]) -> None:  # noqa: ANN001
    run = keys_on(Target("criteria", 5), "x")
    assert snap_compare(AbmApp(BUNDLED, writable=False), terminal_size=size, run_before=run)
