"""The one wait of the Pilot tests: until the app has nothing left to do.

Work in the workbench happens in three places (the session thread, Textual's thread workers, the
UI's message queue), and each can start work in another: the session thread answers, the answer's
handler starts a worker, the worker asks the session thread. `settled` waits for all three in turn
until a whole round finds them quiet, so no test needs a fixed sleep or a screenshot loop.
"""

from __future__ import annotations

import asyncio

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable

from abm_tui.session import Session
from abm_tui.tui.session_thread import SessionThread, state_of

ROUNDS = 50


def notices(app: App[object]) -> list[str]:
    """Every notification the app raised, in order, expired or not (recorded by conftest)."""
    return list(app.__dict__.get("recorded_notices", []))


def session_threads(app: App[object]) -> list[SessionThread]:
    """The session threads of the screens on the stack (the workbench's, or a test host's)."""
    found = [getattr(screen, "sessions", None) for screen in app.screen_stack]
    return [sessions for sessions in found if isinstance(sessions, SessionThread)]


def quiet(app: App[object]) -> bool:
    return all(worker.is_finished for worker in app.workers) and all(
        sessions.wait_idle(0) for sessions in session_threads(app)) and not measuring(app)


def measuring(app: App[object]) -> bool:
    """A DataTable sizes itself on its own next idle after rows arrive; a frame before that draws a
    height-auto table (the matrix) as nothing. Textual keeps that pending work private, so it is read here."""
    tables = app.screen.query(DataTable)
    return any(getattr(table, "_require_update_dimensions", False) or getattr(table, "_updated_cells", None)
               for table in tables)


async def finished(app: App[object]) -> None:
    """Wait for every worker to end; a failed one is the app's error handler's to report, not the wait's."""
    await asyncio.gather(*[worker.wait() for worker in list(app.workers)], return_exceptions=True)


async def settled(pilot: Pilot[object]) -> None:
    """Wait until the session thread, every worker and the screens' messages are all done."""
    app = pilot.app
    for _ in range(ROUNDS):
        for sessions in session_threads(app):
            await asyncio.to_thread(sessions.wait_idle, 30)
        await finished(app)
        await pilot.pause()
        if quiet(app):
            await pilot.pause()  # what the last answers' handlers scheduled after a refresh
            if quiet(app):
                return
    raise AssertionError(f"the app still had work after {ROUNDS} rounds")


def started(session: Session) -> SessionThread:
    """A running session thread for a screen tested outside the workbench; its edits' answers go nowhere."""
    sessions = SessionThread(session, state_of(session))
    sessions.start(lambda message: None)
    return sessions
