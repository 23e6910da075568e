"""The workbench app: loads the session in a worker (showing each step), then the workbench.

The app owns what outlives a screen: themes and the remembered choice, the quit prompt (for `q`,
`ctrl+q` and the palette alike), help, the command palette (`tui/commands.py`), the styles, and the
one handler that turns any failed worker into a notification and the status line (`tui/workers.py`).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, LoadingIndicator, Static
from textual.worker import Worker, WorkerState

from abm_tui.errors import AbmError
from abm_tui.session import Session
from abm_tui.tui.commands import ActionCommands
from abm_tui.tui.messages import Progress, SessionFailed, SessionReady, WorkFailed
from abm_tui.tui.screens.workbench import WorkbenchScreen
from abm_tui.tui.session_thread import SessionThread, state_of
from abm_tui.tui.themes import register_themes
from abm_tui.tui.workers import failure_text
from abm_tui.userstate import autosave
from abm_tui.userstate.settings import load_settings, save_settings

STYLES = ("app", "chrome", "drill", "icp", "movement", "review")


class AbmApp(App[int], inherit_bindings=False):
    """Opening shows progress at once; the data loads in a thread so the terminal never freezes."""

    CSS_PATH = [f"styles/{name}.tcss" for name in STYLES]
    TITLE = "abm-tui"
    HELP_TITLE = "Anywhere"
    COMMANDS = App.COMMANDS | {ActionCommands}
    BINDINGS = [
        Binding("q", "quit_plan", "Quit", id="quit", tooltip="Leave abm-tui (asks about unsaved changes)"),
        Binding("ctrl+q", "quit_plan", "Quit", show=False, priority=True, id="quit-now",
                tooltip="Leave abm-tui from anywhere (asks about unsaved changes, as q does)"),
        Binding("question_mark,f1", "help", "Help", id="help", tooltip="Keys for every screen"),
        Binding("ctrl+c", "help_quit", show=False, system=True, id="help-quit"),
    ]

    def __init__(self, plan_path: Path, *, writable: bool = True, read_only: bool = False) -> None:
        super().__init__()
        self.plan_path = plan_path
        self.writable = writable
        self.read_only = read_only  # `tui/read_only.py`; the title says so on every screen
        if read_only:
            self.title = f"{self.TITLE} (read-only)"
        self.workbench: WorkbenchScreen | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Opening {self.plan_path} ...", id="loading-message")
        yield LoadingIndicator()
        yield Footer()

    def on_mount(self) -> None:
        register_themes(self)
        chosen = load_settings(on_problem=lambda text: self.notify(text, severity="warning")).theme
        if chosen in self.available_themes:
            self.theme = chosen
        self.theme_changed_signal.subscribe(self, lambda theme: save_settings(replace(load_settings(),
                                                                                      theme=theme.name)))
        self.sub_title = str(self.plan_path)
        self.load_session(self.plan_path)

    @work(thread=True, exclusive=True, exit_on_error=False, group="app.load", description="opening the plan")
    def load_session(self, plan_path: Path) -> None:
        """Open the plan, then hand the session to the thread that will own it (made here, off the UI)."""

        def progress(step: str) -> None:
            self.post_message(Progress(step))

        try:
            session = Session.open(plan_path, progress=progress)
            state = state_of(session)
        except AbmError as err:
            self.post_message(SessionFailed(str(err)))
            return
        self.post_message(SessionReady(SessionThread(session, state, read_only=self.read_only), state))

    @on(Progress)
    def show_progress(self, message: Progress) -> None:
        self.query_one("#loading-message", Static).update(f"Opening {self.plan_path}: {message.step} ...")

    @on(SessionReady)
    def show_workbench(self, message: SessionReady) -> None:
        state = message.state
        workbench = self.workbench = WorkbenchScreen(message.sessions, state, self.plan_path, writable=self.writable)
        self.push_screen(workbench)
        saved = None if self.read_only else autosave.read(self.plan_path, state.plan.base_dir)
        if saved is not None and saved[0] != state.plan:
            from abm_tui.tui.modals import RestoreAutosave

            def restore(yes: bool | None) -> None:
                """Ignoring keeps the autosave (escape means ignore): the next change replaces it."""
                if yes:
                    workbench.change(saved[0], "restored the autosaved plan")

            self.push_screen(RestoreAutosave(state.plan.name, saved[1]), restore)

    @on(SessionFailed)
    def show_error(self, message: SessionFailed) -> None:
        self.query_one(LoadingIndicator).display = False
        self.query_one("#loading-message", Static).update(f"Could not open the plan:\n\n{message.error}\n\nq quits.")

    # -- failures: the one handler ---------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Any worker of any screen that failed: said, never raised (every worker has exit_on_error=False)."""
        if event.state is WorkerState.ERROR:
            self.report_failure(failure_text(event.worker.description, event.worker.error))

    @on(WorkFailed)
    def session_work_failed(self, message: WorkFailed) -> None:
        self.report_failure(failure_text(message.description, message.error))

    def report_failure(self, text: str) -> None:
        self.notify(text, title="Something went wrong", severity="error", timeout=12)
        if self.workbench is not None and self.workbench.is_mounted:
            self.workbench.say(text)
        elif self.workbench is None and self.query("#loading-message"):
            self.query_one(LoadingIndicator).display = False
            self.query_one("#loading-message", Static).update(f"{text}\n\nq quits.")

    # -- quitting --------------------------------------------------------------------------------

    async def action_quit(self) -> None:
        """Textual's own quit (its palette command) asks about unsaved changes too."""
        self.action_quit_plan()

    def action_quit_plan(self) -> None:
        from abm_tui.tui.modals import ConfirmQuit

        workbench = self.workbench
        if workbench is None or not workbench.dirty:
            self.exit(0)
            return
        if isinstance(self.screen, ConfirmQuit):
            return  # already asking

        def answer(choice: str | None) -> None:
            if choice == "discard":
                autosave.clear(self.plan_path)
                self.exit(0)
            elif choice == "save":
                workbench.action_save(then=lambda: self.exit(0))

        self.push_screen(ConfirmQuit(workbench.state.plan.name), answer)

    def action_help(self) -> None:
        from abm_tui.tui.screens.account import AccountScreen
        from abm_tui.tui.screens.drill import DrillScreen
        from abm_tui.tui.screens.help import HelpScreen, bindings_of
        from abm_tui.tui.screens.icp import IcpScreen
        from abm_tui.tui.screens.movement import MovementScreen
        from abm_tui.tui.screens.review import ReviewScreen

        self.push_screen(HelpScreen(bindings_of(WorkbenchScreen, MovementScreen, ReviewScreen, IcpScreen, DrillScreen,
                                                AccountScreen, AbmApp, app=self)))


def run_app(plan_path: Path, *, writable: bool = True, read_only: bool = False) -> int:
    return AbmApp(plan_path, writable=writable, read_only=read_only).run() or 0
