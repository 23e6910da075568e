"""The weekly run's memory: keep this run's snapshot, compare it with the last one, say what moved.

`abm-tui run` is what a scheduler calls every week, so what it prints at the end, and the
`movement.md` it writes, are sized for a log line or a team chat; `movement.csv` holds every account
that moved, with the reason, for whoever works the list.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from abm_tui.errors import AbmError
from abm_tui.files import guard_inputs, write_csv, write_text
from abm_tui.history.diff import between
from abm_tui.history.movement import changes_frame, summary
from abm_tui.history.snapshots import history_folder, keep, list_snapshots
from abm_tui.plan.changes import describe_changes
from abm_tui.plan.model import Plan

if TYPE_CHECKING:
    import polars as pl

    from abm_tui.session import Session

MOVEMENT_FILES = ("movement.md", "movement.csv")


@dataclass(frozen=True)
class Recorded:
    files: tuple[Path, ...]
    notes: tuple[str, ...]
    summary: str  # what moved since the last snapshot, or why there is nothing to compare yet


def check_history(plan: Plan) -> None:
    """Read the history before a run writes anything, so a damaged snapshot stops the run with nothing half-done."""
    try:
        list_snapshots(history_folder(plan))
    except AbmError as err:
        raise AbmError(f"{err}; move it out of the history folder, or run with --no-history") from err


def record_run(session: Session, assignments: pl.DataFrame, inputs: frozenset[Path], out_dir: Path) -> Recorded:
    """Keep the snapshot, then write movement.md and movement.csv against the snapshot before it.

    `inputs` are the plan's own files, which the movement files must never replace."""
    kept = keep(session, assignments)
    current = kept.current
    targets = [out_dir / name for name in MOVEMENT_FILES]
    guard_inputs(targets, set(inputs))
    if kept.previous is None:
        text = (f"{session.plan.name}: no snapshot before {current.as_of} in {current.path.parent} to compare "
                "with; the next run will show what moved since this one")
        return Recorded((write_text(targets[0], text + "\n"),), kept.notes, text)
    result = between(kept.previous, current)
    said = tuple(c for c in result.changes if c.section != "as_of")  # the dates head the summary already
    text = summary(result.movement, session.plan.name)
    if said:
        text += "\nplan changes since then:\n" + describe_changes(said)
    text += "".join(f"\nnote: {note}" for note in result.notes)
    markdown = f"# What moved\n\n```\n{text}\n```\n"
    files = (write_text(targets[0], markdown), write_csv(changes_frame(result.movement), targets[1]))
    return Recorded(files, kept.notes, text)
