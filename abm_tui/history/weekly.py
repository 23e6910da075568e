"""The weekly run's memory: keep this run's snapshot, compare it with the last one, say what moved.

`abm-tui run` is what a scheduler calls every week, so what it prints at the end, and the
`movement.md` it writes, are sized for a log line or a team chat; `movement.csv` holds every account
that moved, with the reason, for whoever works the list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from abm_tui.errors import AbmError
from abm_tui.files import Content
from abm_tui.history.diff import checked_frame, compare_sides
from abm_tui.history.movement import changes_frame, summary
from abm_tui.history.snapshots import Pending, pending
from abm_tui.plan.changes import describe_changes

if TYPE_CHECKING:
    import polars as pl

    from abm_tui.session import Session

MOVEMENT_FILES = ("movement.md", "movement.csv")


@dataclass(frozen=True)
class Recorded:
    """What the run will add to the history and write beside its exports, worked out before anything is written."""

    snapshot: Pending
    files: tuple[tuple[str, Content], ...]  # movement.md and movement.csv, by name in the output folder
    notes: tuple[str, ...]
    summary: str  # what moved since the last snapshot, or why there is nothing to compare yet


def record_run(session: Session, assignments: pl.DataFrame) -> Recorded:
    """This run's snapshot, and movement.md and movement.csv against the snapshot before it; nothing is written
    (hold `locked(history_folder(plan))` until the snapshot is kept). A damaged snapshot stops the run here."""
    try:
        kept = pending(session, assignments)
    except AbmError as err:
        raise AbmError(f"{err}; move it out of the history folder, or run with --no-history") from err
    if kept.previous is None:
        text = (f"{session.plan.name}: no snapshot before {kept.as_of} in {kept.folder} to compare "
                "with; the next run will show what moved since this one")
        return Recorded(kept, ((MOVEMENT_FILES[0], text + "\n"),), kept.notes, text)
    previous = kept.previous
    result = compare_sides(checked_frame(previous), kept.frame, (previous.label, kept.label),
                           (previous.plan(), kept.plan), ())
    said = tuple(c for c in result.changes if c.section != "as_of")  # the dates head the summary already
    text = summary(result.movement, session.plan.name)
    if said:
        text += "\nplan changes since then:\n" + describe_changes(said)
    text += "".join(f"\nnote: {note}" for note in result.notes)
    markdown = f"# What moved\n\n```\n{text}\n```\n"
    files = ((MOVEMENT_FILES[0], markdown), (MOVEMENT_FILES[1], changes_frame(result.movement)))
    return Recorded(kept, files, kept.notes, text)
