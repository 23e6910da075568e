"""`abm-tui deck`: its numbers against `abm-tui matrix`, `review` and `icp` run in-process, what it says without
history, a folder it cannot write, a file it did not write, its start-up cost to other commands, and the page as a
real headless Chromium draws it."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from abm_tui import cli

CHROMIUM = Path("/usr/bin/chromium")


def abm(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Runs `abm-tui ARGV` in this process: its status, stdout and stderr."""
    capsys.readouterr()
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def printed(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """What `abm-tui ARGV` prints, run in this process, which must succeed."""
    status, out, err = abm(capsys, *argv)
    assert status == 0, err
    return out


def markdown_table(deck: Path | str, first_header: str) -> list[list[str]]:
    """The rows (header first, rule left out) of the Markdown table whose first header cells are `first_header`, in
    deck.md of the folder `deck` or in the text `deck`."""
    text = (deck / "deck.md").read_text(encoding="utf-8") if isinstance(deck, Path) else deck
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |"))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]])
    return [rows[0], *rows[2:]]


@pytest.fixture(scope="module")
def deck(demo_plan_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo plan's deck (three weekly snapshots, CRM outcomes), written once for the module."""
    out = tmp_path_factory.mktemp("deck")
    assert cli.main(["deck", str(demo_plan_path), "--out", str(out)]) == 0
    return out


@pytest.mark.cli
def test_the_deck_writes_the_page_the_markdown_and_its_charts(deck: Path) -> None:
    page = (deck / "deck.html").read_text(encoding="utf-8")
    markdown = (deck / "deck.md").read_text(encoding="utf-8")
    charts = sorted(p.name for p in (deck / "charts").iterdir())
    assert charts == ["conversion.svg", "icp_lift.svg", "matrix.svg", "sizes.svg"]
    for name in charts:
        assert f"](charts/{name})" in markdown
        assert (deck / "charts" / name).read_text(encoding="utf-8").startswith("<svg")
    assert page.count("<svg") == 4, "every chart inlined"
    assert not re.search(r"""(src|href)=["'](?!#|data:)""", page), "the page refers to no other file"
    assert "Not in this deck yet" not in page


@pytest.mark.cli
def test_matrix_cells_in_the_deck_are_those_of_abm_tui_matrix(
    deck: Path, demo_plan_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = printed(capsys, "matrix", str(demo_plan_path), "--format", "json")
    expected = json.loads(out)
    table = markdown_table(deck, "tier \\ stage")
    assert table[0][1:-1] == expected["cols"]
    assert [row[0] for row in table[1:]] == expected["rows"]
    for row, counts in zip(table[1:], expected["counts"], strict=True):
        assert [int(cell.split(" (")[0].replace(",", "")) for cell in row[1:-1]] == counts
        assert int(row[-1].replace(",", "")) == sum(counts)
    page = (deck / "deck.html").read_text(encoding="utf-8")
    assert f'<td class="n">{sum(expected["counts"][-1]):,}</td>' in page


@pytest.mark.cli
def test_the_change_is_against_the_sizes_abm_tui_review_gives_for_the_last_snapshot(
    deck: Path, demo_plan_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo's as-of date is its newest snapshot's, so the change is against the one before, 2026-11-13."""
    matrix = json.loads(printed(capsys, "matrix", str(demo_plan_path), "--format", "json"))
    sizes_table = markdown_table(printed(capsys, "review", str(demo_plan_path)), "Segment | 2026-11-06")
    column = sizes_table[0].index("2026-11-13")
    before = {row[0]: int(row[column].replace(",", "")) for row in sizes_table[1:]}
    shown = markdown_table(deck, "tier \\ stage")
    assert "the change against the last snapshot, 2026-11-13" in (deck / "deck.md").read_text(encoding="utf-8")
    changes = []
    for tier, row, counts in zip(matrix["rows"], shown[1:], matrix["counts"], strict=True):
        for stage, cell, now in zip(matrix["cols"], row[1:-1], counts, strict=True):
            change = now - before.get(f"{tier} / {stage}", 0)
            assert cell == f"{now:,} ({'±0' if change == 0 else f'{change:+,}'})", (tier, stage)
            changes.append(change)
    assert any(changes), "the demo's segments moved in a week: the check has teeth"


@pytest.mark.cli
def test_conversion_in_the_deck_is_that_of_abm_tui_review(
    deck: Path, demo_plan_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = printed(capsys, "review", str(demo_plan_path), "--format", "csv")
    review = {row["segment"]: row for row in csv.DictReader(io.StringIO(out))}
    table = markdown_table(deck, "Segment | At start")
    head = table[0]
    rows = {row[0]: dict(zip(head, row, strict=True)) for row in table[1:]}
    assert set(rows) == set(review)
    for segment, expected in review.items():
        shown = rows[segment]
        assert int(shown["At start"].replace(",", "")) == int(expected["accounts_at_start"])
        assert int(shown["Opened"].replace(",", "")) == int(expected["opened"])
        rate = expected["conversion_rate"]
        assert shown["Conversion"] == ("–" if rate == "" else f"{float(rate):.1%}")
    assert int(rows["All accounts"]["Opened"]) > 0, "the demo history opens opportunities: the check has teeth"


@pytest.mark.cli
def test_icp_lift_in_the_deck_is_that_of_abm_tui_icp(
    deck: Path, demo_plan_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = printed(capsys, "icp", str(demo_plan_path), "--format", "json")
    attributes = json.loads(out)["attributes"]
    table = markdown_table(deck, "Column | Value")
    shown = [(row[0], row[1], row[5]) for row in table[1:]]
    assert shown == [(a["column"], a["value"], f"{a['lift']:.2f}") for a in attributes[: len(shown)]]
    assert len(shown) == 15


@pytest.fixture()
def plan_without_history(demo_dir: Path, tmp_path: Path) -> Path:
    """The demo's data and plan in a folder of their own, with no history folder."""
    for name in ("accounts.csv", "engagement.parquet", "plan.toml", "contacts.csv"):
        shutil.copy(demo_dir / name, tmp_path / name)
    return tmp_path / "plan.toml"


@pytest.mark.cli
def test_without_history_the_deck_says_which_parts_need_snapshots(
    plan_without_history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = abm(capsys, "deck", str(plan_without_history))
    assert status == 0, err
    folder = plan_without_history.parent / "deck"
    assert f"wrote {folder / 'deck.html'}" in out
    markdown = (folder / "deck.md").read_text(encoding="utf-8")
    assert "## Not in this deck yet" in markdown
    for part in ("Change against the last snapshot", "Segment sizes over the snapshots", "Conversion per segment"):
        assert f"{part}: needs " in markdown
        assert f"not in the deck: {part}: needs" in out
    assert f"run `abm-tui run {plan_without_history}` to keep one" in markdown
    assert sorted(p.name for p in (folder / "charts").iterdir()) == ["icp_lift.svg", "matrix.svg"]
    assert "Plays per cell" in (folder / "deck.html").read_text(encoding="utf-8")


@pytest.mark.cli
def test_a_folder_below_a_file_is_one_line(plan_without_history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = plan_without_history.parent / "notes.txt"
    blocker.write_text("mine\n")
    status, out, err = abm(capsys, "deck", str(plan_without_history), "--out", str(blocker / "deck"))
    assert status == 1
    assert err.count("\n") == 1 and "Traceback" not in err and "internal error" not in err
    assert err.startswith(f"abm-tui: {blocker / 'deck'}/") and f"{blocker} is a file, not a folder" in err
    assert blocker.read_text() == "mine\n"


@pytest.mark.cli
@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_a_read_only_folder_is_one_line(plan_without_history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    locked = plan_without_history.parent / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        status, _, err = abm(capsys, "deck", str(plan_without_history), "--out", str(locked))
    finally:
        locked.chmod(0o700)
    assert status == 1
    assert err.count("\n") == 1 and "cannot write" in err and str(locked) in err
    assert list(locked.iterdir()) == []


@pytest.mark.cli
def test_a_file_the_deck_did_not_write_is_never_replaced(
    plan_without_history: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "slides"
    out_dir.mkdir()
    (out_dir / "deck.md").write_text("the planner's own notes\n")
    status, _, err = abm(capsys, "deck", str(plan_without_history), "--out", str(out_dir))
    assert status == 1
    assert err.strip() == (f"abm-tui: {out_dir / 'deck.md'}: already exists and was not written by `abm-tui deck`; "
                           "choose another --out folder or move the file")
    assert (out_dir / "deck.md").read_text() == "the planner's own notes\n"
    assert sorted(p.name for p in out_dir.iterdir()) == ["deck.md"], "nothing written, not even staging"


@pytest.mark.cli
def test_the_deck_replaces_its_own_files_and_removes_charts_it_no_longer_has(
    demo_plan_path: Path, plan_without_history: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "slides"
    assert abm(capsys, "deck", str(demo_plan_path), "--out", str(out_dir))[0] == 0
    assert (out_dir / "charts" / "sizes.svg").is_file()
    (out_dir / "mine.txt").write_text("kept\n")
    assert abm(capsys, "deck", str(plan_without_history), "--out", str(out_dir))[0] == 0
    assert not (out_dir / "charts" / "sizes.svg").exists()
    assert (out_dir / "mine.txt").read_text() == "kept\n"
    assert not [p for p in out_dir.iterdir() if p.name.startswith(".deck-staging")]


@pytest.mark.cli
def test_validate_does_not_import_matplotlib(demo_plan_path: Path) -> None:
    code = ("import sys; from abm_tui.cli import main; rc = main(['validate', sys.argv[1]]); "
            "assert rc == 0, rc; assert not [m for m in sys.modules if m.split('.')[0] == 'matplotlib'], 'imported'")
    result = subprocess.run([sys.executable, "-c", code, str(demo_plan_path)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr


def png_pixels(path: Path) -> list[float]:
    """Every channel of every pixel of a PNG, 0..1 (matplotlib's reader; the deck depends on matplotlib)."""
    import matplotlib.image

    return matplotlib.image.imread(str(path)).ravel().tolist()


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} missing (.ci/run installs Debian's chromium)")
def test_headless_chromium_draws_the_page(deck: Path, tmp_path: Path) -> None:
    shot = tmp_path / "deck.png"
    result = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}",
         "--window-size=1200,2000", (deck / "deck.html").resolve().as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    pixels = png_pixels(shot)
    assert len(pixels) >= 1200 * 2000 * 3
    mean = sum(pixels) / len(pixels)
    variance = sum((p - mean) ** 2 for p in pixels) / len(pixels)
    assert variance > 0.01, f"a blank page (variance {variance:.4f})"
    dark = sum(p < 0.5 for p in pixels) / len(pixels)
    assert dark > 0.01, "text and charts drawn, not only the background"


@pytest.mark.cli
def test_with_crm_stages_empty_the_deck_says_the_icp_part_needs_outcomes(
    plan_without_history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import polars as pl

    accounts = plan_without_history.parent / "accounts.csv"
    blank = pl.lit(None, pl.String).alias("crm_stage")
    pl.read_csv(accounts, infer_schema=False).with_columns(blank).write_csv(accounts)
    status, out, err = abm(capsys, "deck", str(plan_without_history))
    assert status == 0, err
    markdown = (plan_without_history.parent / "deck" / "deck.md").read_text(encoding="utf-8")
    assert "ICP lift: needs outcomes (" in markdown and "no account has won" in markdown
    assert "not in the deck: ICP lift: needs outcomes" in out
    assert "## Plays per cell" in markdown
