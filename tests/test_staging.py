"""A run is all or nothing for its output folder and the history (issue 12.6, 12.7).

Every check that can fail happens before a byte is written; files are staged inside the output folder and
moved into place, the manifest last; the snapshot is kept after that; the next run finishes or discards
what a killed one left; two runs at once keep one snapshot. Through `cli.main`, on the bundled demo.
"""

from __future__ import annotations

import errno
import hashlib
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from abm_tui import cli, files
from abm_tui.files import JOURNAL, STAGING_PREFIX

REPO = Path(__file__).resolve().parent.parent
EXPORT_TO = '\n[export]\nto = ["hubspot", "salesforce", "linkedin"]\n'


def demo_copy(folder: Path, extra: str = EXPORT_TO) -> Path:
    """The bundled demo's plan and data, without its history, exporting to every CRM and LinkedIn."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("accounts.csv", "engagement.parquet", "contacts.csv"):
        shutil.copy(REPO / "data" / name, folder / name)
    plan = folder / "plan.toml"
    plan.write_text((REPO / "data" / "plan.toml").read_text() + extra)
    return plan


def set_as_of(plan: Path, as_of: str) -> None:
    text = plan.read_text()
    old = next(line for line in text.splitlines() if line.startswith("as_of = "))
    plan.write_text(text.replace(old, f"as_of = {as_of}"))


def run(plan: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = cli.main(["run", str(plan), "--out", str(plan.parent / "exports"), *flags])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "internal error" not in err, err
    return status, out, err


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` by relative name, with its bytes."""
    if not folder.exists():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def check_complete(out: Path) -> str:
    """The folder is one complete set: every manifest entry's hash matches and every file but the manifest has an
    entry, every Parquet file reads, nothing staged or temporary is left. Returns the manifest's plan hash."""
    manifest = json.loads((out / "manifest.json").read_text())
    listed = {entry["name"]: entry for entry in manifest["files"]}
    present = set(tree(out)) - {"manifest.json"}
    assert present == set(listed), (present ^ set(listed))
    for name, entry in listed.items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == entry["sha256"], name
        if name.endswith(".parquet"):
            pl.read_parquet(out / name)
    return manifest["plan_hash"]


def check_history(history: Path) -> list[str]:
    """Only complete snapshots in the history folder, and nothing else; their names."""
    names = sorted(p.name for p in history.iterdir()) if history.exists() else []
    for name in names:
        assert name.endswith(".parquet") and not name.startswith("."), name
        assert pl.read_parquet_metadata(history / name).get("abm_tui.snapshot"), name
        pl.read_parquet(history / name)
    return names


# --- late failures change nothing ----------------------------------------------------------------


@pytest.mark.parametrize("input_name", ["movement.csv", "movement.md", "unmatched_engagement.csv"])
def test_an_input_named_like_a_late_file_refuses_before_writing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], input_name: str
) -> None:
    plan = demo_copy(tmp_path)
    assert run(plan, capsys)[0] == 0
    out = tmp_path / "exports"
    shutil.copy(tmp_path / "accounts.csv", out / input_name)
    text = plan.read_text().replace('accounts = "accounts.csv"', f'accounts = "exports/{input_name}"')
    plan.write_text(text)
    set_as_of(plan, "2026-11-27")
    before, history = tree(out), tree(tmp_path / "history")
    status, _, err = run(plan, capsys)
    assert status == 1 and f"{input_name}: is an input of this plan" in err and len(err.splitlines()) == 1
    assert tree(out) == before and tree(tmp_path / "history") == history


def test_a_foreign_manifest_refuses_before_writing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = demo_copy(tmp_path)
    out = tmp_path / "exports"
    out.mkdir()
    (out / "manifest.json").write_text('{"something": "else"}\n')
    status, _, err = run(plan, capsys)
    assert status == 1 and "manifest.json: is not a manifest abm-tui can read" in err
    assert tree(out) == {"manifest.json": b'{"something": "else"}\n'}
    assert not (tmp_path / "history").exists() or not list((tmp_path / "history").iterdir())


def test_a_failure_while_drafting_leaves_no_new_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`demo_request = inf` is refused when the plan is read now; a damaged snapshot is the late failure left."""
    plan = demo_copy(tmp_path)
    (tmp_path / "history").mkdir()
    (tmp_path / "history" / "2026-11-13.parquet").write_bytes(b"PAR1 not really")
    status, _, err = run(plan, capsys)
    assert status == 1 and "2026-11-13.parquet: not a Parquet file" in err and "--no-history" in err
    assert not (tmp_path / "exports").exists()


def test_a_folder_where_a_file_goes_refuses_before_writing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = demo_copy(tmp_path)
    assert run(plan, capsys)[0] == 0
    set_as_of(plan, "2026-11-27")
    out = tmp_path / "exports"
    (out / "movement.md").unlink()
    (out / "movement.md").mkdir()
    before, history = tree(out), tree(tmp_path / "history")
    status, _, err = run(plan, capsys)
    assert status == 1 and err == f"abm-tui: {out / 'movement.md'}: is a folder where this run writes a file; " \
        "move it away or choose another --out folder\n"
    assert tree(out) == before and tree(tmp_path / "history") == history


def test_a_failed_move_is_finished_by_the_next_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's sequence: the failed run kept no snapshot, so the rerun writes movement.csv as well."""
    plan = demo_copy(tmp_path)
    assert run(plan, capsys)[0] == 0
    set_as_of(plan, "2026-11-27")
    out = tmp_path / "exports"
    real = files.os.replace
    moves = []

    def fail_third(source: object, target: object) -> None:
        moves.append(target)
        if len(moves) == 3:
            raise OSError(errno.EIO, "Input/output error")
        real(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(files.os, "replace", fail_third)
    status, _, err = run(plan, capsys)
    assert status == 1 and "cannot write: input/output error" in err and len(err.splitlines()) == 1
    assert check_history(tmp_path / "history") == ["2026-11-20.parquet"]
    monkeypatch.setattr(files.os, "replace", real)
    status, text, _ = run(plan, capsys)
    assert status == 0 and "finished the moves of an interrupted run" in text and "already holds" not in text
    check_complete(out)
    assert (out / "movement.csv").is_file()
    assert check_history(tmp_path / "history") == ["2026-11-20.parquet", "2026-11-27.parquet"]


# --- what a killed run leaves is finished or discarded -------------------------------------------


def test_a_staging_folder_without_its_journal_is_discarded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = demo_copy(tmp_path)
    assert run(plan, capsys)[0] == 0
    out = tmp_path / "exports"
    before = tree(out)
    left = out / f"{STAGING_PREFIX}abcd1234"
    (left / "linkedin").mkdir(parents=True)
    (left / "assignments.csv").write_text("half")
    (left / "linkedin" / "tier-1.csv").write_text("half")
    (out / ".assignments.csv.k2j4_x9a.tmp").write_text("half")
    (out / "linkedin" / ".lists.csv.0abcdefg.tmp").write_text("half")
    (tmp_path / "history" / ".2026-11-20.parquet.zz99aa11.tmp").write_text("half")
    assert tree(out) != before
    status, text, _ = run(plan, capsys)
    assert status == 0 and "left by an interrupted run" in text and "left by an interrupted write" in text
    after = tree(out)
    assert after.pop("manifest.json") and after == {k: v for k, v in before.items() if k != "manifest.json"}
    check_complete(out)
    assert check_history(tmp_path / "history") == ["2026-11-20.parquet"]


def test_a_journal_is_finished_by_the_next_run(tmp_path: Path) -> None:
    """Killed in the middle of the moves: the journal is there, some files are moved; recovery moves the rest."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.csv").write_text("old a\n")
    (out / "gone.csv").write_text("stale\n")
    staging = files.stage(out, [("a.csv", "new a\n"), ("sub/b.csv", "new b\n"), ("manifest.json", "{}\n")])
    files.write_text(staging / JOURNAL, json.dumps({"move": ["a.csv", "sub/b.csv", "manifest.json"],
                                                     "remove": ["gone.csv"]}))
    (out / "sub").mkdir()
    (staging / "sub" / "b.csv").rename(out / "sub" / "b.csv")  # the kill came after the first move
    notes = files.recover(out)
    assert notes == (f"{out}: finished the moves of an interrupted run",)
    assert tree(out) == {"a.csv": b"new a\n", "sub/b.csv": b"new b\n", "manifest.json": b"{}\n"}


def test_two_identical_runs_at_once_keep_one_snapshot(tmp_path: Path) -> None:
    plan = demo_copy(tmp_path, "")
    statuses: list[int] = []
    runs = [threading.Thread(target=lambda: statuses.append(cli.main(["run", str(plan)]))) for _ in range(3)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join()
    assert statuses == [0, 0, 0]
    assert check_history(tmp_path / "history") == ["2026-11-20.parquet"]
    check_complete(tmp_path / "exports")


# --- a full disk or a folder that cannot be written ------------------------------------------------


def test_a_full_disk_is_said_as_such_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = demo_copy(tmp_path)
    assert run(plan, capsys)[0] == 0
    set_as_of(plan, "2026-11-27")
    out = tmp_path / "exports"
    before, history = tree(out), tree(tmp_path / "history")
    real = pl.DataFrame.write_csv
    calls = []

    def full_after_two(frame: pl.DataFrame, file: object = None, **kwargs: object) -> object:
        calls.append(file)
        if file is not None and len(calls) > 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(frame, file, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pl.DataFrame, "write_csv", full_after_two)
    status, _, err = run(plan, capsys)
    assert status == 1 and err.count("\n") == 1
    assert err.startswith(f"abm-tui: {out}/") and err.rstrip().endswith("cannot write: no space left on device")
    assert tree(out) == before and tree(tmp_path / "history") == history


def _writes_are_blocked(folder: Path) -> bool:
    probe = folder / "probe"
    try:
        probe.write_text("x")
    except PermissionError:
        return True
    probe.unlink()
    return False


def test_a_read_only_folder_is_said_as_such(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """chmod where it blocks writes; as root it does not, so the OSError is injected at the write layer then."""
    plan = demo_copy(tmp_path)
    out = tmp_path / "exports"
    out.mkdir()
    out.chmod(0o555)
    try:
        if not _writes_are_blocked(out):
            def refuse(*args: object, **kwargs: object) -> str:
                raise PermissionError(errno.EACCES, "Permission denied")

            monkeypatch.setattr(files.tempfile, "mkdtemp", refuse)
        status, _, err = run(plan, capsys)
    finally:
        out.chmod(0o755)
    assert status == 1 and err == f"abm-tui: {out}: cannot write: permission denied\n"
    assert tree(out) == {} and not (tmp_path / "history").exists()


@pytest.fixture()
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 32 MB tmpfs (a demo run with its contacts writes about 12 MB), where the machine lets the tests mount
    one (root in a container with the right); the injected-error tests above cover the rest."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def fill(disk: Path, leave: int) -> None:
    """Take the disk's free space down to `leave` bytes."""
    free = shutil.disk_usage(disk).free
    (disk / "filler").write_bytes(b"\0" * max(free - leave, 0))


def test_a_really_full_output_disk_keeps_the_old_set(
    tiny_disk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = demo_copy(tmp_path / "plan")
    out = tiny_disk / "exports"
    assert cli.main(["run", str(plan), "--out", str(out)]) == 0
    set_as_of(plan, "2026-11-27")
    before, history = tree(out), tree(tmp_path / "plan" / "history")
    fill(tiny_disk, 1_000_000)
    capsys.readouterr()
    status = cli.main(["run", str(plan), "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 1 and err.count("\n") == 1 and err.rstrip().endswith("cannot write: no space left on device")
    assert tree(out) == before and tree(tmp_path / "plan" / "history") == history
    check_complete(out)


def test_a_really_full_history_disk_is_one_line(
    tiny_disk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The snapshot, a Parquet file, is written last; Polars says a full disk as a ComputeError."""
    plan = demo_copy(tmp_path / "plan", f'\n[history]\nfolder = "{tiny_disk / "history"}"\n')
    fill(tiny_disk, 100_000)
    capsys.readouterr()
    status = cli.main(["run", str(plan)])
    err = capsys.readouterr().err
    assert (status, err) == (1, f"abm-tui: {tiny_disk / 'history' / '2026-11-20.parquet'}: cannot write: no space "
                                "left on device\n")
    assert not (tiny_disk / "history").exists(), "the history folder this run made is gone again"
    check_complete(tmp_path / "plan" / "exports")
