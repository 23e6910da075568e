"""Shared fixtures: every test's user folders isolated, the real public data found one way, and a generated demo set
written once per run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from _pytest.mark.expression import Expression

from abm_tui.onboarding.demo import write_demo
from abm_tui.session import Session

REPO = Path(__file__).resolve().parent.parent
BUNDLED_PLAN = REPO / "data" / "plan.toml"


def realdata_folder() -> Path:
    """The real public company files: `$ABM_TUI_REALDATA`, else `shared/realdata` beside the checkout, as in the
    workspace. The one place the path is spelled, so a checkout elsewhere points one variable at it."""
    override = os.environ.get("ABM_TUI_REALDATA")
    return Path(override) if override else REPO.parent / "shared" / "realdata"


def _asks_for(markexpr: str, marks: set[str], mark: str) -> bool:
    """Whether `-m markexpr` selects a test with `marks` only because it carries `mark` (as `-m realdata` does, and
    `-m "not tui"` does not)."""
    if not markexpr:
        return False
    expression = Expression.compile(markexpr)
    return expression.evaluate(lambda name, **_: name in marks) and not expression.evaluate(
        lambda name, **_: name in marks - {mark}
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test that reads the real data carries the marker, so `-m "not realdata"` leaves out every one of them."""
    unmarked = [
        item.nodeid
        for item in items
        if "realdata" in getattr(item, "fixturenames", ()) and item.get_closest_marker("realdata") is None
    ]
    if unmarked:
        raise pytest.UsageError(f"these tests use the realdata fixture without the realdata marker: {unmarked}")


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Without the real data a realdata test is skipped, except when it was asked for (`-m realdata`): then a missing
    folder is a failure, so CI that means to read the data cannot pass without it."""
    if item.get_closest_marker("realdata") is None:
        return
    folder = realdata_folder()
    if folder.is_dir():
        return
    marks = {mark.name for mark in item.iter_markers()}
    reason = f"{folder} is not a folder (set ABM_TUI_REALDATA to the real public data)"
    if _asks_for(item.config.option.markexpr, marks, "realdata"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def realdata() -> Path:
    """The folder of real public company files (see `realdata_folder`); tests that take it carry `realdata`."""
    return realdata_folder()


@pytest.fixture(autouse=True)
def private_user_folders(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings, autosaves and caches of every test live in a folder of its own, never the developer's."""
    home = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("ABM_TUI_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("ABM_TUI_STATE_DIR", str(home / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg-config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "xdg-state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "xdg-cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "xdg-data"))
    return home


@pytest.fixture(autouse=True)
def notifications_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every notification an app raises is kept on it (`tests.pilot.notices`): Textual drops one when its
    timeout passes, and on a loaded machine a test can take longer than that to look."""
    from textual.app import App

    raise_notification = App.notify

    def notify(self: App[object], message: object, *args: object, **kwargs: object) -> None:
        self.__dict__.setdefault("recorded_notices", []).append(str(message))
        raise_notification(self, message, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(App, "notify", notify)


@pytest.fixture(autouse=True)
def still_cursors(monkeypatch: pytest.MonkeyPatch) -> None:
    """Text cursors do not blink in tests: a screenshot or a wait for idle never depends on the clock."""
    from textual.widgets import Input, TextArea

    for widget in (Input, TextArea):
        monkeypatch.setattr(widget.cursor_blink, "_default", False)


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 generated accounts with engagement, and the default plan pointing at them."""
    out = tmp_path_factory.mktemp("demo")
    write_demo(out, accounts=3000, events=60_000, seed=11)
    return out


@pytest.fixture(scope="session")
def demo_plan_path(demo_dir: Path) -> Path:
    return demo_dir / "plan.toml"


@pytest.fixture()
def demo_session(demo_plan_path: Path) -> Session:
    return Session.open(demo_plan_path)


@pytest.fixture()
def plan_copy(demo_plan_path: Path, tmp_path: Path) -> Path:
    """A writable copy of the demo plan in the test's folder, reading the shared demo data."""
    from abm_tui.plan.dump import save_plan
    from abm_tui.plan.parse import load_plan
    from abm_tui.plan.paths import relocated

    path = tmp_path / "plan.toml"
    save_plan(relocated(load_plan(demo_plan_path), tmp_path), path)
    return path
