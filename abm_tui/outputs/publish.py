"""Everything one export writes, in one call, for `abm-tui run`, `abm-tui export` and the workbench.

The run's own files, the CRM and ad-platform files, the engagement rows that matched no account, what
moved since the last run, and the manifest that traces every file to the plan: one routine, so the
three ways to export can never disagree about what a folder holds.

A run is all or nothing for the output folder and the history. Every check and every computation that
can fail comes first; then the files are staged inside the output folder and moved into place, the
manifest last (files.stage and files.commit); the history snapshot is kept only after that. The output
folder (and the history folder) is locked for the whole of it, so two runs at once take turns, and the
next run finishes or discards whatever a killed one left.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from abm_tui.engine.segment import Matrix
from abm_tui.files import Content, commit, guard_inputs, inside, locked, recover, stage, write_text
from abm_tui.history.snapshots import history_folder
from abm_tui.history.weekly import Recorded, record_run
from abm_tui.ingest.load import LoadReport
from abm_tui.outputs.destinations import ExportContext, plan_delivery
from abm_tui.outputs.manifest import MANIFEST, manifest_text, provenance, read_manifest
from abm_tui.outputs.run_files import run_files as run_file_contents
from abm_tui.outputs.run_files import unmatched_file

if TYPE_CHECKING:
    from abm_tui.session import Session


@dataclass(frozen=True)
class Published:
    files: tuple[Path, ...]
    warnings: tuple[str, ...]
    manifest: Path
    notes: tuple[str, ...] = ()
    movement: str | None = None  # what moved since the last run, when the run keeps history


@dataclass(frozen=True)
class _Plan:
    """Everything a publish will write and remove, checked; nothing written yet."""

    files: tuple[tuple[str, Content], ...]
    stale: tuple[str, ...]
    warnings: tuple[str, ...]
    recorded: Recorded | None


def publish(context: ExportContext, matrix: Matrix, report: LoadReport, out_dir: Path, plan_file: Path | None,
            run_files: tuple[str, ...] = (), destinations: tuple[str, ...] = (),
            progress: Callable[[str], object] | None = None, history: Session | None = None) -> Published:
    """Write the chosen files into out_dir, all or nothing; `progress` hears each file's name before it is written.

    With `history` (the session `abm-tui run` segmented), the run's snapshot is kept in the plan's
    history folder and what moved since the last one is written beside the exports.
    """
    with locked(out_dir), _history_locked(history, out_dir):
        notes = recover(out_dir)
        if history is not None:
            notes += recover(history_folder(history.plan), depth=0)
        return _publish(context, matrix, report, out_dir, run_files, destinations, progress, history, notes)


@contextlib.contextmanager
def _history_locked(history: Session | None, out_dir: Path) -> Iterator[None]:
    """The history folder's lock, held from reading the last snapshot to keeping this one, so two identical runs
    at once keep one snapshot. One lock when the two folders are one."""
    if history is None or history_folder(history.plan).resolve() == out_dir.resolve():
        yield
        return
    with locked(history_folder(history.plan)):
        yield


def _publish(context: ExportContext, matrix: Matrix, report: LoadReport, out_dir: Path, run_files: tuple[str, ...],
             destinations: tuple[str, ...], progress: Callable[[str], object] | None, history: Session | None,
             notes: tuple[str, ...]) -> Published:
    planned = _planned(context, matrix, report, out_dir, run_files, destinations, history)
    names = [name for name, _ in planned.files]
    staging = stage(out_dir, planned.files, progress)
    try:
        prov = provenance(context.plan, context.as_of)
        write_text(staging / MANIFEST, manifest_text(out_dir, {n: staging / n for n in names}, prov, planned.stale))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    commit(out_dir, staging, [*names, MANIFEST], planned.stale)
    files = tuple(out_dir / name for name in names)
    if planned.recorded is None:
        return Published(files, planned.warnings, out_dir / MANIFEST, notes)
    planned.recorded.snapshot.keep()
    return Published(files, planned.warnings, out_dir / MANIFEST, notes + planned.recorded.notes,
                     planned.recorded.summary)


def _planned(context: ExportContext, matrix: Matrix, report: LoadReport, out_dir: Path, run_files: tuple[str, ...],
             destinations: tuple[str, ...], history: Session | None) -> _Plan:
    """Every file of this publish, drafted and checked: before the first byte is written, so a run that fails
    fails here and leaves the folder and the history as they were."""
    read_manifest(out_dir)  # a manifest abm-tui cannot read is never replaced
    files = run_file_contents(context.assignments, matrix, context.plan, out_dir, run_files)
    stale: list[str] = []
    warnings: list[str] = []
    for destination in destinations:
        delivery = plan_delivery(destination, context, out_dir)
        files.extend(delivery.files)
        stale.extend(delivery.stale)
        warnings.extend(f"{destination}: {warning}" for warning in delivery.warnings)
    files.extend(unmatched_file(report))
    recorded = record_run(history, context.assignments) if history is not None else None
    if recorded is not None:
        files.extend(recorded.files)
    touched = [*(name for name, _ in files), *stale, MANIFEST]
    inside(out_dir, touched)
    guard_inputs([out_dir / name for name in touched], set(context.inputs))
    return _Plan(tuple(files), tuple(stale), tuple(warnings), recorded)
