"""The workbench app: loads the session in a worker (showing each step), then the workbench.

The app owns what outlives a screen: themes and the remembered choice, the quit prompt, help,
and the command palette, which offers every action of the screen in front.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, LoadingIndicator, Static

from abm_tui.errors import AbmError
from abm_tui.session import Session
from abm_tui.tui.screens.workbench import WorkbenchScreen
from abm_tui.tui.themes import register_themes
from abm_tui.userstate import autosave
from abm_tui.userstate.settings import load_settings, save_settings


class SessionReady(Message):
    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session


class SessionFailed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class Progress(Message):
    def __init__(self, step: str) -> None:
        super().__init__()
        self.step = step


class AbmApp(App[int]):
    """Opening shows progress at once; the data loads in a thread so the terminal never freezes."""

    CSS_PATH = "styles/app.tcss"
    TITLE = "abm-tui"
    HELP_TITLE = "Anywhere"
    BINDINGS = [
        Binding("q", "quit_plan", "Quit", id="quit", tooltip="Leave abm-tui (asks about unsaved changes)"),
        Binding("question_mark,f1", "help", "Help", id="help", tooltip="Keys for every screen"),
    ]

    def __init__(self, plan_path: Path, *, writable: bool = True) -> None:
        super().__init__()
        self.plan_path = plan_path
        self.writable = writable
        self.session: Session | None = None

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
        self.load_session()

    @work(thread=True, exclusive=True, group="load")
    def load_session(self) -> None:
        try:
            session = Session.open(self.plan_path, progress=lambda step: self.post_message(Progress(step)))
        except AbmError as err:
            self.post_message(SessionFailed(str(err)))
            return
        self.post_message(SessionReady(session))

    @on(Progress)
    def show_progress(self, message: Progress) -> None:
        self.query_one("#loading-message", Static).update(f"Opening {self.plan_path}: {message.step} ...")

    @on(SessionReady)
    def show_workbench(self, message: SessionReady) -> None:
        self.session = session = message.session
        workbench = WorkbenchScreen(session, self.plan_path, writable=self.writable)
        self.push_screen(workbench)
        saved = autosave.read(self.plan_path, session.plan.base_dir)
        if saved is not None and saved[0] != session.plan:
            from abm_tui.tui.modals import RestoreAutosave

            def restore(yes: bool | None) -> None:
                """Ignoring keeps the autosave (escape means ignore): the next change replaces it."""
                if yes:
                    workbench.change(saved[0], "restored the autosaved plan")

            self.push_screen(RestoreAutosave(session.plan.name, saved[1]), restore)

    @on(SessionFailed)
    def show_error(self, message: SessionFailed) -> None:
        self.query_one(LoadingIndicator).display = False
        self.query_one("#loading-message", Static).update(f"Could not open the plan:\n\n{message.error}\n\nq quits.")

    def action_quit_plan(self) -> None:
        session = self.session
        if session is None or not session.dirty:
            self.exit(0)
            return
        from abm_tui.tui.modals import ConfirmQuit

        def answer(choice: str | None) -> None:
            if choice == "discard":
                autosave.clear(self.plan_path)
                self.exit(0)
            elif choice == "save" and isinstance(self.screen, WorkbenchScreen):
                self.screen.action_save(then=lambda: self.exit(0))

        self.push_screen(ConfirmQuit(session.plan.name), answer)

    def action_help(self) -> None:
        from abm_tui.tui.screens.account import AccountScreen
        from abm_tui.tui.screens.drill import DrillScreen
        from abm_tui.tui.screens.help import HelpScreen, bindings_of
        from abm_tui.tui.screens.movement import MovementScreen
        from abm_tui.tui.screens.review import ReviewScreen

        self.push_screen(HelpScreen(bindings_of(WorkbenchScreen, MovementScreen, ReviewScreen, DrillScreen,
                                                AccountScreen, AbmApp, app=self)))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every action of the screen in front, named as in the footer, plus Textual's own."""
        yield from super().get_system_commands(screen)
        for binding in (*screen.BINDINGS, *self.BINDINGS):
            if isinstance(binding, Binding) and binding.description:
                target = screen if binding in screen.BINDINGS else self
                yield SystemCommand(
                    f"{binding.description} ({binding.key.split(',')[0]})",
                    binding.tooltip or binding.description,
                    lambda target=target, action=binding.action: self.run_action(action, target),
                )


def run_app(plan_path: Path, *, writable: bool = True) -> int:
    return AbmApp(plan_path, writable=writable).run() or 0
