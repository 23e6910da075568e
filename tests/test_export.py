"""Files that leave abm-tui: formula-safe CSV, the matrix contract, atomic writes, no input overwritten."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from abm_tui import AbmError, Session, files, load_plan
from abm_tui.engine.segment import Matrix
from abm_tui.files import FORMULA_PREFIXES, guard_inputs, spreadsheet_safe, write_csv, write_parquet
from abm_tui.outputs.run_files import RUN_FILES, matrix_csv, matrix_json, run_exports
from abm_tui.plan.paths import input_paths, relocated

BUNDLED_PLAN = Path(__file__).resolve().parent.parent / "data" / "plan.toml"
AS_OF = dt.date(2026, 11, 20)

# --- a small but complete plan and data set, written as a planner would have it -----------------

NAMES = [
    "Acme",
    '=HYPERLINK("http://evil","x")',
    "-Dash Co",
    "@Home Inc",
    "+Plus Ltd",
    "Beta, Inc.",
    "Gamma",
    "Delta",
    "Epsilon",
    "Zeta",
    "Eta",
    "Theta",
]
INDUSTRIES = ["Fintech", "HR Tech", "Logistics", "Software", "Retail", "Fintech"]
CHANNELS = [
    "ad_impression",
    "ad_click",
    "pricing_page_visit",
    "demo_request",
    "webinar",
    "email_click",
    "content_download",
    "website_visit",
]


def accounts_frame() -> pl.DataFrame:
    rows = []
    for i, name in enumerate(NAMES):
        rows.append(
            {
                "account_id": f"A{i:02d}",
                "name": name,
                "domain": f"a{i}.example.com",
                "industry": INDUSTRIES[i % len(INDUSTRIES)],
                "employees": 150 + 400 * i,
                "annual_revenue": f"${(i + 1) * 4},000,000",
                "country": ["US", "DE", "JP"][i % 3],
                "region": ["North America", "EMEA", "APAC"][i % 3],
                "funding_stage": ["Series B", "Seed", "Series C", "Series D"][i % 4],
                "tech_stack": ["Salesforce;Snowflake", "HubSpot", "", "BigQuery|HubSpot"][i % 4],
                "crm_stage": ["none", "open_opportunity", "closed_won", "none", "churned", "none"][i % 6],
                "opportunity_amount": float(1000 * i),
                "owner": ["ana", "ben"][i % 2],
            }
        )
    return pl.DataFrame(rows)


def events_frame() -> pl.DataFrame:
    rows = []
    for i in range(48):
        rows.append(
            {
                "account_id": f"A{i % 10:02d}",  # A10 and A11 never engage
                "date": AS_OF - dt.timedelta(days=(i * 7) % 130),
                "channel": CHANNELS[i % len(CHANNELS)],
                "campaign": "fy27-q1",
                "intent_theme": ["payroll", "compliance", "ai"][i % 3],
                "persona": ["CFO", "CTO", "VP Finance", "Analyst"][i % 4],
                "count": float(1 + i % 5) * 4,
            }
        )
    # one event after as_of, to be ignored
    rows.append({**rows[0], "date": AS_OF + dt.timedelta(days=3), "count": 500.0})
    return pl.DataFrame(rows)


def write_plan_dir(folder: Path) -> Path:
    """accounts.csv, engagement.parquet and plan.toml (the bundled plan, as_of set explicitly)."""
    folder.mkdir(parents=True, exist_ok=True)
    accounts_frame().write_csv(folder / "accounts.csv")
    events_frame().write_parquet(folder / "engagement.parquet")
    text = BUNDLED_PLAN.read_text(encoding="utf-8")
    text, n = re.subn(r"(?m)^as_of = .*$", f"as_of = {AS_OF.isoformat()}", text)
    assert n == 1
    assert 'accounts = "accounts.csv"' in text and 'engagement = "engagement.parquet"' in text
    text = text.replace('contacts = "contacts.csv"\n', "")  # this plan's own accounts have no people
    (folder / "plan.toml").write_text(text, encoding="utf-8")
    return folder / "plan.toml"


@pytest.fixture(scope="module")
def plan_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_plan_dir(tmp_path_factory.mktemp("plan"))


@pytest.fixture(scope="module")
def session(plan_path: Path) -> Session:
    return Session.open(plan_path)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


# --- the session data is what we think it is --------------------------------------------------


def test_session_loads_the_small_plan(session: Session) -> None:
    assert session.as_of == AS_OF
    assert session.engine.size == 12
    assert session.report.rows_kept == 12
    assert session.report.events_read == 49
    assert session.report.events_after_as_of == 1
    frame = session.assignments()
    assert frame.height == 12
    assert frame.get_column("account_id").to_list() == [f"A{i:02d}" for i in range(12)]
    for column in (
        "account_id",
        "name",
        "domain",
        "fit_score",
        "bucket",
        "tier",
        "stage",
        "segment",
        "campaign",
        "cta",
        "sales_action",
        "reason",
    ):
        assert column in frame.columns


# --- spreadsheet_safe --------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", FORMULA_PREFIXES)
def test_each_dangerous_prefix_gets_an_apostrophe(prefix: str) -> None:
    value = f"{prefix}SUM(A1:A9)"
    safe = spreadsheet_safe(pl.DataFrame({"name": [value, "Acme"]}))
    assert safe.get_column("name").to_list() == [f"'{value}", "Acme"]


def test_all_six_prefixes_are_covered() -> None:
    assert set(FORMULA_PREFIXES) >= {"=", "+", "-", "@", "\t", "\r"}


def test_safe_values_and_non_text_columns_are_unchanged() -> None:
    frame = pl.DataFrame(
        {
            "name": ["Acme", "a=b", "", None, "Beta - Gamma", " =not first"],
            "fit_score": [-5, 0, 10, None, -1, 3],
            "revenue": [-1.5, 2.0, None, 0.0, -0.0, 1e9],
            "flag": [True, False, None, True, False, True],
            "day": [dt.date(2026, 1, 1)] * 6,
        }
    )
    safe = spreadsheet_safe(frame)
    assert_frame_equal(safe, frame)
    assert safe.schema["fit_score"] == pl.Int64 and safe.get_column("fit_score").to_list()[0] == -5


def test_list_columns_are_joined_and_then_checked() -> None:
    frame = pl.DataFrame(
        {
            "fit_criteria_met": [
                ["Core industry", "Mid-market size"],
                [],
                ["=evil", "ok"],
                None,
                ["ok", "=later"],
            ],
            "scores": [[1, 2], [], [-3], None, [4]],
        }
    )
    safe = spreadsheet_safe(frame)
    assert safe.schema["fit_criteria_met"] == pl.String
    assert safe.get_column("fit_criteria_met").to_list() == [
        "Core industry; Mid-market size",
        "",
        "'=evil; ok",
        None,
        "ok; =later",
    ]
    assert safe.get_column("scores").to_list() == ["1; 2", "", "'-3", None, "4"]


def test_categorical_text_is_neutralised_too() -> None:
    # Parquet inputs often carry dictionary-encoded (Categorical) names; they reach the CSV as text.
    frame = pl.DataFrame(
        {
            "name": pl.Series(["=cmd|' /C calc'!A0", "Acme"]).cast(pl.Categorical),
            "stage": pl.Series(["@risk", "Aware"]).cast(pl.Enum(["@risk", "Aware"])),
        }
    )
    safe = spreadsheet_safe(frame)
    assert safe.get_column("name").cast(pl.String).to_list() == ["'=cmd|' /C calc'!A0", "Acme"]
    assert safe.get_column("stage").cast(pl.String).to_list() == ["'@risk", "Aware"]


def test_write_csv_shows_the_apostrophe_when_read_back(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "account_id": ["A1", "A2", "A3"],
            "name": ['=HYPERLINK("http://x","y")', "Acme", "-2+3"],
            "fit_score": [-4, 5, 0],
            "fit_criteria_met": [["Core industry"], [], ["@mention", "b"]],
        }
    )
    path = write_csv(frame, tmp_path / "out" / "assignments.csv")
    assert path == tmp_path / "out" / "assignments.csv"
    back = pl.read_csv(path)
    assert back.get_column("name").to_list() == ['\'=HYPERLINK("http://x","y")', "Acme", "'-2+3"]
    assert back.get_column("fit_score").to_list() == [-4, 5, 0]
    assert back.get_column("fit_criteria_met").to_list() == ["Core industry", "", "'@mention; b"]
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_run_exports_neutralises_names_from_a_parquet_accounts_file(tmp_path: Path) -> None:
    folder = tmp_path / "plan"
    plan_file = write_plan_dir(folder)
    accounts = pl.read_csv(folder / "accounts.csv").with_columns(pl.col("name").cast(pl.Categorical))
    accounts.write_parquet(folder / "accounts.parquet")
    plan_file.write_text(
        plan_file.read_text().replace('accounts = "accounts.csv"', 'accounts = "accounts.parquet"')
    )
    s = Session.open(plan_file)
    out = tmp_path / "exports"
    run_exports(s.assignments(), s.matrix(), s.plan, out, plan_file)
    names = pl.read_csv(out / "assignments.csv").get_column("name").to_list()
    assert names[1] == '\'=HYPERLINK("http://evil","x")'
    assert all(not n.startswith(FORMULA_PREFIXES) for n in names), names


def test_write_parquet_keeps_types(tmp_path: Path) -> None:
    frame = pl.DataFrame({"name": ["=x"], "met": [["a", "b"]], "n": [-1]})
    back = pl.read_parquet(write_parquet(frame, tmp_path / "a.parquet"))
    assert_frame_equal(back, frame)  # Parquet is for machines: no apostrophes, lists stay lists


# --- the matrix contract -----------------------------------------------------------------------


def test_matrix_csv_header_is_tier_then_stages_then_unstaged(session: Session) -> None:
    matrix = session.matrix()
    text = matrix_csv(matrix)
    lines = text.splitlines()
    stages = [s.name for s in session.plan.stages]
    assert lines[0] == ",".join(["tier", *stages, "Unstaged"])
    assert (
        lines[0] == "tier,Closed Won,Closed Lost,Selecting,Considering,Interested,Aware,Identified,Unstaged"
    )
    assert [line.split(",")[0] for line in lines[1:]] == [t.name for t in session.plan.tiers] + ["Not target"]
    back = pl.read_csv(text.encode())
    assert back.height == len(session.plan.tiers) + 1
    assert back.drop("tier").to_numpy().sum() == 12
    np.testing.assert_array_equal(back.drop("tier").to_numpy(), matrix.values)


def test_matrix_csv_header_is_safe_too() -> None:
    # Stage names come from the plan, which other people edit; the header row is a cell row too.
    matrix = Matrix(
        "tier",
        "stage",
        ("Tier 1", "Not target"),
        ("+Expansion", "@Risk", "Unstaged"),
        np.array([[1, 2, 3], [4, 5, 6]]),
    )
    header = matrix_csv(matrix).splitlines()[0].split(",")
    assert header[0] == "tier"
    assert all(not cell.startswith(FORMULA_PREFIXES) for cell in header), header


def test_matrix_json_shape(session: Session) -> None:
    matrix = session.matrix()
    doc = json.loads(matrix_json(matrix))
    assert {"rows", "cols", "counts", "total"} <= set(doc)
    assert doc["rows"] == [t.name for t in session.plan.tiers] + ["Not target"]
    assert doc["cols"] == [s.name for s in session.plan.stages] + ["Unstaged"]
    assert len(doc["counts"]) == len(doc["rows"])
    assert all(len(row) == len(doc["cols"]) for row in doc["counts"])
    assert all(isinstance(v, int) for row in doc["counts"] for v in row)
    assert sum(map(sum, doc["counts"])) == doc["total"] == 12
    assert isinstance(doc["total"], int)


# --- relocation --------------------------------------------------------------------------------


def test_relocated_paths_point_at_the_same_files(session: Session, tmp_path: Path) -> None:
    plan = session.plan
    out = tmp_path / "deep" / "exports"
    moved = relocated(plan, out)
    assert moved.base_dir == out.resolve()
    assert not Path(moved.data.accounts).is_absolute()
    assert moved.resolve(moved.data.accounts).resolve() == plan.resolve(plan.data.accounts).resolve()
    assert moved.resolve(moved.data.engagement).resolve() == plan.resolve(plan.data.engagement).resolve()
    # everything but the paths is the same plan
    assert moved.tiers == plan.tiers and moved.stages == plan.stages and moved.criteria == plan.criteria
    assert moved.as_of == plan.as_of == AS_OF


# --- run_exports -------------------------------------------------------------------------------


def test_run_exports_writes_four_files_and_the_plan_reruns_from_there(
    session: Session, plan_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "exports"
    frame = session.assignments()
    written = run_exports(frame, session.matrix(), session.plan, out, plan_path)
    assert written == [out / name for name in RUN_FILES]
    assert sorted(p.name for p in out.iterdir()) == sorted(RUN_FILES)

    csv = pl.read_csv(out / "assignments.csv")
    assert csv.height == 12
    assert csv.get_column("account_id").to_list() == frame.get_column("account_id").to_list()
    names = dict(zip(csv.get_column("account_id"), csv.get_column("name"), strict=True))
    assert names["A00"] == "Acme"
    assert names["A01"] == '\'=HYPERLINK("http://evil","x")'
    assert names["A02"] == "'-Dash Co" and names["A03"] == "'@Home Inc" and names["A04"] == "'+Plus Ltd"
    assert names["A05"] == "Beta, Inc."
    assert csv.schema["fit_score"].is_integer()

    parquet = pl.read_parquet(out / "assignments.parquet")
    assert_frame_equal(parquet, frame)
    assert (out / "matrix.csv").read_text() == matrix_csv(session.matrix())

    reloaded_plan = load_plan(out / "plan.toml")
    assert reloaded_plan == relocated(session.plan, out)
    assert reloaded_plan.tiers == session.plan.tiers and reloaded_plan.as_of == AS_OF
    assert (
        reloaded_plan.resolve(reloaded_plan.data.accounts).resolve()
        == (plan_path.parent / "accounts.csv").resolve()
    )
    rerun = Session.open(out / "plan.toml")
    assert_frame_equal(rerun.assignments(), parquet)

    # and a second run from the exported plan writes the same assignments
    out2 = tmp_path / "exports2"
    run_exports(rerun.assignments(), rerun.matrix(), rerun.plan, out2, out / "plan.toml")
    assert_frame_equal(pl.read_parquet(out2 / "assignments.parquet"), parquet)
    assert (out2 / "matrix.csv").read_bytes() == (out / "matrix.csv").read_bytes()


def test_exported_plan_still_runs_after_the_folder_moves_with_its_data(tmp_path: Path) -> None:
    root = tmp_path / "project"
    plan_file = write_plan_dir(root / "plan")
    s = Session.open(plan_file)
    run_exports(s.assignments(), s.matrix(), s.plan, root / "plan" / "exports", plan_file)
    moved = tmp_path / "moved"
    shutil.move(str(root), str(moved))
    rerun = Session.open(moved / "plan" / "exports" / "plan.toml")
    assert_frame_equal(
        rerun.assignments(), pl.read_parquet(moved / "plan" / "exports" / "assignments.parquet")
    )


def test_run_exports_into_the_plan_folder_refuses_and_writes_nothing(tmp_path: Path) -> None:
    plan_file = write_plan_dir(tmp_path / "plan")
    s = Session.open(plan_file)
    before = snapshot(plan_file.parent)
    with pytest.raises(AbmError) as info:
        run_exports(s.assignments(), s.matrix(), s.plan, plan_file.parent, plan_file)
    message = str(info.value)
    assert "plan.toml" in message and "refusing to overwrite" in message
    assert snapshot(plan_file.parent) == before
    assert not (plan_file.parent / "assignments.csv").exists()


def test_run_exports_guards_the_plan_file_it_was_loaded_from(tmp_path: Path) -> None:
    # The plan knows its own file (plan.source); a caller that omits plan_file must not get to
    # overwrite the planner's plan.toml (with its comments) either.
    plan_file = write_plan_dir(tmp_path / "plan")
    s = Session.open(plan_file)
    before = snapshot(plan_file.parent)
    with pytest.raises(AbmError):
        run_exports(s.assignments(), s.matrix(), s.plan, plan_file.parent)
    assert snapshot(plan_file.parent) == before


@pytest.mark.parametrize("victim", ["accounts", "engagement"])
def test_run_exports_never_overwrites_data_files(tmp_path: Path, victim: str) -> None:
    folder = tmp_path / "plan"
    plan_file = write_plan_dir(folder)
    out = folder / "out"
    out.mkdir()
    # The data files live in the out folder under the names run would write.
    shutil.move(folder / "accounts.csv", out / "assignments.csv")
    shutil.move(folder / "engagement.parquet", out / "assignments.parquet")
    text = plan_file.read_text()
    text = text.replace('accounts = "accounts.csv"', 'accounts = "out/assignments.csv"')
    text = text.replace('engagement = "engagement.parquet"', 'engagement = "out/assignments.parquet"')
    if victim == "accounts":
        # only the accounts file clashes: the engagement file moves back out
        shutil.move(out / "assignments.parquet", folder / "engagement.parquet")
        text = text.replace('engagement = "out/assignments.parquet"', 'engagement = "engagement.parquet"')
    else:
        shutil.move(out / "assignments.csv", folder / "accounts.csv")
        text = text.replace('accounts = "out/assignments.csv"', 'accounts = "accounts.csv"')
    plan_file.write_text(text)
    s = Session.open(plan_file)
    before = snapshot(out)
    with pytest.raises(AbmError, match="is an input of this plan; refusing to overwrite it"):
        run_exports(s.assignments(), s.matrix(), s.plan, out, plan_file)
    assert snapshot(out) == before


def test_guard_inputs_directly(tmp_path: Path, session: Session, plan_path: Path) -> None:
    inputs = input_paths(session.plan, plan_path)
    assert inputs == {
        (plan_path.parent / "accounts.csv").resolve(),
        (plan_path.parent / "engagement.parquet").resolve(),
        plan_path.resolve(),
    }
    guard_inputs([tmp_path / name for name in RUN_FILES], inputs)  # no clash: no error
    # a path spelled differently (.., relative parts) is still the same file
    sneaky = plan_path.parent / "sub" / ".." / "accounts.csv"
    with pytest.raises(AbmError, match="refusing to overwrite"):
        guard_inputs([tmp_path / "x.csv", sneaky], inputs)


# --- atomic writes -----------------------------------------------------------------------------


def test_failing_write_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "assignments.csv"
    target.write_text("old contents\n")

    def half_then_fail(tmp: Path) -> None:
        tmp.write_text("half a fi")
        raise OSError(28, "No space left on device")

    with pytest.raises(AbmError, match=r"assignments.csv: cannot write: no space left on device"):
        files.write_with(target, half_then_fail)
    assert target.read_text() == "old contents\n"
    assert [p.name for p in tmp_path.iterdir()] == ["assignments.csv"]


def test_failing_write_of_a_new_file_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "new" / "matrix.csv"

    def fail(tmp: Path) -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        files.write_with(target, fail)
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


def test_interrupted_write_is_cleaned_up(tmp_path: Path) -> None:
    target = tmp_path / "plan.toml"
    target.write_text("version = 1\n")

    def interrupted(tmp: Path) -> None:
        tmp.write_text("version = 2\n")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        files.write_with(target, interrupted)
    assert target.read_text() == "version = 1\n"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.toml"]


def test_successful_write_replaces_and_has_normal_permissions(tmp_path: Path) -> None:
    target = tmp_path / "plan.toml"
    target.write_text("old")
    assert files.write_text(target, "new ✓") == target
    assert target.read_text(encoding="utf-8") == "new ✓"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.toml"]
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    # mkstemp makes owner-only files; the export gets the permissions any new file would get
    assert target.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777


def test_write_csv_failure_keeps_previous_export(tmp_path: Path) -> None:
    target = tmp_path / "assignments.csv"
    write_csv(pl.DataFrame({"a": [1]}), target)
    before = target.read_bytes()
    bad = pl.DataFrame({"s": [{"nested": 1}]})  # a struct column cannot be written as CSV
    with pytest.raises(Exception):  # noqa: B017 - whatever Polars raises, the old file must survive
        write_csv(bad, target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["assignments.csv"]


def test_run_exports_writes_only_the_chosen_files_and_reports_progress(tmp_path: Path) -> None:
    from abm_tui.outputs.run_files import run_exports

    plan_path = write_plan_dir(tmp_path / "plan")
    session = Session.open(plan_path)
    heard: list[str] = []
    out = tmp_path / "chosen"
    written = run_exports(session.assignments(), session.matrix(), session.plan, out, plan_path,
                          files=("matrix.csv", "plan.toml"), progress=heard.append)
    assert [p.name for p in written] == heard == ["matrix.csv", "plan.toml"]
    assert sorted(p.name for p in out.iterdir()) == ["matrix.csv", "plan.toml"]
    with pytest.raises(AbmError, match="cannot export 'x.csv'"):
        run_exports(session.assignments(), session.matrix(), session.plan, out, plan_path, files=("x.csv",))
