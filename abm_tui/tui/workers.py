"""The workbench's one worker contract: how every piece of background work is asked for, answered and failed.

This docstring is the authoritative text; ARCHITECTURE.md sums it up.

1. **A worker is a Textual thread worker that cannot end the app.** Every one is declared
   `@work(thread=True, exit_on_error=False, group=..., description=...)`: the group says which
   screen's work it is (`exclusive=True` where a newer request replaces an older one), the
   description says what it is doing in words a planner can read in a notification.

2. **It gets a frozen request, captured on the UI thread.** Everything the worker reads is in one
   frozen dataclass built before it starts (the view asked for, the folder chosen, the plan as the
   screen shows it), never a widget or an attribute of the screen that may change under it.

3. **It answers with a dataclass message carrying the request's token** (`tui/messages.py`). The
   screen hands out tokens with a `Tokens` counter, one counter per kind of request; the handler of
   the answer asks `tokens.current(message.token)` and drops anything older than the latest request,
   so an older result can never land after a newer one and overwrite it.

4. **One thread owns the Session** (`tui/session_thread.py`). Only that long-lived consumer calls the
   session: plan edits are queued to it and applied one by one in the order the keys were pressed
   (so the history, and undo, are exactly what the planner did), and it measures the matrix once per
   burst of edits, not once per key. Other work that needs the session (a cell's accounts, an
   account's detail, a movement comparison, an export's frames, a dialog's check or preview) is a
   query queued behind the edits: the worker waits on the query's future, in its own thread. The UI
   thread never waits on the session and runs no Polars work; what it shows about the session comes
   in messages (`SessionState`).

5. **An AbmError is an answer, anything else is a failure.** A worker that meets bad input from the
   planner (an unknown account, a damaged snapshot, a folder that cannot be written) catches the
   AbmError and answers with it, so the screen says it in place. Any other exception ends the worker
   in the ERROR state, and the one `Worker.StateChanged` handler on the App turns it into a
   notification and the workbench's status line (`failure_text`). A worker failure never ends the app.
   Textual does not bubble `Worker.StateChanged`, so a screen that runs workers mixes in `ToApp`,
   which hands the message to the App as it is: no screen words a failure of its own.
"""

from __future__ import annotations

from textual.dom import DOMNode
from textual.worker import Worker

from abm_tui.errors import first_line


class Tokens:
    """Increasing tokens for one kind of request, handed out and checked on the UI thread only.

    A request takes `next()`; its answer is still wanted only while `current(token)` holds, that is
    while no newer request of the same kind has been made.
    """

    def __init__(self) -> None:
        self.latest = 0

    def next(self) -> int:
        self.latest += 1
        return self.latest

    def current(self, token: int) -> bool:
        return token == self.latest


def failure_text(description: str, error: BaseException | None) -> str:
    """A failed worker in one line: what it was doing, then the first line of why."""
    reason = first_line(error) if error is not None else "stopped"
    return f"{description or 'background work'} failed: {reason}"


class ToApp(DOMNode):
    """Mixed into a screen with workers: its workers' state changes go to the App's one handler."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.app.post_message(event)
