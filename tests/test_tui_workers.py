"""The worker contract (tui/workers.py) held to its word: the session thread applies edits in order and
measures once per burst, stale answers are dropped, failures are said by the App, the palette lists the keys."""

from __future__ import annotations

import threading
from concurrent.futures import CancelledError
from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.message import Message
from textual.widgets import Input, OptionList, Static

from abm_tui.plan import edits
from abm_tui.plan.edits import Target
from abm_tui.session import Session
from abm_tui.tui.messages import EditApplied, MatrixMeasured, WorkFailed
from abm_tui.tui.screens.drill import DrillScreen
from abm_tui.tui.session_thread import EditRequest, MatrixRequest, SessionThread, Step, state_of
from abm_tui.tui.workers import Tokens, failure_text
from tests.pilot import notices, settled
from tests.test_tui import opened

THRESHOLD = Target("tiers", 2, "fit_score", "min")


def test_tokens_say_only_the_latest_request_is_current() -> None:
    tokens = Tokens()
    first, second = tokens.next(), tokens.next()
    assert (first, second) == (1, 2) and tokens.current(second) and not tokens.current(first)


def test_a_failure_is_one_line_saying_what_was_being_done() -> None:
    assert failure_text("exporting", OSError("disk full\nmore")) == "exporting failed: disk full"


@pytest.fixture()
def thread(demo_session: Session) -> tuple[SessionThread, list[Message]]:
    heard: list[Message] = []
    sessions = SessionThread(demo_session, state_of(demo_session))
    sessions.start(heard.append)
    yield sessions, heard
    sessions.stop()


def test_a_burst_of_edits_is_applied_in_order_and_measured_once(thread: tuple[SessionThread, list[Message]],
                                                                  tmp_path: Path) -> None:
    sessions, heard = thread
    session = sessions.session
    first = session.plan
    held = threading.Event()
    sessions.ask(lambda _: held.wait(10))  # the thread is busy while the keys are pressed
    plans, plan = [], first
    for token in range(1, 6):
        plan = edits.nudged(plan, THRESHOLD, -1, False)
        plans.append(plan)
        sessions.edit(EditRequest(token, Step.APPLY, MatrixRequest(), tmp_path / "plan.toml", plan=plan))
    held.set()
    assert sessions.wait_idle(30)
    applied = [m for m in heard if isinstance(m, EditApplied)]
    measured = [m for m in heard if isinstance(m, MatrixMeasured)]
    assert [m.token for m in applied] == [1, 2, 3, 4, 5] and [m.state.plan for m in applied] == plans
    assert [m.token for m in measured] == [5], "one measurement, for the burst's last edit"
    assert measured[0].measured is not None
    assert measured[0].measured.matrix.current.values.sum() == session.matrix().values.sum()
    for plan in reversed(plans[:-1]):  # the history is exactly the keys pressed
        session.undo()
        assert session.plan == plan
    session.undo()
    assert session.plan == first and not session.can_undo


def test_a_query_runs_after_the_edits_before_it_and_its_error_reaches_the_asker(
        thread: tuple[SessionThread, list[Message]], tmp_path: Path) -> None:
    sessions, _ = thread
    lowered = edits.nudged(sessions.session.plan, THRESHOLD, -1, False)
    sessions.edit(EditRequest(1, Step.APPLY, MatrixRequest(), tmp_path / "plan.toml", plan=lowered))
    assert sessions.ask(lambda session: session.plan).result(10) == lowered
    with pytest.raises(ZeroDivisionError):
        sessions.ask(lambda _: 1 / 0).result(10)
    assert sessions.ask(lambda session: session.plan).result(10) == lowered, "the thread goes on"


def test_a_bug_in_an_edit_is_said_and_the_thread_goes_on(thread: tuple[SessionThread, list[Message]],
                                                          tmp_path: Path) -> None:
    sessions, heard = thread
    sessions.edit(EditRequest(1, Step.APPLY, MatrixRequest(), tmp_path / "plan.toml"))  # APPLY without a plan
    assert sessions.wait_idle(30)
    failed = [m for m in heard if isinstance(m, WorkFailed)]
    assert [m.description for m in failed] == ["the apply edit"]
    assert sessions.ask(lambda session: session.can_undo).result(10) is False


def test_once_stopped_a_query_is_cancelled_not_left_waiting(demo_session: Session) -> None:
    sessions = SessionThread(demo_session, state_of(demo_session))
    sessions.start(lambda message: None)
    sessions.stop()
    assert sessions.wait_idle(10)
    with pytest.raises(CancelledError):
        sessions.ask(lambda session: session.plan).result(10)


@pytest.mark.tui
async def test_any_failed_worker_is_a_notification_and_the_status_line(plan_copy: Path) -> None:
    async with opened(plan_copy) as (app, pilot):
        workbench = app.workbench
        assert workbench is not None
        app.push_screen(DrillScreen(workbench.sessions, "broken", lambda _: 1 / 0))  # a fetch with a bug
        await settled(pilot)
        said = "listing the accounts failed: division by zero"
        assert said in notices(app)
        assert said in str(workbench.query_one("#status", Static).render())
        assert app.is_running and app.return_code is None


@pytest.mark.tui
async def test_the_palette_lists_the_workbench_actions_by_their_footer_names(plan_copy: Path) -> None:
    async with opened(plan_copy) as (app, pilot):
        await pilot.press("ctrl+p")
        await settled(pilot)
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        palette.query_one(Input).value = "rows"
        await settled(pilot)
        options = palette.query_one(OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any("Rows (r)" in prompt for prompt in prompts), prompts
        await pilot.press("enter")
        await settled(pilot)
        assert app.workbench is not None and app.workbench.view.rows == "bucket", "r pivoted the rows"
