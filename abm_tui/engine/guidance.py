"""Segment-size guidance from the seeds, checked against the current matrix.

1:1 programmes cannot personalise for more than about 50 accounts, and a 1:many list of more
than 1,000 is no longer account-based marketing; a planner should see that the moment a tweak
crosses the line, not at the quarterly review.
"""

from __future__ import annotations

from abm_tui.engine.segment import Matrix
from abm_tui.plan.model import Plan

LIMITS = {"1:1": 50, "1:many": 1000}


def size_warnings(plan: Plan, matrix: Matrix) -> list[str]:
    """One line per tier whose size breaks the guidance for its motion (rows must be tiers)."""
    warnings = []
    for tier in plan.tiers:
        limit = LIMITS.get((tier.motion or "").replace(" ", "").lower())
        if limit is None or tier.name not in matrix.rows:
            continue
        size = int(matrix.values[matrix.rows.index(tier.name)].sum())
        if size > limit:
            warnings.append(f"{tier.name} ({tier.motion}) has {size:,} accounts; the guidance is at most {limit:,}")
    return warnings
