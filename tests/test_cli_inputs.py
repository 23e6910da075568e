"""Careless and scheduled use of the command line, in-process through `cli.main`: every refusal is one line that
names what was wrong, exits 1 (2 for usage), and leaves nothing written (issue 12: 8, 9, 13, 16)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from abm_tui.cli import main
from abm_tui.session import Session

EXE = Path(sys.executable).parent / "abm-tui"


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    status = main([str(arg) for arg in args])
    out, err = capsys.readouterr()
    return status, out, err


def refused(capsys: pytest.CaptureFixture[str], *args: str | Path, status: int = 1) -> str:
    """The one line a refusal prints, after checking it is one line and the status is the expected one."""
    code, _, err = cli(capsys, *args)
    assert code == status, err
    assert err.startswith("abm-tui: ") and err.count("\n") == 1, err
    assert "internal error" not in err and "Traceback" not in err
    return err.removeprefix("abm-tui: ").rstrip("\n")


def write_plan(folder: Path, data: str = "", body: str = "") -> Path:
    path = folder / "plan.toml"
    path.write_text(f'version = 1\nname = "t"\n[data]\naccounts = "accounts.csv"\n{data}{body}')
    return path


def nothing_written(folder: Path) -> bool:
    return not (folder / "out").exists() and not (folder / "history").exists()


# --- 12.8: scheduled runs fail loudly --------------------------------------------------------------


@pytest.mark.parametrize("command", [["run", "--out"], ["export", "--to", "hubspot,sql", "--out"]])
def test_a_run_whose_every_account_id_is_blank_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       command: list[str]) -> None:
    (tmp_path / "accounts.csv").write_text("account_id,name\n,Acme\n  ,Globex\n,Initech\n")
    plan = write_plan(tmp_path)
    message = refused(capsys, command[0], plan, *command[1:], tmp_path / "out")
    assert message.startswith(f"{tmp_path / 'accounts.csv'}: no account kept: all 3 rows have a blank account_id")
    assert nothing_written(tmp_path)


def test_validate_says_what_run_would_refuse(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "accounts.csv").write_text("account_id,name\n,Acme\n")
    assert "no account kept" in refused(capsys, "validate", write_plan(tmp_path))


@pytest.mark.parametrize("command", ["run", "export", "validate"])
def test_engagement_that_matched_no_account_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    command: str) -> None:
    (tmp_path / "accounts.csv").write_text("account_id,name,domain\na1,Acme,acme.com\na2,Globex,globex.com\n")
    (tmp_path / "events.csv").write_text(
        "account_id,date,channel\nzz1,2026-11-01,web_visit\nzz2,2026-11-02,web_visit\nzz3,2026-11-03,ad_click\n"
    )
    plan = write_plan(tmp_path, 'engagement = "events.csv"\n')
    out = str(tmp_path / "out")
    flags = {"run": ["--out", out], "export": ["--to", "sql", "--out", out], "validate": []}
    message = refused(capsys, command, plan, *flags[command])
    assert message.startswith(f"{tmp_path / 'events.csv'}: none of its 3 engagement rows matched an account")
    assert nothing_written(tmp_path)


def test_engagement_matching_some_accounts_still_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The check is for none matched, not for a few unmatched: those are reported and the run goes on."""
    (tmp_path / "accounts.csv").write_text("account_id,name\na1,Acme\na2,Globex\n")
    (tmp_path / "events.csv").write_text("account_id,date,channel\na1,2026-11-01,web_visit\nzz,2026-11-02,web_visit\n")
    status, out, err = cli(capsys, "run", write_plan(tmp_path, 'engagement = "events.csv"\n'), "--out",
                           tmp_path / "out")
    assert status == 0, err
    assert "1 rows unmatched" in out or "1 row unmatched" in out
    assert (tmp_path / "out" / "assignments.csv").is_file()


@pytest.mark.cli
@pytest.mark.parametrize("plan_given", [True, False])
def test_the_workbench_without_a_terminal_points_to_run(demo_plan_path: Path, tmp_path: Path,
                                                        plan_given: bool) -> None:
    """`abm-tui PLAN` from a scheduler (stdin /dev/null, output to a file) says so at once instead of writing
    escape codes for as long as it is left running."""
    command = [str(EXE)] if EXE.exists() else [sys.executable, "-m", "abm_tui.cli"]
    args = [str(demo_plan_path)] if plan_given else []
    log = tmp_path / "log"
    with open(log, "w") as out:  # noqa: PTH123 - a real file, as a scheduler redirects to
        result = subprocess.run([*command, *args], stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.PIPE,
                                text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert log.read_text() == ""
    shown = str(demo_plan_path) if plan_given else "PLAN"
    assert result.stderr == (
        f"abm-tui: the workbench needs a terminal; to segment and write the exports without one: abm-tui run {shown}\n"
    )


# --- 12.9: out-of-range flags are refused before anything is written --------------------------------


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--accounts", "10", "--seed", "-5"], "--seed: expected a whole number of at least 0, got -5"),
        (["--accounts", "10", "--events", "0"], "--events: expected a whole number of at least 1, got 0"),
        (["--accounts", "10", "--events", "-3"], "--events: expected a whole number of at least 1, got -3"),
        (["--accounts", "0"], "--accounts: expected a whole number of at least 1, got 0"),
        (["--accounts", str(10**30)], f"--accounts: expected a whole number of at most 10,000,000, got {10**30}"),
        (["--accounts", "10", "--events", str(10**30)],
         f"--events: expected a whole number of at most 200,000,000, got {10**30}"),
    ],
)
def test_demo_refuses_out_of_range_numbers_before_writing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          flags: list[str], expected: str) -> None:
    out = tmp_path / "demo"
    assert refused(capsys, "demo", "--out", out, *flags) == expected
    assert not out.exists()


def test_demo_with_a_large_seed_still_works(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = cli(capsys, "demo", "--accounts", "50", "--events", "200", "--seed", str(2**70), "--out",
                         tmp_path)
    assert status == 0, err
    assert pl.read_parquet(tmp_path / "engagement.parquet").height == 200


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (str(10**30), f"--limit: expected a whole number of at most 1,000,000,000, got {10**30}"),
        ("-1", "--limit: expected a whole number of at least 0, got -1"),
    ],
)
def test_diff_refuses_an_out_of_range_limit(demo_plan_path: Path, capsys: pytest.CaptureFixture[str],
                                            limit: str, expected: str) -> None:
    assert refused(capsys, "diff", demo_plan_path, demo_plan_path, "--limit", limit) == expected


def test_diff_limit_zero_and_large_work(demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snapshots = sorted((demo_dir / "history").glob("*.parquet"))
    for limit in ("0", "1000000000"):
        status, out, err = cli(capsys, "diff", snapshots[0], snapshots[-1], "--limit", limit)
        assert status == 0, err
        assert ("accounts (" in out) == (limit != "0")


# --- 12.13: matrix --measure names a real column or refuses it ----------------------------------------


@pytest.mark.parametrize(
    ("column", "source"),
    [("fit_score", "assignments"), ("engagement_recent", "assignments"), ("engagement_total", "assignments"),
     ("opportunity_amount", "accounts"), ("employees", "accounts")],
)
def test_matrix_measure_sums_a_numeric_column(demo_plan_path: Path, demo_session: Session,
                                              capsys: pytest.CaptureFixture[str], column: str, source: str) -> None:
    """The assignments' own numbers (fit_score, the engagement scores of the plan's weights) as well as the
    accounts' columns: the sum over the matrix is the column's sum."""
    import json

    status, out, err = cli(capsys, "matrix", demo_plan_path, "--measure", column, "--format", "json")
    assert status == 0, err
    frame = demo_session.assignments() if source == "assignments" else demo_session.engine.table
    assert json.loads(out)["total"] == pytest.approx(frame.get_column(column).sum())
    table = cli(capsys, "matrix", demo_plan_path, "--measure", column)[1]
    assert table.rstrip("\n").endswith(f"(sum of {column})")


def test_matrix_measure_per_cell_matches_the_assignments(demo_plan_path: Path, demo_session: Session,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = cli(capsys, "matrix", demo_plan_path, "--measure", "fit_score", "--format", "csv")
    assert status == 0, err
    cells = pl.read_csv(out.encode())
    assignments = demo_session.assignments()
    for tier in ("Tier 1", "Not target"):
        expected = assignments.filter(pl.col("tier") == tier).get_column("fit_score").sum()
        assert cells.filter(pl.col("tier") == tier).drop("tier").sum_horizontal().item() == pytest.approx(expected)


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("fit_scor", "no column named 'fit_scor' to sum (did you mean 'fit_score'?)"),
        ("nosuch", "no column named 'nosuch' to sum"),
        ("industry", "industry holds text, not numbers; pick a numeric column to sum, such as fit_score"),
        ("tech_stack", "tech_stack holds lists (an account can have several values); pick a numeric column to sum"),
    ],
)
def test_matrix_measure_refuses_what_cannot_be_summed(demo_plan_path: Path, capsys: pytest.CaptureFixture[str],
                                                      column: str, expected: str) -> None:
    assert refused(capsys, "matrix", demo_plan_path, "--measure", column) == expected


# --- 12.16: a data file where a plan belongs, a plan where data belongs --------------------------------


@pytest.mark.parametrize("command", [[], ["run"], ["validate"], ["matrix"], ["export", "--to", "sql"], ["review"]])
@pytest.mark.parametrize("name", ["accounts.csv", "engagement.parquet"])
def test_a_data_file_given_as_the_plan_is_named_as_one(demo_dir: Path, capsys: pytest.CaptureFixture[str],
                                                       command: list[str], name: str) -> None:
    data = demo_dir / name
    args: list[str | Path] = [*command[:1], data, *command[1:]]
    assert refused(capsys, *args) == (
        f"{data}: is a data file, not a plan (a .toml file); to start a plan from it: abm-tui init {data}"
    )


def test_a_data_file_given_to_explain_is_named_as_one(demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "is a data file, not a plan" in refused(capsys, "explain", demo_dir / "accounts.csv", "A000001")


@pytest.mark.parametrize(("flag", "expected"), [(None, "an accounts file"), ("--engagement", "an engagement file")])
def test_a_plan_given_to_init_as_data_is_named_as_one(demo_dir: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str], flag: str | None,
                                                      expected: str) -> None:
    plan = demo_dir / "plan.toml"
    args = [plan] if flag is None else [demo_dir / "accounts.csv", flag, plan]
    out = tmp_path / "started.toml"
    message = refused(capsys, "init", *args, "--out", out)
    assert message == f"{plan}: is a plan, not {expected}; open it with: abm-tui {plan}"
    assert not out.exists()


def test_a_missing_csv_plan_is_still_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Only a file that is there is called data; a mistyped name keeps the loader's own message."""
    assert refused(capsys, "run", tmp_path / "nowhere.csv") == f"{tmp_path / 'nowhere.csv'}: no such plan file"
