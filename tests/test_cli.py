"""The `abm-tui` command on real files, as a planner's script or scheduler runs it: in-process through `cli.main`,
except the few tests that need the installed script and a process of its own (marked `cli`)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from abm_tui import cli

EXE = Path(sys.executable).parent / "abm-tui"


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


def abm(*args: str | Path) -> Result:
    """`abm-tui ARGS` in this process: what it prints and the status it exits with (argparse's 2 included)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            status = cli.main([str(arg) for arg in args])
        except SystemExit as exit_:
            status = exit_.code if isinstance(exit_.code, int) else 1
    result = Result(status, out.getvalue(), err.getvalue())
    assert "Traceback" not in result.stderr + result.stdout and "internal error" not in result.stderr, result.stderr
    return result


def spawn(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """The installed `abm-tui` script in a process of its own, as a scheduler starts it."""
    command = [str(EXE)] if EXE.exists() else [sys.executable, "-m", "abm_tui.cli"]
    result = subprocess.run([*command, *map(str, args)], capture_output=True, text=True, timeout=300)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    return result


@pytest.mark.cli
def test_run_writes_the_four_exports(demo_plan_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = spawn("run", demo_plan_path, "--out", out)
    assert result.returncode == 0, result.stderr
    for name in ("assignments.csv", "assignments.parquet", "matrix.csv", "plan.toml"):
        assert (out / name).is_file(), name
    assignments = pl.read_parquet(out / "assignments.parquet")
    assert assignments.height == 3000
    assert "3,000 accounts kept" in result.stdout
    # The exported plan runs as it is from its new folder and gives the same matrix.
    again = abm("matrix", out / "plan.toml", "--format", "csv")
    assert again.stdout == (out / "matrix.csv").read_text()


def test_run_default_out_is_exports_beside_the_plan(demo_plan_path: Path) -> None:
    result = abm("run", demo_plan_path)
    assert result.returncode == 0, result.stderr
    assert (demo_plan_path.parent / "exports" / "assignments.csv").is_file()


def test_matrix_formats_follow_the_contract(demo_plan_path: Path) -> None:
    csv = abm("matrix", demo_plan_path, "--format", "csv")
    header = csv.stdout.splitlines()[0].split(",")
    assert header[0] == "tier" and header[-1] == "Unstaged"
    assert [line.split(",")[0] for line in csv.stdout.splitlines()[1:]] == ["Tier 1", "Tier 2", "Tier 3", "Not target"]
    data = json.loads(abm("matrix", demo_plan_path, "--format", "json").stdout)
    assert {"rows", "cols", "counts", "total"} <= set(data)
    assert sum(map(sum, data["counts"])) == data["total"] == 3000
    table = abm("matrix", demo_plan_path).stdout
    assert "tier \\ stage" in table and "Total" in table and "3,000" in table


def test_matrix_pivots_and_measures(demo_plan_path: Path) -> None:
    bucket = json.loads(abm("matrix", demo_plan_path, "--rows", "tier", "--cols", "bucket", "--format", "json").stdout)
    assert bucket["cols"][-1] == "Unclassified" and bucket["total"] == 3000
    amount = json.loads(abm("matrix", demo_plan_path, "--measure", "opportunity_amount", "--format", "json").stdout)
    accounts = pl.read_csv(demo_plan_path.parent / "accounts.csv")
    assert amount["total"] == pytest.approx(accounts.get_column("opportunity_amount").sum())
    bad = abm("matrix", demo_plan_path, "--rows", "industy")
    assert bad.returncode == 1 and "did you mean 'industry'" in bad.stderr


def test_validate_and_explain(demo_plan_path: Path, tmp_path: Path) -> None:
    ok = abm("validate", demo_plan_path)
    assert ok.returncode == 0 and "is valid" in ok.stdout
    first = pl.read_csv(demo_plan_path.parent / "accounts.csv").get_column("account_id")[0]
    explained = abm("explain", demo_plan_path, first)
    assert explained.returncode == 0 and "Fit score" in explained.stdout and "Tier:" in explained.stdout
    missing = abm("explain", demo_plan_path, "no-such-account-id")
    assert missing.returncode == 1 and "no-such-account-id" in missing.stderr


@pytest.mark.cli
def test_usage_errors_exit_2() -> None:
    assert spawn("--no-such-flag").returncode == 2
    assert abm("run").returncode == 2
    assert abm("matrix", "x.toml", "--format", "xml").returncode == 2
    assert abm("review", "plan.toml", "--from", "last week").returncode == 2
    assert abm("diff", "only-one.parquet").returncode == 2


def write_plan(folder: Path, body: str, accounts: str = "accounts.csv") -> Path:
    path = folder / "plan.toml"
    path.write_text(f'version = 1\nname = "t"\n[data]\naccounts = "{accounts}"\n' + body)
    return path


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("[[tiers]]\nname = 'T'\nwhere = { fit_scor = { min = 1 } }\n",
         "tiers[0].where.fit_scor.min: unknown column 'fit_scor' (did you mean 'fit_score'?)"),
        ("[[tiers]]\nname = 'T'\nwhere = { fit_score = { min = 'high' } }\n",
         'tiers[0].where.fit_score.min: expected a number or a date, got "high"'),
        ("[[stages]]\nname = 'S'\nwhere = { sql = 'employees >>> 2' }\n", "stages[0].where.sql: does not parse"),
        ("[[tiers]]\nname = 'T'\nwhere = { engagement_recent = { min = 1 } }\n", "engagement data"),
        ("[[tiers]\nname = 'T'\n", "not valid TOML"),
    ],
)
def test_bad_plans_get_one_clear_message(tmp_path: Path, body: str, expected: str) -> None:
    (tmp_path / "accounts.csv").write_text("account_id,name,employees\na,A,10\n")
    result = abm("validate", write_plan(tmp_path, body))
    assert result.returncode == 1
    assert expected in result.stderr
    assert result.stderr.startswith(f"abm-tui: {tmp_path / 'plan.toml'}: "), result.stderr


def test_unknown_version_is_refused(tmp_path: Path) -> None:
    (tmp_path / "plan.toml").write_text('version = 2\n[data]\naccounts = "a.csv"\n')
    result = abm("run", tmp_path / "plan.toml")
    assert result.returncode == 1 and "version 1, got 2" in result.stderr


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "is empty"),
        (b"\x00\x01\x02binary\x00" * 50, "binary"),
        (b"code,label\n1,A\n", "no account_id column"),
    ],
)
def test_bad_accounts_files(tmp_path: Path, content: bytes, expected: str) -> None:
    (tmp_path / "accounts.csv").write_bytes(content)
    result = abm("run", write_plan(tmp_path, ""), "--out", tmp_path / "out")
    assert result.returncode == 1
    assert "accounts.csv" in result.stderr and expected in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_named_preset_reads_its_layout_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text("Record ID,Company name,Annual Revenue\n51,Acme,1.2M\n")
    plan = write_plan(tmp_path, "")
    plan.write_text(plan.read_text().replace('[data]\n', '[data]\npreset = "hubspot"\n'))
    result = abm("validate", plan)
    assert result.returncode == 0, result.stderr
    assert "read as HubSpot companies export (as the plan says)" in result.stdout
    assert "account_id <- 'Record ID'" in result.stdout


def test_missing_plan_and_missing_data(tmp_path: Path) -> None:
    assert abm("run", tmp_path / "missing.toml").returncode == 1
    result = abm("run", write_plan(tmp_path, "", accounts="nowhere.csv"))
    assert result.returncode == 1 and "nowhere.csv: no such file" in result.stderr


def test_blank_and_duplicate_ids_are_dropped_and_reported(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text("account_id,name\na,A\n,Blank\na,Again\nb,B\n")
    plan = write_plan(tmp_path, "[[tiers]]\nname = 'All'\n")
    run = abm("run", plan, "--out", tmp_path / "out")
    assert run.returncode == 0
    assert "4 rows read, 2 accounts kept" in run.stdout and "1 with a blank account_id" in run.stdout
    validate = abm("validate", plan)
    assert "row 3: blank account_id" in validate.stdout and "row 4 ('a'): duplicate account_id" in validate.stdout


def test_run_never_overwrites_an_input(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text("account_id,name\na,A\n")
    plan = write_plan(tmp_path, "")
    before = plan.read_text()
    result = abm("run", plan, "--out", tmp_path)
    assert result.returncode == 1 and "refusing to overwrite" in result.stderr
    assert plan.read_text() == before and not (tmp_path / "assignments.csv").exists()


def test_formula_cells_are_neutralised(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text('account_id,name\na,"=HYPERLINK(""http://x"")"\nb,+1\nc,@SUM(A1)\n')
    result = abm("run", write_plan(tmp_path, ""), "--out", tmp_path / "out")
    assert result.returncode == 0
    names = pl.read_csv(tmp_path / "out" / "assignments.csv").get_column("name").to_list()
    assert names == ["'=HYPERLINK(\"http://x\")", "'+1", "'@SUM(A1)"]


def test_demo_is_deterministic_and_never_overwrites(tmp_path: Path) -> None:
    assert abm("demo", "--accounts", "200", "--out", tmp_path / "a", "--seed", "3").returncode == 0
    assert abm("demo", "--accounts", "200", "--out", tmp_path / "b", "--seed", "3").returncode == 0
    for name in ("accounts.csv", "engagement.parquet", "plan.toml"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    again = abm("demo", "--accounts", "200", "--out", tmp_path / "a")
    assert again.returncode == 1 and "--force" in again.stderr
    assert abm("demo", "--accounts", "0", "--out", tmp_path / "c").returncode == 1


def test_a_closed_pipe_ends_quietly(demo_plan_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`abm-tui matrix ... | head -1`: the reader leaves early; no traceback, status 141 like other tools."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    monkeypatch.setattr(sys, "stdout", open(write_end, "w", buffering=1))  # noqa: SIM115 - closed by the test
    try:
        assert cli.main(["matrix", str(demo_plan_path)]) == 141
    finally:
        sys.stdout.close()


@pytest.mark.cli
def test_headless_commands_do_not_import_textual(demo_plan_path: Path) -> None:
    code = (
        "import sys, abm_tui.cli as c; "
        f"rc = c.main(['matrix', {str(demo_plan_path)!r}, '--format', 'csv']); "
        "assert rc == 0; assert 'textual' not in sys.modules, 'textual imported'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


# Runs abm-tui with argv[1:] in-process, then prints which of the heavy packages it loaded.
_LOADED = """
import json, sys
from abm_tui.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = ("textual", "rich", "polars", "numpy", "abm_tui.outputs", "abm_tui.tui", "abm_tui.history")
print(json.dumps(sorted({name for name in heavy for m in sys.modules if m == name or m.startswith(name + ".")})))
"""


@pytest.mark.cli
@pytest.mark.parametrize(
    ("command", "allowed"),
    [(["--help"], set()), (["run", "--help"], set()), (["diff", "--help"], {"polars", "numpy", "abm_tui.history"}),
     (["validate"], {"polars", "numpy"})],
)
def test_help_and_validate_start_without_the_workbench_or_the_writers(
    demo_plan_path: Path, command: list[str], allowed: set[str]
) -> None:
    """--help loads nothing heavy; validate loads the data, never Textual or the exports writer."""
    argv = [*command, str(demo_plan_path)] if command == ["validate"] else command
    result = subprocess.run([sys.executable, "-c", _LOADED, *argv], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert set(json.loads(result.stdout.splitlines()[-1])) <= allowed


@pytest.mark.realdata
def test_run_on_the_real_fortune_1000(tmp_path: Path, realdata: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(f"""
version = 1
name = "Fortune 1000"
[data]
accounts = "{realdata / 'Fortune_1000.csv'}"
[data.columns]
account_id = "Ticker"
name = "company"
industry = "sector"
employees = "num. of employees"
annual_revenue = "revenue"
[[fit.criteria]]
name = "Tech"
points = 50
where = {{ industry = {{ in = ["Technology", "Telecommunications"] }} }}
[[fit.criteria]]
name = "Large"
points = 50
where = {{ annual_revenue = {{ min = 20000 }} }}
[[tiers]]
name = "Tier 1"
where = {{ fit_score = {{ min = 100 }} }}
[[tiers]]
name = "Tier 2"
where = {{ fit_score = {{ min = 50 }} }}
""")
    result = abm("run", plan, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "1,000 rows read" in result.stdout and "blank account_id" in result.stdout
    frame = pl.read_parquet(tmp_path / "out" / "assignments.parquet")
    apple = frame.filter(pl.col("account_id") == "AAPL").row(0, named=True)
    assert apple["tier"] == "Tier 1" and apple["fit_score"] == 100


# --- real exports in and out --------------------------------------------------------------------


def test_init_from_a_hubspot_export_then_run_and_export(tmp_path: Path) -> None:
    """The walkthrough in the README: a CRM export to a plan to files a CRM and LinkedIn import."""
    demo = abm("demo", "--accounts", "3000", "--out", tmp_path / "hs", "--layout", "hubspot", "--seed", "3")
    assert demo.returncode == 0, demo.stderr
    accounts, events = tmp_path / "hs" / "hubspot-companies.csv", tmp_path / "hs" / "engagement.parquet"
    plan = tmp_path / "mine" / "plan.toml"
    started = abm("init", accounts, "--engagement", events, "--out", plan)
    assert started.returncode == 0, started.stderr
    assert "read as HubSpot companies export (detected)" in started.stdout
    assert "engagement matched to accounts: 100.0%" in started.stdout and "by domain" in started.stdout
    assert "Tier 1 (1:1): fit_score ≥" in started.stdout
    text = plan.read_text()
    assert 'preset = "hubspot"' in text and 'accounts = "../hs/hubspot-companies.csv"' in text
    again = abm("init", accounts, "--out", plan)
    assert again.returncode == 1 and "already exists" in again.stderr  # never over the planner's plan

    plan.write_text(text + '\n[export]\nto = ["hubspot", "linkedin"]\n')
    out = tmp_path / "out"
    run = abm("run", plan, "--out", out)
    assert run.returncode == 0, run.stderr
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {"assignments.csv", "hubspot_companies.csv", "linkedin/lists.csv", "manifest.json",
            "unmatched_engagement.csv"} <= names
    hubspot = pl.read_csv(out / "hubspot_companies.csv", infer_schema=False)
    assert hubspot.columns[0] == "Record ID" and hubspot.height == 3000  # keyed on HubSpot's own id
    manifest = json.loads((out / "manifest.json").read_text())
    assert {"hubspot_companies.csv", "assignments.csv"} <= {entry["name"] for entry in manifest["files"]}

    sql = abm("export", plan, "--to", "salesforce,sql", "--out", out)
    assert sql.returncode == 0, sql.stderr
    assert "do not look like Salesforce Account IDs" in sql.stdout
    assert (out / "plan.sql").read_text().count("WITH") >= 1
    listed = json.loads((out / "manifest.json").read_text())["files"]
    assert "hubspot_companies.csv" in {entry["name"] for entry in listed}


def test_init_on_a_salesforce_report_cuts_titles_and_totals(tmp_path: Path) -> None:
    demo = abm("demo", "--accounts", "2000", "--out", tmp_path, "--layout", "salesforce")
    assert demo.returncode == 0, demo.stderr
    text = (tmp_path / "plan.toml").read_text()
    assert 'preset = "salesforce"' in text
    run = abm("run", tmp_path / "plan.toml", "--out", tmp_path / "out")
    assert run.returncode == 0, run.stderr
    assert "2,000 rows read, 2,000 accounts kept" in run.stdout
    assert "skipped 4 lines above the header (the header is row 5)" in run.stdout  # the report title
    assert "cut 3 lines below the data" in run.stdout  # Grand Totals and the notice: reported, not silent
    ids = pl.read_csv(tmp_path / "out" / "assignments.csv", infer_schema=False).get_column("account_id")
    assert ids.str.starts_with("001").all() and (ids.str.len_chars() == 18).all()


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["Fortune_1000.csv", "constituents.csv", "crunchbase-companies.csv",
                                  "Forbes2000.csv", "constituents-financials.csv"])
def test_init_starts_a_plan_from_every_real_file(tmp_path: Path, realdata: Path, name: str) -> None:
    plan = tmp_path / "plan.toml"
    started = abm("init", realdata / name, "--out", plan)
    assert started.returncode == 0, started.stderr
    assert "Traceback" not in started.stderr
    validated = abm("validate", plan)
    assert validated.returncode == 0, validated.stderr
    out = tmp_path / "out"
    exported = abm("export", plan, "--to", "hubspot,salesforce,linkedin,sql", "--out", out)
    assert exported.returncode == 0, exported.stderr
    assert (out / "plan.sql").exists() and (out / "linkedin" / "lists.csv").exists()


def test_export_needs_a_known_destination(demo_plan_path: Path, tmp_path: Path) -> None:
    result = abm("export", demo_plan_path, "--to", "marketo", "--out", tmp_path)
    assert result.returncode == 2 and "expected hubspot, salesforce, linkedin, sql" in result.stderr


def test_review_prints_markdown_or_csv_and_writes_both(demo_plan_path: Path, tmp_path: Path) -> None:
    markdown = abm("review", demo_plan_path)
    assert markdown.returncode == 0, markdown.stderr
    assert markdown.stdout.startswith("# Quarterly review: Demo: FY27 Q1 ABM plan")
    assert "2026-11-06 to 2026-11-20 (14 days, 3 snapshots), by segment" in markdown.stdout
    by_tier = abm("review", demo_plan_path, "--by", "tier", "--format", "csv", "--from", "2026-11-13",
                  "--out", tmp_path / "deck")
    assert by_tier.returncode == 0, by_tier.stderr
    table = pl.read_csv(by_tier.stdout.encode())
    assert table.get_column("tier").to_list() == ["Tier 1", "Tier 2", "Tier 3", "Not target", "All accounts"]
    assert table.filter(pl.col("tier") == "All accounts").get_column("accounts_at_start").item() == 3000
    assert pl.read_csv(tmp_path / "deck" / "review.csv").equals(table)
    assert "2026-11-13 to 2026-11-20" in (tmp_path / "deck" / "review.md").read_text()


def test_review_refuses_dates_out_of_order_and_an_empty_history(demo_plan_path: Path, tmp_path: Path) -> None:
    backwards = abm("review", demo_plan_path, "--from", "2026-12-01", "--to", "2026-11-01")
    assert backwards.returncode == 1
    assert backwards.stderr.strip() == "abm-tui: --from 2026-12-01 is after --to 2026-11-01"
    plan = tmp_path / "plan.toml"
    plan.write_text(demo_plan_path.read_text().replace('accounts = "accounts.csv"',
                                                        f'accounts = "{demo_plan_path.parent / "accounts.csv"}"'))
    empty = abm("review", plan)
    assert empty.returncode == 1 and "Traceback" not in empty.stderr
    assert f"{tmp_path / 'history'}: no snapshots yet" in empty.stderr
