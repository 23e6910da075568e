"""Every change to a plan is kept in the user's state folder until it is saved or discarded.

A terminal closed by accident, a dropped SSH session or a crash must not cost a planner an
hour of tweaks: reopening the plan offers what was autosaved when it differs from the file.
Autosave never stops work: a state folder that cannot be written is a Problem the caller says once,
as `settings.py` does for settings, and the planner goes on (saving with ctrl+s still works).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from pathlib import Path

from abm_tui.errors import AbmError, Problem
from abm_tui.files import write_text
from abm_tui.plan.dump import dumps_plan
from abm_tui.plan.model import Plan
from abm_tui.plan.parse import loads_plan
from abm_tui.plan.paths import data_paths
from abm_tui.userstate.settings import state_dir


def path_for(plan_path: Path) -> Path:
    """One autosave per plan file, named after a hash of its full path."""
    digest = hashlib.sha256(str(plan_path.resolve()).encode()).hexdigest()[:16]
    return state_dir() / "autosave" / f"{plan_path.stem}-{digest}.toml"


def write(plan_path: Path, plan: Plan) -> Problem | None:
    """Keep `plan` as the autosave of `plan_path`; None when written, else why not (never raised)."""
    try:
        write_text(path_for(plan_path), dumps_plan(plan))
    except AbmError as err:
        return Problem("autosave", str(err))
    return None


def read(plan_path: Path, base_dir: Path) -> tuple[Plan, dt.datetime] | None:
    """The autosaved plan and when it was written, or None if there is none, it no longer loads, or its data files
    are gone (read from the plan's folder): offering what cannot be restored would only fail after the yes."""
    saved = path_for(plan_path)
    if not saved.is_file():
        return None
    try:
        plan = loads_plan(saved.read_text(encoding="utf-8"), str(saved), base_dir)
    except (AbmError, OSError):
        return None
    if not all(path.is_file() for path in data_paths(plan)):
        return None
    return plan, dt.datetime.fromtimestamp(saved.stat().st_mtime)


def clear(plan_path: Path) -> None:
    """Forget the autosave; one that cannot be removed (its folder is unreadable) is left, never raised:
    the next autosave replaces it, and reopening offers it only when it differs from the file."""
    with contextlib.suppress(OSError):
        path_for(plan_path).unlink(missing_ok=True)
