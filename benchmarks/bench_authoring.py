"""The authoring dialogs at scale: key to dialog on screen, the column and value pickers, the preview.

Drives the real app with Textual's Pilot (headless, 160x48). Two clocks:
- in the app: from the dialog being pushed (the key's action) to the first refresh after it is
  mounted; from the builder asking for its columns, a column's values, or a preview, to the first
  refresh after the answer is shown (what a planner waits for, less the terminal's own drawing);
- round trip: from `pilot.press` until what it waits for is on screen, polled every 2 ms, which
  includes Pilot's own waiting; a key bound to nothing, pressed in the same run, is its reference.

    .venv/bin/python benchmarks/bench_authoring.py                         # 1,000,000 accounts
    .venv/bin/python benchmarks/bench_authoring.py --accounts 100000
    .venv/bin/python benchmarks/bench_authoring.py --plan /path/to/plan.toml
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import OptionList, SelectionList, Static

from abm_tui.plan.edits import Target
from abm_tui.tui.app import AbmApp
from abm_tui.tui.modals import AskText
from abm_tui.tui.screens.rule_editor import ConditionBuilder, ConfirmDelete, FormDialog, PreviewedDialog
from abm_tui.tui.screens.workbench import WorkbenchScreen
from abm_tui.tui.widgets.matrix_table import MatrixTable
from abm_tui.tui.widgets.rules_tree import RulesTree


async def until(pilot: Pilot, ready: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.perf_counter() + timeout
    while not ready():
        if time.perf_counter() > deadline:
            raise TimeoutError("the benchmark waited 30 s")
        await pilot.pause(0.002)
    await pilot.pause()  # the refresh that paints it


async def timed(pilot: Pilot, keys: tuple[str, ...], ready: Callable[[], bool]) -> float:
    tick = time.perf_counter()
    await pilot.press(*keys)
    await until(pilot, ready)
    return (time.perf_counter() - tick) * 1000


class Clock:
    """In-app timings, by wrapping the methods that ask and the handlers that show."""

    def __init__(self, found: dict[str, list[float]]) -> None:
        self.found = found
        self.asked: dict[str, float] = {}
        push = AbmApp.push_screen
        clock = self

        def timed_push(app: AbmApp, screen: object, *args: object, **kwargs: object) -> object:
            started = time.perf_counter()
            if isinstance(screen, PreviewedDialog | AskText):
                screen.call_after_refresh(clock.lap, f"in app: {type(screen).__name__} on screen", started)
            return push(app, screen, *args, **kwargs)  # type: ignore[call-overload]

        AbmApp.push_screen = timed_push  # type: ignore[method-assign,assignment,unused-ignore]
        for name, ask, shown in (("columns listed", "load_columns", "columns_read"),
                                 ("values counted", "count_values", "values_read"),
                                 ("preview shown", "refresh_preview", "previewed")):
            self.wrap(ConditionBuilder, name, ask, shown)

    def wrap(self, cls: type, name: str, ask: str, shown: str) -> None:
        asking, showing = getattr(cls, ask), getattr(cls, shown)
        clock = self

        def timed_ask(screen: object, *args: object) -> object:
            clock.asked[name] = time.perf_counter()
            return asking(screen, *args)

        def timed_show(screen: ConditionBuilder, *args: object) -> object:
            result = showing(screen, *args)
            if name in clock.asked:
                screen.call_after_refresh(clock.lap, f"in app: builder, {name}", clock.asked.pop(name))
            return result

        setattr(cls, ask, timed_ask)
        setattr(cls, shown, timed_show)

    def lap(self, name: str, started: float) -> None:
        self.found.setdefault(name, []).append((time.perf_counter() - started) * 1000)


async def drive(plan_path: Path, rounds: int) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {}
    Clock(found)
    app = AbmApp(plan_path)

    def note(name: str, ms: float) -> None:
        found.setdefault(f"round trip: {name}", []).append(ms)

    async with app.run_test(size=(160, 48)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, WorkbenchScreen) and bool(app.screen.query(MatrixTable))
                    and app.screen.query_one(MatrixTable).view is not None, timeout=900)
        workbench = app.screen
        assert isinstance(workbench, WorkbenchScreen)
        tree = workbench.query_one(RulesTree)
        for _ in range(rounds):
            note("a key bound to nothing", await timed(pilot, ("z",), lambda: True))
            tree.move_to(Target("tiers", 0))
            await pilot.pause()
            note("reference: the rename dialog (n)", await timed(pilot, ("n",), partial(_showing, app, AskText)))
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is workbench)
            for name, target, key, kind in (
                ("new criterion form (a)", Target("criteria"), "a", FormDialog),
                ("play form (enter)", Target("plays", 0), "enter", FormDialog),
                ("engagement form (E)", Target("engagement"), "E", FormDialog),
                ("delete question (x)", Target("tiers", 0), "x", ConfirmDelete),
            ):
                tree.move_to(target)
                await pilot.pause()
                note(name, await timed(pilot, (key,), partial(_showing, app, kind)))
                note(f"{name}: preview", await timed(pilot, (), lambda: _preview_landed(app)))
                await pilot.press("escape")
                await until(pilot, lambda: app.screen is workbench)
            tree.move_to(Target("tiers", 0))
            await pilot.pause()
            note("test builder (t)", await timed(pilot, ("t",), lambda: isinstance(app.screen, ConditionBuilder)))
            note("test builder: columns listed", await timed(
                pilot, (), lambda: app.screen.query_one("#tb-columns", OptionList).option_count > 1))
            note("column filter, one key", await timed(pilot, ("e",), lambda: True))
            await pilot.press(*"ch_stack")
            note("tech_stack picked: values counted", await timed(
                pilot, ("enter",), lambda: app.screen.query_one("#tb-values", SelectionList).option_count > 0))
            await pilot.press("enter")
            note("value typed: preview", await timed(pilot, ("S",), lambda: _preview_landed(app)))
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is workbench)
    return found


def _showing(app: AbmApp, kind: type) -> bool:
    return isinstance(app.screen, kind)


def _preview_landed(app: AbmApp) -> bool:
    said = str(app.screen.query_one(".abm-preview", Static).render())
    return bool(said) and not said.startswith("working out")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--plan", type=Path, help="an existing plan to open instead of a generated demo")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if args.plan is None:
        from bench_tweak import demo_set  # the `bench` extra (pandas), for the generated set

        plan_path = demo_set(args.accounts)
    else:
        plan_path = args.plan
    with tempfile.TemporaryDirectory() as private:
        os.environ["ABM_TUI_STATE_DIR"] = private  # autosaves of the benchmark go nowhere lasting
        os.environ["ABM_TUI_CONFIG_DIR"] = private
        found = asyncio.run(drive(plan_path, args.rounds))
    print(f"authoring dialogs on {plan_path} (Pilot, 160x48, median of {args.rounds}, ms from the key)")
    reference = statistics.median(found["round trip: a key bound to nothing"])
    for name, times in sorted(found.items()):
        median, worst = statistics.median(times), max(times)
        ratio = f"  ({median / reference:4.1f}x a key bound to nothing)" if name.startswith("round trip") else ""
        print(f"  {name:<52} median {median:7.1f} ms, worst {worst:7.1f} ms{ratio}")


if __name__ == "__main__":
    main()
