"""Shared fixtures: a generated demo set written to disk once per test run, as a planner would have it."""

from __future__ import annotations

from pathlib import Path

import pytest

from abm_tui.onboarding.demo import write_demo  # noqa: E402
from abm_tui.session import Session

REPO = Path(__file__).resolve().parent.parent
BUNDLED_PLAN = REPO / "data" / "plan.toml"


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
