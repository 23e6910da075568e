"""abm-tui: Account-Based Marketing segmentation in the terminal, and as a library.

The public API for notebooks and scripts (no Textual import):

    from abm_tui import Session, load_plan, save_plan, edits
    session = Session.open("plan.toml")
    session.matrix().to_frame()
    session.apply(edits.set_test(session.plan, "tiers", 0, "fit_score", "min", 70))
    session.assignments()

Names are imported on first use, so `abm-tui --help` does not wait for Polars.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from abm_tui.version import __version__ as __version__  # re-exported: abm_tui.__version__

if TYPE_CHECKING:
    from abm_tui.engine.segment import Assignment, Matrix
    from abm_tui.errors import AbmError, PlanError, Problem
    from abm_tui.plan import edits
    from abm_tui.plan.dump import dumps_plan, save_plan
    from abm_tui.plan.model import Plan
    from abm_tui.plan.parse import load_plan, loads_plan
    from abm_tui.session import Session

_HOMES = {
    "edits": "abm_tui.plan.edits",
    "AbmError": "abm_tui.errors",
    "PlanError": "abm_tui.errors",
    "Problem": "abm_tui.errors",
    "Plan": "abm_tui.plan.model",
    "dumps_plan": "abm_tui.plan.dump",
    "load_plan": "abm_tui.plan.parse",
    "loads_plan": "abm_tui.plan.parse",
    "save_plan": "abm_tui.plan.dump",
    "Assignment": "abm_tui.engine.segment",
    "Matrix": "abm_tui.engine.segment",
    "Session": "abm_tui.session",
}
__all__ = [
    "AbmError",
    "Assignment",
    "Matrix",
    "Plan",
    "PlanError",
    "Problem",
    "Session",
    "dumps_plan",
    "edits",
    "load_plan",
    "loads_plan",
    "save_plan",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'abm_tui' has no attribute {name!r}")
    module = importlib.import_module(home)
    value = module if home.endswith(f".{name}") else getattr(module, name)
    globals()[name] = value
    return value
