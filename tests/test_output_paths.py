"""Where output goes: never outside --out, never into a file taken for a folder, and CSVs a spreadsheet cannot run
(issue 12.4, 12.5, 12.14). Through `cli.main` in this process, on real files and a real symlink."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from abm_tui import cli
from abm_tui.files import FORMULA_PREFIXES

REPO = Path(__file__).resolve().parent.parent


def demo_copy(folder: Path, edit: tuple[str, str] = ("", "")) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("accounts.csv", "engagement.parquet", "contacts.csv"):
        shutil.copy(REPO / "data" / name, folder / name)
    plan = folder / "plan.toml"
    plan.write_text((REPO / "data" / "plan.toml").read_text().replace(*edit))
    return plan


def main(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    capsys.readouterr()
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "internal error" not in err, err
    return status, out, err


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- 12.5: a symlink never leads a write or a removal outside --out --------------------------------


def test_a_linkedin_symlink_out_of_the_folder_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = demo_copy(tmp_path / "plan")
    out = tmp_path / "out"
    assert main(capsys, "export", plan, "--to", "linkedin", "--out", out)[0] == 0
    lists = sorted((out / "linkedin").iterdir())
    assert lists, "the first delivery wrote lists"
    # Someone's folder elsewhere, holding files named as the manifest's lists (the "stale" removal route too).
    elsewhere = tmp_path / "elsewhere"
    shutil.move(out / "linkedin", elsewhere)
    (out / "linkedin").symlink_to(elsewhere, target_is_directory=True)
    (elsewhere / "keep-me.csv").write_text("precious\n")
    before = tree(elsewhere)
    manifest = (out / "manifest.json").read_bytes()
    status, _, err = main(capsys, "export", plan, "--to", "linkedin", "--out", out)
    assert status == 1 and len(err.splitlines()) == 1
    assert f"is outside the output folder {out} (through {out / 'linkedin'})" in err
    assert tree(elsewhere) == before and (out / "manifest.json").read_bytes() == manifest
    # The same through `run`, whose plan exports to LinkedIn.
    set_to = demo_copy(tmp_path / "plan2", ("[data]", '[export]\nto = ["linkedin"]\n\n[data]'))
    status, _, err = main(capsys, "run", set_to, "--out", out, "--no-history")
    assert status == 1 and "is outside the output folder" in err
    assert tree(elsewhere) == before


def test_a_symlink_inside_the_folder_is_fine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = demo_copy(tmp_path / "plan")
    out = tmp_path / "out"
    (out / "lists").mkdir(parents=True)
    (out / "linkedin").symlink_to(out / "lists", target_is_directory=True)
    assert main(capsys, "export", plan, "--to", "linkedin", "--out", out)[0] == 0
    assert (out / "lists" / "lists.csv").is_file()


# --- 12.14: an output path that is a file, or a folder where a file is named ------------------------


def test_run_and_export_into_a_file_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = demo_copy(tmp_path)
    some = tmp_path / "some.csv"
    some.write_text("a,b\n")
    for argv in (("run", plan, "--out", some), ("export", plan, "--to", "hubspot", "--out", some)):
        status, _, err = main(capsys, *argv)
        assert (status, err) == (1, f"abm-tui: {some}: is a file, not a folder; expected a folder to write the "
                                    "files into\n"), argv
    below = some / "sub"
    status, _, err = main(capsys, "run", plan, "--out", below)
    assert (status, err) == (1, f"abm-tui: {below}: cannot write: {some} is a file, not a folder\n")
    assert some.read_text() == "a,b\n" and not (tmp_path / "history").exists()


def test_demo_review_and_init_paths_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    some = tmp_path / "some.csv"
    some.write_text("a,b\n")
    status, _, err = main(capsys, "demo", "--accounts", "50", "--out", some)
    assert status == 1 and err.count("\n") == 1 and f"{some} is a file, not a folder" in err

    plan = demo_copy(tmp_path / "plan")
    shutil.copytree(REPO / "data" / "history", tmp_path / "plan" / "history")
    status, _, err = main(capsys, "review", plan, "--out", some)
    assert (status, err.splitlines()[-1]) == (1, f"abm-tui: {some}: is a file, not a folder; expected a folder to "
                                                  "write the files into")

    folder = tmp_path / "a folder"
    folder.mkdir()
    status, _, err = main(capsys, "init", tmp_path / "plan" / "accounts.csv", "--out", folder, "--force")
    assert (status, err) == (1, f"abm-tui: {folder}: is a folder; expected the name of a file to write\n")
    assert some.read_text() == "a,b\n" and list(folder.iterdir()) == []


# --- 12.4: every CSV goes through the one formula-safe writer --------------------------------------


def test_review_csv_neutralises_formula_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = demo_copy(tmp_path, ('"Tier 1"', '"=Tier3()"'))
    status, _, err = main(capsys, "run", plan)
    assert status == 0, err
    text = plan.read_text()
    plan.write_text(text.replace("as_of = 2026-11-20", "as_of = 2026-11-27"))
    assert main(capsys, "run", plan)[0] == 0
    status, printed, _ = main(capsys, "review", plan, "--by", "tier", "--format", "csv", "--out", tmp_path / "rv")
    assert status == 0
    written = (tmp_path / "rv" / "review.csv").read_text()
    for text in (printed, written):
        cells = pl.read_csv(text.encode(), infer_schema=False).get_column("tier").to_list()
        assert "'=Tier3()" in cells
        assert not [c for c in cells if c.startswith(FORMULA_PREFIXES)]
    for name in ("assignments.csv", "movement.csv", "matrix.csv", "hubspot_companies.csv"):
        path = tmp_path / "exports" / name
        if path.exists():
            assert "'=Tier3()" in path.read_text(), name
            assert not any(line.startswith(FORMULA_PREFIXES) or ",=" in line for line in path.read_text().splitlines())
    status, printed, _ = main(capsys, "matrix", plan, "--format", "csv")
    assert status == 0 and printed.splitlines()[1].startswith("'=Tier3()")
