"""Shared fixtures: every test's user folders isolated, and a generated demo set written once per run."""

from __future__ import annotations

from pathlib import Path

import pytest

from abm_tui.onboarding.demo import write_demo
from abm_tui.session import Session

REPO = Path(__file__).resolve().parent.parent
BUNDLED_PLAN = REPO / "data" / "plan.toml"


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
