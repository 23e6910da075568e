"""The workbench end to end: keystroke to repainted matrix, startup, and drilling into the largest cell (its
first rows, then the whole cell).

Drives the real app with Textual's Pilot (headless, 160x48) on a generated demo set. A tweak is
`-` or `+` on Tier 3's fit_score minimum. Two clocks:
- in the app: from the key's action to the first screen refresh after the new matrix is shown
  (what a planner waits for, less the terminal's own drawing);
- round trip: `pilot.press` until the app is idle again, which includes Pilot's own waiting; a key
  bound to nothing, pressed in the same run, is the reference for that overhead.
The engine alone doing the same tweaks (`Session.apply` + `Session.matrix`) is reported too, and the
first screen against a plain Polars read of the same two files, measured in the same run.

    .venv/bin/python benchmarks/bench_workbench.py                  # 1,000,000 accounts
    .venv/bin/python benchmarks/bench_workbench.py --accounts 100000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl
from bench_tweak import demo_set

from abm_tui import Session, edits
from abm_tui.plan.edits import Target
from abm_tui.tui.app import AbmApp
from abm_tui.tui.screens.drill import AccountTable
from abm_tui.tui.screens.workbench import WorkbenchScreen
from abm_tui.tui.widgets.matrix_table import MatrixTable
from abm_tui.tui.widgets.rules_tree import RulesTree


async def settle(app: AbmApp, pilot) -> None:  # noqa: ANN001 - textual's Pilot
    """The session thread idle (it owns the session and measures the matrix), then the workers and the UI."""
    for screen in app.screen_stack:
        if isinstance(screen, WorkbenchScreen):
            await asyncio.to_thread(screen.sessions.wait_idle, 60)
    await app.workers.wait_for_complete()
    await pilot.pause()


class Clock:
    """Key action to repainted matrix, read inside the app by wrapping two workbench methods."""

    def __init__(self) -> None:
        self.started = 0.0
        self.latencies: list[float] = []
        nudge, show = WorkbenchScreen.action_nudge, WorkbenchScreen.show_matrix

        def timed_nudge(screen: WorkbenchScreen, *args: object) -> None:
            self.started = time.perf_counter()
            nudge(screen, *args)

        def timed_show(screen: WorkbenchScreen, measured: object) -> None:
            show(screen, measured)
            if self.started:
                screen.call_after_refresh(self.stop)

        WorkbenchScreen.action_nudge = timed_nudge  # type: ignore[method-assign]
        WorkbenchScreen.show_matrix = timed_show  # type: ignore[method-assign]

    def stop(self) -> None:
        self.latencies.append(time.perf_counter() - self.started)
        self.started = 0.0


async def drive(plan_path: Path, presses: int) -> dict[str, float]:
    clock = Clock()
    started = time.perf_counter()
    app = AbmApp(plan_path)
    async with app.run_test(size=(160, 48)) as pilot:
        while not (isinstance(app.screen, WorkbenchScreen) and app.screen.query(MatrixTable)
                   and app.screen.query_one(MatrixTable).view):  # pushed is not yet composed
            await pilot.pause(0.05)
        first_screen = time.perf_counter() - started
        app.screen.query_one(RulesTree).move_to(Target("tiers", 2, "fit_score", "min"))
        await settle(app, pilot)
        round_trips, idle = [], []
        for i in range(presses):
            tick = time.perf_counter()
            await pilot.press("minus" if i % 2 == 0 else "plus")
            await settle(app, pilot)
            round_trips.append(time.perf_counter() - tick)
            tick = time.perf_counter()
            await pilot.press("z")
            await settle(app, pilot)
            idle.append(time.perf_counter() - tick)
        drill = await drill_largest(app, pilot)
    return {"first_screen_s": first_screen, "median_ms": statistics.median(clock.latencies) * 1000,
            "p95_ms": float(np.percentile(clock.latencies, 95)) * 1000, "measured": len(clock.latencies),
            "round_trip_ms": statistics.median(round_trips) * 1000, "idle_ms": statistics.median(idle) * 1000,
            **drill}


async def drill_largest(app: AbmApp, pilot) -> dict[str, float]:  # noqa: ANN001
    """Enter on the largest cell, then `end` to its last account."""
    table = app.screen.query_one(MatrixTable)
    values = table.view.current.values
    row, col = np.unravel_index(values.argmax(), values.shape)
    table.focus()
    table.cursor_coordinate = (int(row), int(col) + 1)
    painted: list[float] = []
    render_lines = AccountTable.render_lines

    def first_paint(self: AccountTable, crop: object) -> object:
        """The first rows on screen: the first time a drill table paints (read in the app, not through Pilot)."""
        if not painted:
            painted.append(time.perf_counter())
        return render_lines(self, crop)

    AccountTable.render_lines = first_paint  # type: ignore[assignment,method-assign]
    tick = time.perf_counter()
    await pilot.press("enter")
    await settle(app, pilot)
    AccountTable.render_lines = render_lines  # type: ignore[method-assign]
    first_rows = painted[0] - tick
    while app.screen.query_one(AccountTable).row_count < values.max():
        await pilot.pause(0.005)  # the whole cell replaces the first page
    opened = time.perf_counter() - tick
    tick = time.perf_counter()
    await pilot.press("end")
    await settle(app, pilot)
    end = (time.perf_counter() - tick) * 1000
    return {"drill_rows": float(values.max()), "drill_first_ms": first_rows * 1000, "drill_open_s": opened,
            "drill_end_ms": end}


def engine_reference(plan_path: Path, presses: int) -> float:
    session = Session.open(plan_path)
    session.matrix()
    base = edits.get_test(session.plan, "tiers", 2, "fit_score", "min")
    plans = [edits.set_test(session.plan, "tiers", 2, "fit_score", "min", base - 5 * ((i + 1) % 2))
             for i in range(presses)]
    times = []
    for plan in plans:
        tick = time.perf_counter()
        session.apply(plan)
        session.matrix()
        times.append(time.perf_counter() - tick)
    return statistics.median(times) * 1000


def plain_read(plan_path: Path) -> float:
    """`pl.read_csv` and `pl.read_parquet` of the plan's two files, no cleaning: the floor for opening."""
    started = time.perf_counter()
    pl.read_csv(plan_path.parent / "accounts.csv")
    pl.read_parquet(plan_path.parent / "engagement.parquet")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--presses", type=int, default=30)
    args = parser.parse_args()
    plan_path = demo_set(args.accounts)
    with tempfile.TemporaryDirectory() as private:
        os.environ["ABM_TUI_STATE_DIR"] = private  # autosaves of the benchmark go nowhere lasting
        os.environ["ABM_TUI_CONFIG_DIR"] = private
        ui = asyncio.run(drive(plan_path, args.presses))
    reference = engine_reference(plan_path, args.presses)
    read = plain_read(plan_path)
    print(f"workbench at {args.accounts:,} accounts (Pilot, 160x48)")
    print(f"  first useful screen: {ui['first_screen_s']:.1f} s, against {read:.2f} s for a plain Polars read of "
          f"the same two files ({ui['first_screen_s'] / read:.1f}x)")
    print(f"  keystroke to repainted matrix, in the app: median {ui['median_ms']:.1f} ms, "
          f"p95 {ui['p95_ms']:.1f} ms ({ui['measured']} of {args.presses} presses); engine alone: "
          f"median {reference:.1f} ms")
    print(f"  Pilot round trip per tweak: median {ui['round_trip_ms']:.0f} ms, against {ui['idle_ms']:.0f} ms "
          f"for a key bound to nothing ({ui['round_trip_ms'] / ui['idle_ms']:.1f}x)")
    print(f"  drill into the largest cell ({ui['drill_rows']:,.0f} accounts): first rows shown in "
          f"{ui['drill_first_ms']:.0f} ms (bar: 200 ms), the whole cell in {ui['drill_open_s']:.2f} s; "
          f"`end` to the last account: {ui['drill_end_ms']:.0f} ms")


if __name__ == "__main__":
    main()
