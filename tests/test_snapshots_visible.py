"""Screenshots of what issue 13 made visible: a plan with a typo opened with its problems marked, and a
binding limit on the demo's Tier 1, at 160x48 and 100x30.

After a deliberate change: `pytest tests/test_snapshots_visible.py --snapshot-update`, then look at the SVGs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from abm_tui.plan.edits import Target
from abm_tui.tui.app import AbmApp
from abm_tui.tui.widgets.rules_tree import RulesTree
from tests.pilot import settled

TYPO = Path(__file__).resolve().parent / "data" / "typo_plan.toml"  # the bundled plan, `employees` misspelt
BUNDLED = Path(__file__).resolve().parent.parent / "data" / "plan.toml"
SIZES = [(160, 48), (100, 30)]


@pytest.mark.parametrize("size", SIZES)
def test_a_plan_with_a_typo_opens_with_its_problems(snap_compare, size: tuple[int, int]) -> None:  # noqa: ANN001
    async def on_the_broken_test(pilot) -> None:  # noqa: ANN001
        await settled(pilot)
        pilot.app.screen.query_one(RulesTree).move_to(Target("criteria", 2, "employes", "min"))
        await settled(pilot)

    assert snap_compare(AbmApp(TYPO, writable=False), terminal_size=size, run_before=on_the_broken_test)


@pytest.mark.parametrize("size", SIZES)
def test_a_lowered_tier_1_says_its_limit_binds(snap_compare, size: tuple[int, int]) -> None:  # noqa: ANN001
    async def lowered(pilot) -> None:  # noqa: ANN001
        await settled(pilot)
        pilot.app.screen.query_one(RulesTree).move_to(Target("tiers", 0, "fit_score", "min"))
        await pilot.press("minus", "minus")
        await settled(pilot)

    assert snap_compare(AbmApp(BUNDLED, writable=False), terminal_size=size, run_before=lowered)
