"""The README's pictures of the workbench, drawn by Textual itself: `python -m scripts.screenshots [--out docs]`.

Each is an SVG export of the real app on the bundled demo at 160x48, driven with Pilot the way a planner
would get there: the workbench as it opens, the same after one nudge (the matrix's changes and the status
saying what moved), a cell's drill-down, and one account's screen. Rerun it after a change to any screen;
the SVGs are deterministic (same app, same data, same picture), so `git diff docs/` shows what changed.

The user's settings and autosaves are kept out: the app runs with its user folders in a temporary folder, so
the developer's theme never shows in the README and nothing is written where their own plans live. It waits
with the test suite's one wait (`tests/pilot.py`), so a picture is never of a half-drawn screen.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path

SIZE = (160, 48)
CELL = ("Tier 1", "Considering")  # the drilled cell: the accounts sales asks about first
NUDGED = ("tiers", 2, "fit_score", "min")  # Tier 3's fit threshold, one step down: accounts move in


async def shoot(out: Path) -> list[Path]:
    from textual.widgets import Footer

    from abm_tui.onboarding.bundled import demo_plan
    from abm_tui.plan.edits import Target
    from abm_tui.tui.app import AbmApp
    from abm_tui.tui.screens.account import AccountScreen
    from abm_tui.tui.screens.drill import DrillScreen
    from abm_tui.tui.screens.workbench import WorkbenchScreen
    from abm_tui.tui.widgets.matrix_table import MatrixTable
    from abm_tui.tui.widgets.rules_tree import RulesTree
    from tests.pilot import ROUNDS, settled

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    app = AbmApp(demo_plan(), writable=False)

    async def save(name: str, screen: type) -> None:
        """Once the screen's footer has its keys: Textual fills it after the screen's bindings settle, a
        refresh after everything `settled` waits for."""
        assert isinstance(app.screen, screen), f"expected the {screen.__name__}, found {type(app.screen).__name__}"
        for _ in range(ROUNDS):
            if app.screen.query_one(Footer).children:
                break
            await pilot.pause()
        else:
            raise AssertionError(f"the {screen.__name__}'s footer never showed its keys")
        await pilot.pause()
        written.append(Path(app.save_screenshot(f"{name}.svg", str(out))))

    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await save("workbench", WorkbenchScreen)
        app.screen.query_one(RulesTree).move_to(Target(*NUDGED))
        await pilot.press("minus")
        await settled(pilot)
        await save("workbench-nudged", WorkbenchScreen)
        await pilot.press("ctrl+z")
        await settled(pilot)
        table = app.screen.query_one(MatrixTable)
        assert table.view is not None
        current = table.view.current
        table.focus()
        table.move_cursor(row=current.rows.index(CELL[0]), column=current.cols.index(CELL[1]) + 1)
        await pilot.press("enter")
        await settled(pilot)
        await save("drill", DrillScreen)
        await pilot.press("enter")
        await settled(pilot)
        await save("account", AccountScreen)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m scripts.screenshots", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs"), help="folder for the SVGs (default docs/)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="abm-tui-screenshots-") as home:
        for name in ("ABM_TUI_CONFIG_DIR", "ABM_TUI_STATE_DIR"):
            os.environ[name] = str(Path(home) / name.lower())
        for path in asyncio.run(shoot(args.out)):
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
