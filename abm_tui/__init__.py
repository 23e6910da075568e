"""abm-tui: Account-Based Marketing segmentation in the terminal, and as a library.

The public API for notebooks and scripts (no Textual import):

    from abm_tui import Session, load_plan, save_plan, edits
    session = Session.open("plan.toml")
    session.matrix().to_frame()
    session.apply(edits.set_test(session.plan, "tiers", 0, "fit_score", "min", 70))
    session.assignments()
"""

from abm_tui.core import edits
from abm_tui.core.errors import AbmError, PlanError, Problem
from abm_tui.core.plan import Plan, dumps_plan, load_plan, loads_plan, save_plan
from abm_tui.core.segment import Assignment, Matrix
from abm_tui.core.session import Session

__all__ = [
    "AbmError", "Assignment", "Matrix", "Plan", "PlanError", "Problem", "Session",
    "dumps_plan", "edits", "load_plan", "loads_plan", "save_plan",
]
__version__ = "0.1.0"
