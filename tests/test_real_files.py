"""Files nobody here wrote (issue 14): each reproducer is a real file written in tmp_path, read the way a planner's
own export is read (`load_accounts`, `abm-tui init`), and the public files in shared/realdata go through `init`."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from abm_tui.cli import main
from abm_tui.errors import AbmError
from abm_tui.ingest.load import load_accounts
from abm_tui.ingest.presets import CrmStage
from abm_tui.plan.model import Compare
from abm_tui.plan.parse import load_plan


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


HUBSPOT_LOWER = (
    "Record ID,Company name,Company Domain Name,Industry,Number of Employees,Lifecycle stage\n"
    "1,Acme,acme.com,n/a,100,Customer\n2,Beta,beta.com,Software,200,Opportunity\n3,Gamma,gamma.com,n/a,300,Lead\n"
)


# --- 1. CRM stage words whatever the header's spelling ----------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "values", "expected"),
    [
        ("Lifecycle stage", ["Customer", "Opportunity", "Lead"], [CrmStage.CUSTOMER, CrmStage.OPEN, CrmStage.NONE]),
        ("LIFECYCLESTAGE", ["customer", "opportunity", "lead"], [CrmStage.CUSTOMER, CrmStage.OPEN, CrmStage.NONE]),
        ("lifecycle_stage", ["evangelist", "other", "subscriber"], [CrmStage.CUSTOMER, CrmStage.NONE, CrmStage.NONE]),
    ],
)
def test_hubspot_lifecycle_words_whatever_the_header_case(
    tmp_path: Path, header: str, values: list[str], expected: list[str]
) -> None:
    rows = "".join(f"{i},Co {i},co{i}.com,{value}\n" for i, value in enumerate(values, start=1))
    path = write(tmp_path / "hs.csv", f"Record ID,Company name,Company Domain Name,{header}\n{rows}")
    frame = load_accounts(path).frame
    assert frame.get_column("crm_stage").to_list() == expected
    assert frame.get_column(header).to_list() == values  # the file's own column keeps its text


@pytest.mark.parametrize("header", ["TYPE", "type", "Type", "account type"])
def test_salesforce_type_words_whatever_the_header_case(tmp_path: Path, header: str) -> None:
    """Data Loader writes API names in upper case (`ID,NAME,TYPE,BILLINGCOUNTRY`)."""
    path = write(tmp_path / "sf.csv", f"ID,NAME,{header},BILLINGCOUNTRY\n"
                                      "001A,Acme,Customer - Direct,US\n001B,Beta,Former Customer,DE\n"
                                      "001C,Gamma,Prospect,FR\n001D,Delta,Installation Partner,US\n")
    accounts = load_accounts(path)
    assert accounts.report.preset == "salesforce"
    assert accounts.frame.get_column("crm_stage").to_list() == [
        CrmStage.CUSTOMER, CrmStage.CHURNED, CrmStage.NONE, CrmStage.NONE
    ]


def test_salesforce_opportunity_stage_in_capitals(tmp_path: Path) -> None:
    path = write(tmp_path / "sf.csv", "ACCOUNT ID,ACCOUNT NAME,STAGE\nA1,Acme,Closed Won\nA2,Beta,Negotiation\n"
                                      "A3,Gamma,Closed Lost\n")
    stages = load_accounts(path).frame.get_column("crm_stage").to_list()
    assert stages == [CrmStage.CLOSED_WON, CrmStage.OPEN, CrmStage.CLOSED_LOST]


def test_init_on_the_issue_reproducer_stages_customers_and_opportunities(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    accounts = write(tmp_path / "hs.csv", HUBSPOT_LOWER)
    assert main(["init", str(accounts)]) == 0
    out = capsys.readouterr().out
    assert "Stages: Closed Won 1, Closed Lost 0, Selecting 1, Identified 1" in out
    assert "crm_stage values no stage reads" not in out


# --- 2. missing-value tokens are missing everywhere -------------------------------------------------------------

TOKENS = ["n/a", "N/A", "NA", "-", "null", "NULL", "none", "None", "#N/A", "#NAME?", "nan", "?", "(blank)", "#VALUE!"]


@pytest.mark.parametrize("token", TOKENS)
def test_a_token_is_missing_in_a_column_with_no_blank_or_padded_cell(tmp_path: Path, token: str) -> None:
    path = write(tmp_path / "a.csv", f"account_id,industry,region,notes\nA1,{token},{token},{token}\n"
                                     "A2,Software,EMEA,call back\nA3,Retail,APAC,vip\n")
    frame = load_accounts(path).frame
    assert frame.get_column("industry").to_list() == [None, "Software", "Retail"]
    assert frame.get_column("region").to_list() == [None, "EMEA", "APAC"]
    assert frame.get_column("notes").to_list() == [None, "call back", "vip"]  # a column of the file's own


def test_tokens_in_numbers_are_missing_and_not_reported_as_unreadable(tmp_path: Path) -> None:
    rows = "".join(f"A{i},{i * 10},{'#N/A' if i % 3 == 0 else i}\n" for i in range(1, 31))
    accounts = load_accounts(write(tmp_path / "a.csv", "account_id,employees,score\n" + rows))
    frame = accounts.frame
    assert frame.schema["score"] == pl.Float64  # a token is not a word: the column is still numbers
    assert frame.get_column("score").null_count() == 10
    assert not [note for note in accounts.report.notes if "not a number" in note]


def test_an_id_that_is_a_token_is_a_blank_id_and_reported(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "account_id,name\nA1,Acme\n#N/A,Beta\nA3,Gamma\n n/a ,Delta\n")
    accounts = load_accounts(path)
    assert accounts.frame.get_column("account_id").to_list() == ["A1", "A3"]
    assert [str(d) for d in accounts.report.dropped] == ["row 3: blank account_id", "row 5: blank account_id"]


def test_none_stays_a_crm_stage_word(tmp_path: Path) -> None:
    """`none` is in the token table, but it is one of the design's crm_stage words."""
    path = write(tmp_path / "a.csv", "account_id,crm_stage,owner\nA1,none,none\nA2,customer,Ann\n")
    frame = load_accounts(path).frame
    assert frame.get_column("crm_stage").to_list() == ["none", "customer"]
    assert frame.get_column("owner").to_list() == [None, "Ann"]


def test_event_rows_naming_no_company_or_channel_are_not_matched_to_n_a(tmp_path: Path) -> None:
    from abm_tui.ingest.load import load_events

    path = write(tmp_path / "e.csv", "company,date,channel\nn/a,2026-11-01,webinar\nAcme,2026-11-01,N/A\n")
    events = load_events(path).frame
    assert events.get_column("company").to_list() == [None, "Acme"]
    assert events.get_column("channel").cast(pl.String).to_list() == ["webinar", None]


def test_init_on_the_issue_reproducer_does_not_target_n_a(tmp_path: Path) -> None:
    accounts = write(tmp_path / "hs.csv", HUBSPOT_LOWER)
    assert main(["init", str(accounts)]) == 0
    plan = load_plan(tmp_path / "plan.toml")
    assert "n/a" not in (tmp_path / "plan.toml").read_text()
    assert [c.name for c in plan.criteria] == ["Company size"]  # one real industry is no core industry


# --- 3. choosing the id ------------------------------------------------------------------------------------------

DX_SAMPLE = (  # Salesforce DX sample data: API names, no Id column
    "Name,Type,Industry,BillingCity,BillingCountry,NumberOfEmployees,AnnualRevenue,Website\n"
    "Sample Account for Entitlements,Customer - Direct,Technology,San Francisco,USA,150,1000000,sample.com\n"
    "Edge Communications,Customer - Direct,Electronics,Austin,USA,1000,139000000,edgecomm.com\n"
    "Burlington Textiles Corp of America,Customer - Direct,Apparel,Burlington,USA,9000,350000000,burlington.com\n"
    "Pyramid Construction Inc.,Customer - Channel,Construction,Paris,France,2680,950000000,pyramid.com\n"
    "Dickenson plc,Prospect,Consulting,Lawrence,USA,120,50000000,dickenson.com\n"
)


def test_a_unique_name_is_the_id_when_nothing_better_exists(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    accounts = write(tmp_path / "Account.csv", DX_SAMPLE)
    loaded = load_accounts(accounts)
    assert loaded.report.preset == "salesforce"
    assert loaded.frame.get_column("account_id").to_list()[:2] == ["Sample Account for Entitlements",
                                                                  "Edge Communications"]
    assert loaded.frame.get_column("crm_stage").to_list()[3:] == [CrmStage.CUSTOMER, CrmStage.NONE]
    assert main(["init", str(accounts)]) == 0
    assert 'account_id = "Name"' in (tmp_path / "plan.toml").read_text()  # next week's file is keyed the same


def salesforce_extract(rows: int = 500, repeated: int = 5) -> str:
    """Custom fields beside a `Name` that repeats (five companies share a name with another) and a unique
    `External_ID__c`, and a yes/no `Red_Account__c` flag."""
    lines = ["Name,External_ID__c,Red_Account__c,Industry,NumberOfEmployees,BillingCountry,Region__c"]
    for i in range(rows):
        name = f"Company {i - 1 if 0 < i <= repeated * 2 and i % 2 == 0 else i}"
        lines.append(f"{name},EXT-{i:05d},{'true' if i % 7 == 0 else 'false'},Software,{100 + i},US,West")
    return "\n".join(lines) + "\n"


def test_a_unique_id_shaped_column_wins_over_a_repeated_name(tmp_path: Path) -> None:
    loaded = load_accounts(write(tmp_path / "extract.csv", salesforce_extract()))
    assert loaded.report.rows_kept == 500 and not loaded.report.dropped
    assert dict(loaded.report.guessed)["account_id"] == "External_ID__c"
    assert loaded.frame.get_column("account_id")[0] == "EXT-00000"


def test_a_flag_column_is_never_offered_as_the_id(tmp_path: Path) -> None:

    path = write(tmp_path / "flags.csv", "Red_Account__c,Industry,Region__c\ntrue,Software,West\nfalse,Retail,East\n")
    with pytest.raises(AbmError) as info:
        load_accounts(path)
    message = str(info.value)
    assert "no account_id column" in message and "Red_Account__c" in message  # listed among the columns found
    assert "did you mean" not in message


def test_a_flag_column_is_never_chosen_as_the_id() -> None:
    from abm_tui.ingest import presets

    data = pl.DataFrame({"Is_Key_Account__c": ["yes", "no"], "Company": ["Acme", "Beta"]})
    assert dict(presets.resolve("auto", data).mapping)["account_id"] == "Company"


HUBSPOT_BAD_IDS = (
    "Record ID,Company name,Company Domain Name,Lifecycle Stage\n"
    "101,Acme,acme.com,Customer\n,Beta,beta.com,Lead\n103,Gamma,gamma.com,Lead\n103,Delta,delta.com,Opportunity\n"
    "105,Epsilon,epsilon.com,Lead\n"
)


def test_a_few_bad_record_ids_are_dropped_and_reported_not_a_switch_to_names(tmp_path: Path) -> None:
    loaded = load_accounts(write(tmp_path / "hs.csv", HUBSPOT_BAD_IDS))
    assert loaded.frame.get_column("account_id").to_list() == ["101", "103", "105"]
    assert [str(d) for d in loaded.report.dropped] == ["row 3: blank account_id",
                                                       "row 5 ('103'): duplicate account_id"]
    summary = "\n".join(loaded.report.summary())
    assert "1 with a blank account_id, 1 with a duplicate account_id" in summary


def test_the_hubspot_import_carries_record_ids_not_names(tmp_path: Path) -> None:
    accounts = write(tmp_path / "hs.csv", HUBSPOT_BAD_IDS)
    assert main(["init", str(accounts)]) == 0
    assert main(["export", str(tmp_path / "plan.toml"), "--to", "hubspot", "--out", str(tmp_path / "out")]) == 0
    imported = pl.read_csv(next((tmp_path / "out").rglob("*hubspot*.csv")), infer_schema=False)
    assert sorted(imported.get_column("Record ID").to_list()) == ["101", "103", "105"]


def test_a_mostly_empty_id_column_gives_way_and_the_report_says_why(tmp_path: Path) -> None:
    rows = "".join(f"{100 + i if i < 2 else ''},Co {i},co{i}.com\n" for i in range(6))
    loaded = load_accounts(write(tmp_path / "hs.csv", "Record ID,Company name,Company Domain Name\n" + rows))
    assert loaded.frame.get_column("account_id").to_list() == [f"Co {i}" for i in range(6)]
    assert "account_id is 'Company name', which names every row once; not 'Record ID' (4 rows blank or repeated)" \
        in loaded.report.layout


def test_no_unique_column_keeps_the_most_and_says_so(tmp_path: Path) -> None:
    loaded = load_accounts(write(tmp_path / "a.csv", "Company,Sector\nAcme,Tech\nAcme,Tech\nBeta,Retail\n"))
    assert loaded.frame.get_column("account_id").to_list() == ["Acme", "Beta"]
    assert "no column names every row once (1 row blank or repeated); choose another with --id" \
        in loaded.report.layout


def test_init_id_option_keys_the_plan_by_that_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    accounts = write(tmp_path / "extract.csv", salesforce_extract(rows=40))
    assert main(["init", str(accounts), "--id", "Name"]) == 0
    out = capsys.readouterr().out
    assert "40 rows read, 35 accounts kept" in out  # the planner asked for it: the repeats are dropped and said
    assert 'account_id = "Name"' in (tmp_path / "plan.toml").read_text()
    assert main(["run", str(tmp_path / "plan.toml"), "--out", str(tmp_path / "run")]) == 0


def test_init_id_option_naming_no_column_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    accounts = write(tmp_path / "extract.csv", salesforce_extract(rows=10))
    assert main(["init", str(accounts), "--id", "External_Id"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert 'no column "External_Id" to read account_id from' in err and "did you mean 'External_ID__c'" in err
    assert not (tmp_path / "plan.toml").exists()


# --- the public files in shared/realdata -------------------------------------------------------------------------

REAL_IDS = {  # the id init proposes for each public file, and why it is the right one
    "Fortune_1000.csv": "company",  # `Ticker` is blank for private companies; the name is unique
    "constituents-financials.csv": "Symbol",  # unique; `Name` is unique too, but a ticker is the steadier key
    "constituents.csv": "Symbol",
    "Forbes2000.csv": "rownames",  # the published row index; `name` is unique too
    "crunchbase-companies.csv": "permalink",  # Crunchbase's own id, unique, id-shaped
}


@pytest.mark.realdata
@pytest.mark.parametrize("file", sorted(REAL_IDS))
def test_real_file_through_init_run_and_every_export(realdata: Path, tmp_path: Path, file: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "plan.toml"
    assert main(["init", str(realdata / file), "--out", str(plan)]) == 0
    assert f'account_id = "{REAL_IDS[file]}"' in plan.read_text()
    assert main(["run", str(plan), "--out", str(tmp_path / "run")]) == 0
    out_dir = tmp_path / "exports"
    assert main(["export", str(plan), "--to", "hubspot,salesforce,linkedin,sql", "--out", str(out_dir)]) == 0
    assert capsys.readouterr().err == ""
    for written in ("plan.sql", "manifest.json", "hubspot_companies.csv", "salesforce_accounts.csv", "linkedin"):
        assert (out_dir / written).exists(), written


@pytest.mark.realdata
def test_real_missing_tokens_are_missing(realdata: Path) -> None:
    forbes = load_accounts(realdata / "Forbes2000.csv")
    assert forbes.frame.get_column("profits").null_count() == 5  # `NA`, as R writes it
    crunchbase = load_accounts(realdata / "crunchbase-companies.csv")
    mangled = crunchbase.frame.filter(pl.col("permalink") == "/company/n-plusn")
    assert mangled.get_column("name").to_list() == [None]  # Excel's `#NAME?` is no company's name
    assert crunchbase.report.rows_kept == 17_727


@pytest.mark.realdata
def test_real_tickers_with_blanks_do_not_key_the_fortune_list(realdata: Path) -> None:
    fortune = load_accounts(realdata / "Fortune_1000.csv")
    assert fortune.report.rows_kept == 1_000 and not fortune.report.dropped
    assert fortune.frame.get_column("account_id").head(2).to_list() == ["Walmart", "Amazon"]


def test_the_readme_lists_every_missing_value_token() -> None:
    from abm_tui.ingest.cleaning import MISSING_TOKENS

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("**Missing-value tokens**"):].split("\n\n")[1].lower()
    assert [token for token in MISSING_TOKENS if token and f"`{token}`" not in table] == []


# --- 4. common headers, countries, domains -----------------------------------------------------------------------

PDL = (  # People Data Labs' free company list, its own header row
    ",name,domain,year founded,industry,size range,locality,country,linkedin url,current employee estimate,"
    "total employee estimate\n"
    "5872184,ibm,ibm.com,1911,information technology and services,10001+,\"new york, new york, united states\","
    "united states,linkedin.com/company/ibm,274047,716906\n"
    "4425416,tata consultancy services,tcs.com,1968,information technology and services,10001+,"
    "\"bombay, maharashtra, india\",india,linkedin.com/company/tata-consultancy-services,190771,341369\n"
    "21074,accenture,accenture.com,1989,information technology and services,10001+,"
    "\"dublin, dublin, ireland\",ireland,linkedin.com/company/accenture,190689,455768\n"
)


def test_people_data_labs_headers_are_mapped(tmp_path: Path) -> None:
    loaded = load_accounts(write(tmp_path / "companies_sorted.csv", PDL))
    frame = loaded.frame
    assert frame.get_column("employees").to_list() == [274047, 190771, 190689]  # the count, not the open band
    assert frame.get_column("linkedin_url").to_list()[0] == "linkedin.com/company/ibm"
    assert frame.get_column("country").to_list() == ["United States", "India", "Ireland"]
    assert frame.get_column("country_iso").to_list() == ["US", "IN", "IE"]


def test_the_linkedin_list_carries_the_linkedin_page(tmp_path: Path) -> None:
    accounts = write(tmp_path / "companies_sorted.csv", PDL)
    assert main(["init", str(accounts)]) == 0
    assert main(["export", str(tmp_path / "plan.toml"), "--to", "linkedin", "--out", str(tmp_path / "out")]) == 0
    pages = pl.concat([pl.read_csv(path, infer_schema=False) for path in (tmp_path / "out" / "linkedin").glob("*.csv")
                       if path.name != "lists.csv"]).get_column("linkedincompanypageurl")
    assert pages.null_count() == 0 and pages.len() > 0


def test_hubspot_technologies_funding_stage_and_salesforce_region(tmp_path: Path) -> None:
    hubspot = write(tmp_path / "hs.csv", "Record ID,Company name,Company Domain Name,Technologies,Funding Stage\n"
                                         "1,Acme,acme.com,Salesforce;Snowflake,Series B\n2,Beta,beta.io,,Seed\n")
    frame = load_accounts(hubspot).frame
    assert frame.get_column("tech_stack").to_list() == [["Salesforce", "Snowflake"], []]
    assert frame.get_column("funding_stage").to_list() == ["Series B", "Seed"]
    salesforce = write(tmp_path / "sf.csv", "Id,Name,BillingCountry,Region__c\n001A,Acme,US,West\n001B,Beta,DE,EMEA\n")
    assert load_accounts(salesforce).frame.get_column("region").to_list() == ["West", "EMEA"]


def test_one_country_however_it_is_written(tmp_path: Path) -> None:
    rows = "A1,US\nA2,USA\nA3,United States\nA4,U.S.A.\nA5,Germany\nA6,DEU\nA7,UK\nA8,Netherlands/ United Kingdom\n"
    loaded = load_accounts(write(tmp_path / "a.csv", "account_id,country\n" + rows))
    frame = loaded.frame
    assert frame.get_column("country").to_list() == [
        "United States", "United States", "United States", "United States", "Germany", "Germany", "United Kingdom",
        "Netherlands/ United Kingdom",  # a joint listing is no one country: kept as written, and said
    ]
    assert frame.get_column("country_iso").to_list() == ["US", "US", "US", "US", "DE", "DE", "GB", None]
    assert 'country: 1 row names no country ISO 3166 knows (1 distinct, first at row 9: "Netherlands/ United ' \
           'Kingdom"); kept as written' in loaded.report.notes


def test_countries_written_as_codes_stay_codes(tmp_path: Path) -> None:
    """Rules compare against what the planner sees in the file: a file of codes keeps codes, one per country."""
    loaded = load_accounts(write(tmp_path / "a.csv", "account_id,country\nA1,US\nA2,DE\nA3,United States\nA4,gb\n"))
    assert loaded.frame.get_column("country").to_list() == ["US", "DE", "US", "GB"]


def test_a_home_market_criterion_counts_one_country(tmp_path: Path) -> None:
    rows = "".join(f"A{i},{('US', 'USA', 'United States', 'France')[i % 4]},{i * 10}\n" for i in range(40))
    accounts = write(tmp_path / "a.csv", "account_id,country,employees\n" + rows)
    assert main(["init", str(accounts)]) == 0
    assert 'where = { country = { eq = "United States" } }' in (tmp_path / "plan.toml").read_text()


def test_a_domain_that_is_no_hostname_is_flagged_not_exported(tmp_path: Path) -> None:
    path = write(tmp_path / "hs.csv", "Record ID,Company name,Company Domain Name\n1,Larsen,expressl&t.net\n"
                                      "2,Acme,https://www.acme.com/\n3,Beta,beta.io\n")
    loaded = load_accounts(path)
    assert loaded.frame.get_column("domain").to_list() == [None, "acme.com", "beta.io"]
    assert 'domain: 1 value is not a hostname (first at row 2: "expressl&t.net"); treated as missing' \
        in loaded.report.notes


def test_a_one_cell_location_gives_city_and_state(tmp_path: Path) -> None:
    pdl = load_accounts(write(tmp_path / "companies_sorted.csv", PDL))
    assert pdl.frame.get_column("city").to_list() == ["new york", "bombay", "dublin"]
    assert pdl.frame.get_column("state").to_list() == ["new york", "maharashtra", "dublin"]
    assert pdl.frame.get_column("country").to_list() == ["United States", "India", "Ireland"]  # the file's own
    sp = write(tmp_path / "constituents.csv", 'Symbol,Security,Headquarters Location\nHBAN,Huntington,'
                                              '"Columbus, Ohio; Detroit, Michigan"\nAMCR,Amcor,'
                                              '"Warmley, Bristol, United Kingdom"\nMMM,3M,"Saint Paul, Minnesota"\n')
    frame = load_accounts(sp).frame
    assert frame.select("city", "state", "country").rows() == [
        ("Columbus", "Ohio", None), ("Warmley", "Bristol", "United Kingdom"), ("Saint Paul", "Minnesota", None)
    ]


# --- 5. JSON: arrays of records and Salesforce DX trees ----------------------------------------------------------

DX_TREE = """{
    "records": [
        {"attributes": {"type": "Account", "referenceId": "SampleAccountRef1"},
         "Name": "Sample Account for Entitlements", "Type": "Customer - Direct", "Industry": "Technology",
         "BillingCountry": "USA", "NumberOfEmployees": 150,
         "Contacts": {"records": [{"attributes": {"type": "Contact", "referenceId": "C1"}, "LastName": "Ng"}]}},
        {"attributes": {"type": "Account", "referenceId": "SampleAccountRef2"}, "Name": "Edge Communications",
         "Type": "Prospect", "Industry": "Electronics", "BillingCountry": "United States", "NumberOfEmployees": 1000}
    ]
}
"""


def test_a_salesforce_dx_tree_is_read_as_accounts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "Account.json", DX_TREE)
    loaded = load_accounts(path)
    frame = loaded.frame
    assert loaded.report.preset == "salesforce"
    assert frame.get_column("account_id").to_list() == ["Sample Account for Entitlements", "Edge Communications"]
    assert frame.get_column("crm_stage").to_list() == [CrmStage.CUSTOMER, CrmStage.NONE]
    assert frame.get_column("employees").to_list() == [150, 1000]
    assert frame.get_column("country").to_list() == ["United States", "United States"]
    assert "left out attributes, Contacts: nested objects, not one value per record" in loaded.report.notes
    assert main(["init", str(path)]) == 0


def test_a_json_array_and_one_record_per_line(tmp_path: Path) -> None:
    array = write(tmp_path / "a.json", '[{"account_id": "A1", "industry": "n/a"}, {"account_id": "A2", '
                                       '"industry": "Retail", "tech_stack": ["Slack", "Zoom"]}]')
    frame = load_accounts(array).frame
    assert frame.get_column("industry").to_list() == [None, "Retail"]
    lines = write(tmp_path / "b.json", '{"account_id": "A1", "name": "Acme"}\n{"account_id": "A2", "name": "Beta"}\n')
    assert load_accounts(lines).frame.get_column("name").to_list() == ["Acme", "Beta"]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('{"totalSize": 2, "done": true}', "this one is a dict with keys totalSize, done"),
        ('{"records": []}', "this one is an empty list"),
        ("[1, 2, 3]", "this one is a list"),
        ('{"records": [{"Name": "Acme"}', "is not JSON"),
    ],
)
def test_other_json_says_which_forms_are_read(tmp_path: Path, text: str, said: str) -> None:

    with pytest.raises(AbmError) as info:
        load_accounts(write(tmp_path / "x.json", text))
    message = str(info.value)
    assert said in message and "Salesforce DX tree" in message and len(message.splitlines()) == 1
    assert "no account_id" not in message


# --- 6. events dated after today ---------------------------------------------------------------------------------


def test_one_future_event_does_not_set_as_of(tmp_path: Path) -> None:
    import datetime as dt

    from abm_tui.engine.features import resolve_as_of

    events = pl.DataFrame({"date": [dt.date(2026, 11, 20), dt.date(2026, 11, 28), dt.date(2099, 1, 1)]})
    today = dt.date(2026, 12, 2)
    assert resolve_as_of(None, events, today) == dt.date(2026, 11, 28)
    assert resolve_as_of(dt.date(2026, 10, 1), events, today) == dt.date(2026, 10, 1)  # the plan's date wins
    ahead = pl.DataFrame({"date": [dt.date(2099, 1, 1), dt.date(2099, 2, 1)]})
    assert resolve_as_of(None, ahead, today) == dt.date(2099, 2, 1)  # every event ahead: the clock is off


def test_init_with_a_typo_in_the_future_counts_it_and_keeps_the_window(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    import datetime as dt

    accounts = write(tmp_path / "accounts.csv", "account_id,name\nA1,Acme\nA2,Beta\nA3,Gamma\n")
    day = dt.date.today() - dt.timedelta(days=3)
    rows = [f"A{1 + i % 3},{day - dt.timedelta(days=i)},demo_request\n" for i in range(12)]
    events = write(tmp_path / "events.csv", "account_id,date,channel\n" + "".join(rows) + "A1,2206-11-02,webinar\n")
    assert main(["init", str(accounts), "--engagement", str(events)]) == 0
    out = capsys.readouterr().out
    assert "1 row is dated after as_of and is ignored" in out
    from abm_tui.session import Session

    session = Session.open(tmp_path / "plan.toml")
    assert session.as_of == day  # the newest event not after today, so the 30-day window holds the demo requests
    assert session.workspace.table.get_column("demo_request_recent").sum() == 12


# --- 8. existing customers stay out of the acquisition tiers -----------------------------------------------------


def test_existing_customers_stay_out_of_tiers_1_to_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    types = ("Customer - Direct", "Prospect", "Prospect", "Customer - Channel", "Prospect")
    rows = "".join(f"001{i:012d}AAA,Co {i},{types[i % 5]},{'Software' if i % 2 else 'Retail'},{100 + 37 * i},US\n"
                   for i in range(60))
    accounts = write(tmp_path / "sf.csv", "Id,Name,Type,Industry,NumberOfEmployees,BillingCountry\n" + rows)
    assert main(["init", str(accounts)]) == 0
    out = capsys.readouterr().out
    assert "Tiers 1 to 3 leave out the 24 accounts that are customers already" in out
    text = (tmp_path / "plan.toml").read_text()
    assert 'not = { crm_stage = { in = ["closed_won", "customer"] } }' in text
    assert main(["run", str(tmp_path / "plan.toml"), "--out", str(tmp_path / "run")]) == 0
    assignments = pl.read_csv(next((tmp_path / "run").rglob("assignments.csv")), infer_schema=False)
    customer_ids = [f"001{i:012d}AAA" for i in range(60) if i % 5 in (0, 3)]
    customers = assignments.filter(pl.col("account_id").is_in(customer_ids))
    assert customers.height == 24 and set(customers.get_column("tier").to_list()) == {"Not target"}


# --- 9. revenue in millions or billions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "figures", "unit"),
    [
        ("revenue ($M)", (120_000, 45_000, 30_000, 98_000), "millions"),  # the header says so, whatever the figures
        ("Revenue", (523.9, 280.5, 264.9, 12.1), "millions"),
        ("sales", (4.4, 2.1, 0.9, 12.5), "billions"),
    ],
)
def test_revenue_in_millions_or_billions_is_said(tmp_path: Path, capsys: pytest.CaptureFixture[str], header: str,
                                                 figures: tuple[float, ...], unit: str) -> None:
    rows = "".join(f"C{i},Co {i},{figures[i % 4]}\n" for i in range(40))
    accounts = write(tmp_path / "list.csv", f"id,company,{header}\n" + rows)
    assert main(["init", str(accounts)]) == 0
    out = capsys.readouterr().out
    assert f"annual_revenue looks like {unit} of dollars" in out


def test_revenue_in_dollars_is_not_questioned(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = "".join(f"C{i},Co {i},{(i + 1) * 1_250_000}\n" for i in range(40))
    assert main(["init", str(write(tmp_path / "list.csv", "id,company,Annual revenue\n" + rows))]) == 0
    assert "looks like" not in capsys.readouterr().out


@pytest.mark.realdata
def test_forbes_sales_are_said_to_be_billions(realdata: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(realdata / "Forbes2000.csv"), "--out", str(tmp_path / "plan.toml")]) == 0
    assert "annual_revenue looks like billions of dollars" in capsys.readouterr().out


# --- 7. tiers that mean something when fit scores tie ------------------------------------------------------------


def test_a_tie_at_the_top_score_is_split_by_revenue_not_by_id(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """Two fit columns, so most of the list ties at the top score: the ids run against revenue, so a split by
    id would put the smallest companies in Tier 1."""
    rows = "".join(f"C{i:03d},Co {i},{'Software' if i % 4 else 'Retail'},{1000 - i}\n" for i in range(200))
    accounts = write(tmp_path / "list.csv", "id,company,sector,revenue\n" + rows)
    assert main(["init", str(accounts)]) == 0
    out = capsys.readouterr().out
    plan = load_plan(tmp_path / "plan.toml")
    tier_1 = plan.tiers[0].where.items
    assert any(isinstance(c, Compare) and c.column == "annual_revenue" and c.op == "min" for c in tier_1)
    assert "the biggest of the" in out
    assert main(["run", str(tmp_path / "plan.toml"), "--out", str(tmp_path / "run")]) == 0
    assignments = pl.read_csv(next((tmp_path / "run").rglob("assignments.csv")), infer_schema=False)
    index = pl.col("account_id").str.slice(1).cast(pl.Int64)  # revenue falls as the id rises
    by_tier = dict(assignments.group_by("tier").agg(index.min().alias("first"), index.max().alias("last"))
                   .select("tier", pl.struct("first", "last")).iter_rows())
    assert by_tier["Tier 1"]["first"] == 1 and by_tier["Tier 1"]["last"] < by_tier["Tier 2"]["first"]


@pytest.mark.realdata
def test_a_tie_nothing_ranks_goes_down_whole_not_by_id(realdata: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """The S&P list has sectors and nothing that says how big a company is: one achievable score, so rather than
    split the tie by id, Tiers 1 and 2 are disabled (visible in the plan) and the 291 go to Tier 3, which fits."""
    assert main(["init", str(realdata / "constituents.csv"), "--out", str(tmp_path / "plan.toml")]) == 0
    out = capsys.readouterr().out
    assert "Tier 1 and Tier 2 are disabled: the accounts at the top fit score tie, and nothing in the file ranks " \
           "them" in out
    plan = load_plan(tmp_path / "plan.toml")
    assert [t.enabled for t in plan.tiers] == [False, False, True]
    assert all(t.limit is None for t in plan.tiers)
    assert "Tier 3               291" in out


@pytest.mark.realdata
@pytest.mark.parametrize(("file", "size"), [("constituents-financials.csv", "Market Cap"),
                                            ("crunchbase-companies.csv", "funding_total_usd")])
def test_a_files_own_size_figure_ranks_the_tie(realdata: Path, tmp_path: Path, file: str, size: str) -> None:
    """One fit column (sectors), but a size figure in the file: Tiers 1 and 2 take the biggest by it, as a visible
    `min`, and Crunchbase's Tier 3 (8,670 at the top score, the seeds' 1:many is at most 1,000) keeps its best by
    fit, then funding, never by id."""
    assert main(["init", str(realdata / file), "--out", str(tmp_path / "plan.toml")]) == 0
    plan = load_plan(tmp_path / "plan.toml")
    for tier in plan.tiers[:2]:
        assert any(isinstance(c, Compare) and c.column == size and c.op == "min" for c in tier.where.items)
        assert tier.limit is None
    limited = [t for t in plan.tiers if t.limit is not None]
    assert all(t.rank_by == ("fit_score", size) for t in limited)
    assert main(["run", str(tmp_path / "plan.toml"), "--out", str(tmp_path / "run")]) == 0
    assignments = pl.read_parquet(tmp_path / "run" / "assignments.parquet")
    accounts = load_accounts(realdata / file, plan.data.columns).frame.select("account_id", size)
    by_tier = assignments.join(accounts, on="account_id").group_by("tier").agg(pl.col(size).min().alias("low"),
                                                                             pl.col(size).max().alias("high"))
    bounds = {row["tier"]: (row["low"], row["high"]) for row in by_tier.iter_rows(named=True)}
    assert bounds["Tier 1"][0] >= bounds["Tier 2"][1], "Tier 1 is the biggest"
    if file.startswith("crunchbase"):
        assert len(limited) == 1 and limited[0].name == "Tier 3" and limited[0].limit == 1000
        assert bounds["Tier 2"][0] >= bounds["Tier 3"][1]


def test_engagement_ranks_a_tie_when_the_file_has_no_size(tmp_path: Path) -> None:
    """No size column but engagement: the tier above keeps the most engaged of the tie, as a visible `min` on
    engagement_recent, never the first ids."""
    rows = "".join(f"C{i:03d},Co {i},{'Software' if i % 3 else 'Retail'}\n" for i in range(300))
    accounts = write(tmp_path / "list.csv", "id,company,sector\n" + rows)
    events = "".join(f"C{i:03d},2026-11-{1 + i % 19:02d},ad_click,{1 + (299 - i) // 10}\n" for i in range(300))
    engagement = write(tmp_path / "events.csv", "account_id,date,channel,count\n" + events)
    assert main(["init", str(accounts), "--engagement", str(engagement), "--out", str(tmp_path / "plan.toml")]) == 0
    plan = load_plan(tmp_path / "plan.toml")
    assert all(t.enabled and t.limit is None for t in plan.tiers)
    assert any(isinstance(c, Compare) and c.column == "engagement_recent" and c.op == "min"
               for c in plan.tiers[1].where.items)
    assert main(["run", str(tmp_path / "plan.toml"), "--out", str(tmp_path / "run")]) == 0
    assignments = pl.read_parquet(tmp_path / "run" / "assignments.parquet")
    number = pl.col("account_id").str.slice(1).cast(pl.Int64)  # engagement falls as the id rises
    ids = dict(assignments.group_by("tier").agg(number.min().alias("first"), number.max().alias("last"))
               .select("tier", pl.struct("first", "last")).iter_rows())
    assert ids["Tier 2"]["last"] < ids["Tier 3"]["first"] or ids["Tier 2"]["first"] < 20, ids
    assert ids["Tier 2"]["first"] < 40, "the most engaged (the first ids) are taken"


# --- 10. a file's own engagement columns -------------------------------------------------------------------------


def test_per_account_engagement_columns_are_engagement(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = "".join(f"A{i},Co {i},{'Software' if i % 2 else 'Retail'},{100 + 10 * i},{i % 4},{1 if i % 5 == 0 else 0},"
                   f"{i * 7}\n" for i in range(40))
    accounts = write(tmp_path / "acc.csv",
                     "account_id,name,industry,employees,pricing_visits,demo_requests,Impressions\n" + rows)
    assert main(["init", str(accounts)]) == 0
    out = capsys.readouterr().out
    assert ("engagement from the accounts file's own columns: pricing_visits as pricing_page_visit, demo_requests "
            "as demo_request, Impressions as ad_impression") in out
    assert "no engagement file" not in out and "Considering: any pricing_page_visit or demo_request" in out
    from abm_tui.session import Session

    session = Session.open(tmp_path / "plan.toml")
    table = session.workspace.table
    assert table.get_column("demo_request_total").to_list() == [1.0 if i % 5 == 0 else 0.0 for i in range(40)]
    assert table.get_column("pricing_page_visit_recent").sum() == sum(i % 4 for i in range(40))


def test_engagement_columns_that_are_not_numbers_are_not_engagement(tmp_path: Path) -> None:
    from abm_tui.plan.model import DataSource, Plan
    from abm_tui.session import load_dataset

    write(tmp_path / "acc.csv", "account_id,webinars\nA1,yes\nA2,no\n")
    dataset = load_dataset(Plan(data=DataSource("acc.csv"), base_dir=tmp_path))
    assert dataset.events is None and dataset.report.events_file is None

