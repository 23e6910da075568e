"""Every change to a plan is kept in the user's state folder until it is saved or discarded.

A terminal closed by accident, a dropped SSH session or a crash must not cost a planner an
hour of tweaks: reopening the plan offers what was autosaved when it differs from the file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from abm_tui.errors import AbmError
from abm_tui.files import write_text
from abm_tui.plan.dump import dumps_plan
from abm_tui.plan.model import Plan
from abm_tui.plan.parse import loads_plan
from abm_tui.userstate.settings import state_dir


def path_for(plan_path: Path) -> Path:
    """One autosave per plan file, named after a hash of its full path."""
    digest = hashlib.sha256(str(plan_path.resolve()).encode()).hexdigest()[:16]
    return state_dir() / "autosave" / f"{plan_path.stem}-{digest}.toml"


def write(plan_path: Path, plan: Plan) -> Path:
    return write_text(path_for(plan_path), dumps_plan(plan))


def read(plan_path: Path, base_dir: Path) -> tuple[Plan, dt.datetime] | None:
    """The autosaved plan and when it was written, or None if there is none or it no longer loads."""
    saved = path_for(plan_path)
    if not saved.is_file():
        return None
    try:
        plan = loads_plan(saved.read_text(encoding="utf-8"), str(saved), base_dir)
    except (AbmError, OSError):
        return None
    return plan, dt.datetime.fromtimestamp(saved.stat().st_mtime)


def clear(plan_path: Path) -> None:
    path_for(plan_path).unlink(missing_ok=True)
