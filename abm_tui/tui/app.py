"""The workbench app: loads the session in a worker, then shows the matrix screen."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Footer, Header, LoadingIndicator, Static

from abm_tui.core.errors import AbmError
from abm_tui.core.session import Session
from abm_tui.tui.matrix_screen import MatrixScreen


class SessionReady(Message):
    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session


class SessionFailed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class AbmApp(App[int]):
    """Opening shows progress at once; the data loads in a thread so the terminal never freezes."""

    CSS_PATH = "app.tcss"
    TITLE = "abm-tui"
    BINDINGS = [Binding("q", "quit", "Quit", id="quit", tooltip="Leave abm-tui")]

    def __init__(self, plan_path: Path) -> None:
        super().__init__()
        self.plan_path = plan_path
        self.session: Session | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Loading {self.plan_path} ...", id="loading-message")
        yield LoadingIndicator()
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = str(self.plan_path)
        self.load_session()

    @work(thread=True, exclusive=True, group="load")
    def load_session(self) -> None:
        try:
            self.post_message(SessionReady(Session.open(self.plan_path)))
        except AbmError as err:
            self.post_message(SessionFailed(str(err)))

    @on(SessionReady)
    def show_matrix(self, message: SessionReady) -> None:
        self.session = message.session
        self.sub_title = message.session.plan.name
        self.push_screen(MatrixScreen(message.session))

    @on(SessionFailed)
    def show_error(self, message: SessionFailed) -> None:
        self.query_one(LoadingIndicator).display = False
        self.query_one("#loading-message", Static).update(f"Could not open the plan:\n\n{message.error}")


def run_app(plan_path: Path) -> int:
    return AbmApp(plan_path).run() or 0
