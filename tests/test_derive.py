"""Derivations: one rule per test on tiny literal frames (admiral style), then the datasets
against the simulator's ground truth."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from sle_car._checks import MissingColumnsError
from sle_car.derive import (
    compute_duration,
    derive_var_ablfl,
    derive_var_anl01fl,
    derive_var_anrind,
    derive_var_base,
    derive_var_chg,
    derive_vars_visit_window,
    drug_exposure_by_day,
    sustained_response,
)
from sle_car.derive.build import build_study, derive_to_dir, load_study, subject_batches
from sle_car.io import DataFileError, write_manifest


def test_visit_window_1_midpoints_between_nominal_days() -> None:
    out = derive_vars_visit_window(pl.DataFrame({"ADY": [-1, 0, 14, 21, 28, 41, 42, 400]}))
    assert out["AVISIT"].to_list() == [
        "BASELINE",
        "DAY 0",
        "DAY 14",
        "WEEK 4",
        "WEEK 4",
        "WEEK 4",
        "WEEK 8",
        "MONTH 12",
    ]


def test_visit_window_2_nothing_after_infusion_is_baseline() -> None:
    out = derive_vars_visit_window(pl.DataFrame({"ADY": [-3, -2, -25]}))
    assert out["AVISIT"].to_list() == ["BASELINE", "BASELINE", "SCREENING"]


def test_ablfl_1_last_value_before_lymphodepletion() -> None:
    df = pl.DataFrame(
        {
            "USUBJID": ["A"] * 4,
            "PARAMCD": ["X"] * 4,
            "ADY": [-30, -6, -4, 7],
            "AVAL": [1.0, 2.0, 3.0, 4.0],
        }
    )
    assert derive_var_ablfl(df, by_vars=["USUBJID", "PARAMCD"])["ABLFL"].to_list() == [
        None,
        "Y",
        None,
        None,
    ]


def test_ablfl_2_missing_value_is_skipped() -> None:
    df = pl.DataFrame(
        {"USUBJID": ["A"] * 3, "PARAMCD": ["X"] * 3, "ADY": [-30, -6, 7], "AVAL": [1.0, None, 4.0]}
    )
    assert derive_var_ablfl(df, by_vars=["USUBJID", "PARAMCD"])["ABLFL"].to_list() == [
        "Y",
        None,
        None,
    ]


def test_base_and_chg_1_change_only_after_infusion() -> None:
    df = pl.DataFrame(
        {
            "USUBJID": ["A"] * 3,
            "PARAMCD": ["X"] * 3,
            "ADY": [-6, -2, 28],
            "AVAL": [1.2, 1.0, 0.9],
            "ABLFL": ["Y", None, None],
        }
    )
    out = derive_var_chg(derive_var_base(df, by_vars=["USUBJID", "PARAMCD"]))
    assert out["BASE"].to_list() == [1.2, 1.2, 1.2]
    assert out["CHG"].to_list() == [None, None, -0.3]  # rounded: not -0.29999999999999993


def test_anl01fl_1_closest_to_nominal_day_earlier_on_tie() -> None:
    df = derive_vars_visit_window(
        pl.DataFrame({"USUBJID": ["A"] * 3, "ADY": [26, 30, 33], "AVAL": [1.0, 2.0, 3.0]})
    )
    out = derive_var_anl01fl(df, by_vars=["USUBJID"])
    assert out["ANL01FL"].to_list() == ["Y", None, None]  # 26 and 30 are both 2 days off 28


def test_anl01fl_2_record_without_value_is_not_chosen() -> None:
    df = derive_vars_visit_window(
        pl.DataFrame({"USUBJID": ["A"] * 2, "ADY": [28, 35], "AVAL": [None, 2.0]})
    )
    assert derive_var_anl01fl(df, by_vars=["USUBJID"])["ANL01FL"].to_list() == [None, "Y"]


def test_anrind_1_limits_are_normal() -> None:
    df = pl.DataFrame(
        {
            "USUBJID": ["A"] * 3,
            "PARAMCD": ["X"] * 3,
            "AVAL": [0.9, 1.8, 1.81],
            "ANRLO": [0.9] * 3,
            "ANRHI": [1.8] * 3,
            "ABLFL": ["Y", None, None],
        }
    )
    out = derive_var_anrind(df)
    assert out["ANRIND"].to_list() == ["NORMAL", "NORMAL", "HIGH"]
    assert out["BNRIND"].to_list() == ["NORMAL"] * 3


def test_duration_1_event_on_origin_day_is_one_day_with_admirals_plus_one() -> None:
    df = pl.DataFrame({"S": [0, 0], "E": [0, 91]})
    assert df.select(compute_duration(pl.col("S"), pl.col("E"), add_one=True))["E"].to_list() == [
        1,
        92,
    ]  # ADTTE-T03, T01 ("with +1 convention")


def test_duration_2_default_is_days_since_infusion() -> None:
    """Day 0 = infusion: a remission seen at the day-84 visit is 84 days (issue 16)."""
    df = pl.DataFrame({"S": [0, 0, 0], "E": [0, 84, 91]})
    assert df.select(compute_duration(pl.col("S"), pl.col("E")))["E"].to_list() == [0, 84, 91]


def _cm(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "USUBJID": pl.String,
            "CMCLAS": pl.String,
            "CMPREDEQ": pl.Float64,
            "CMSTDY": pl.Int64,
            "CMENDY": pl.Int64,
        },
        orient="row",
    )


def test_exposure_1_prednisolone_dose_on_the_day() -> None:
    cm = _cm([("A", "GLUCOCORTICOID", 10.0, -100, 59), ("A", "GLUCOCORTICOID", 5.0, 60, None)])
    days = pl.DataFrame({"USUBJID": ["A"] * 3, "ADY": [59, 60, 300]})
    assert drug_exposure_by_day(cm, days)["PREDDOSE"].to_list() == [10.0, 5.0, 5.0]


def test_exposure_2_recent_start_is_unstable_and_post_infusion_start_is_failure() -> None:
    cm = _cm([("A", "IMMUNOSUPPRESSANT", None, 100, None)])
    out = drug_exposure_by_day(
        cm, pl.DataFrame({"USUBJID": ["A"] * 3, "ADY": [90, 150, 250]}), stable_days=90
    )
    assert out["ISUNSTABLE"].to_list() == [False, True, False]
    assert out["TRTFAIL"].to_list() == [False, True, True]
    assert out["ONIS"].to_list() == [False, True, True]


def test_sustained_1_run_of_365_days() -> None:
    df = pl.DataFrame(
        {
            "USUBJID": ["A"] * 5 + ["B"] * 3,
            "ADY": [28, 56, 200, 393, 420, 28, 300, 392],
            "AVALC": ["N", "Y", "Y", "Y", "N", "Y", "N", "Y"],
        }
    )
    out = sustained_response(df, min_days=365).sort("USUBJID")
    assert out["SUSTDY"].to_list() == [None, None]  # A: 56 -> 393 is 337 days
    out = sustained_response(df, min_days=337).sort("USUBJID")
    assert out["SUSTDY"].to_list() == [56, None]


def test_missing_columns_name_the_producer() -> None:
    with pytest.raises(MissingColumnsError, match="derive_vars_visit_window"):
        derive_var_anl01fl(
            pl.DataFrame({"USUBJID": ["A"], "ADY": [1], "AVAL": [1.0]}), by_vars=["USUBJID"]
        )


# --- whole datasets ------------------------------------------------------------------------------


def test_build_is_byte_identical_and_cached(
    cohort_dir: Path, built3: tuple[Path, dict], tmp_path: Path
) -> None:
    import shutil

    shutil.copytree(built3[0], tmp_path / "a")
    build_study(cohort_dir, tmp_path / "b")
    files = sorted((tmp_path / "a").glob("*.parquet"))
    assert files
    for f in files:
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes(), f.name
    log = json.loads((tmp_path / "a" / "derivation_log.json").read_text())
    assert log["rows"]["adsl"] == 3
    before = (tmp_path / "a" / "adsl.parquet").stat().st_mtime_ns
    ds = load_study(cohort_dir, tmp_path / "a")
    assert (tmp_path / "a" / "adsl.parquet").stat().st_mtime_ns == before  # not rebuilt
    assert ds["adsl"].height == 3


def test_changed_data_triggers_rebuild(
    cohort_dir: Path, built3: tuple[Path, dict], tmp_path: Path
) -> None:
    import shutil

    data = tmp_path / "data"
    shutil.copytree(cohort_dir, data)
    shutil.copytree(built3[0], tmp_path / "out")  # derived from the same data before
    before = (tmp_path / "out" / "adsl.parquet").stat().st_mtime_ns
    load_study(data, tmp_path / "out")
    assert (tmp_path / "out" / "adsl.parquet").stat().st_mtime_ns == before  # current: reused
    dm = pl.read_csv(data / "dm.csv", infer_schema=False)
    first_age = pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("60")).otherwise(pl.col("AGE"))
    dm.with_columns(first_age.alias("AGE")).write_csv(data / "dm.csv")
    with pytest.raises(DataFileError, match="differ"):  # no longer the exported data
        load_study(data, tmp_path / "out")
    write_manifest(data)  # a new cut: exported with its own manifest
    ds = load_study(data, tmp_path / "out")
    assert ds["adsl"].sort("USUBJID")["AGE"][0] == 60


@pytest.fixture(scope="module")
def clean12(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clean Parquet of 12 simulated patients."""
    from sle_car.clean import clean_study, write_clean
    from sle_car.simulate import simulate, write_cohort

    tmp = tmp_path_factory.mktemp("cohort12")
    write_cohort(simulate(12, seed=5), tmp / "raw")
    write_clean(clean_study(tmp / "raw"), tmp / "clean")
    return tmp / "clean"


@pytest.fixture(scope="module")
def whole12(clean12: Path) -> dict[str, pl.DataFrame]:
    """The datasets of ``clean12`` derived in one pass (read-only; shared: issue 19)."""
    from sle_car.derive import derive_all, read_clean

    return derive_all(read_clean(clean12))


@pytest.fixture(scope="module")
def derived12(clean12: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """``clean12`` derived by the batched engine in batches of 5, 5 and 2: the folder and the
    rows it reported (read-only: copy the folder before writing into it; issue 19)."""
    out = tmp_path_factory.mktemp("derived12") / "b5"
    return out, derive_to_dir(clean12, out, batch_size=5)


def test_subject_batches_are_consecutive_ranges_of_sorted_subjects(tmp_path: Path) -> None:
    ids = ["S-04", "S-01", "S-03", "S-02", "S-05"]
    pl.DataFrame({"USUBJID": ids}).write_parquet(tmp_path / "dm.parquet")
    assert subject_batches(tmp_path, 2) == [("S-01", "S-02"), ("S-03", "S-04"), ("S-05", "S-05")]
    assert subject_batches(tmp_path, 5) == [("S-01", "S-05")]
    with pytest.raises(ValueError, match="positive number of subjects"):
        subject_batches(tmp_path, 0)


def _assert_derived_equals(out: Path, rows: dict, whole: dict[str, pl.DataFrame]) -> None:
    from polars.testing import assert_frame_equal

    assert rows == {name: df.height for name, df in whole.items()}
    assert whole["adsl"].height == 12
    for name, df in whole.items():
        assert_frame_equal(pl.read_parquet(out / f"{name}.parquet"), df)


def test_batched_derivation_equals_one_pass_over_the_cohort(
    derived12: tuple[Path, dict], whole12: dict[str, pl.DataFrame]
) -> None:
    """Batches of 5, 5 and 2 subjects give the datasets of one pass."""
    _assert_derived_equals(*derived12, whole12)


@pytest.mark.slow  # issue 19: the derivation 12 times over; batches of 5, 5 and 2 stay above
def test_batched_derivation_in_batches_of_one_equals_one_pass(
    clean12: Path, tmp_path: Path, whole12: dict[str, pl.DataFrame]
) -> None:
    _assert_derived_equals(tmp_path, derive_to_dir(clean12, tmp_path, batch_size=1), whole12)


def test_batched_derivation_is_byte_identical_run_to_run(
    clean12: Path, derived12: tuple[Path, dict], tmp_path: Path
) -> None:
    first, _ = derived12
    derive_to_dir(clean12, tmp_path / "b", batch_size=5)
    files = sorted(first.glob("*.parquet"))
    assert files
    for f in files:
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes(), f.name


def test_rows_of_a_subject_missing_from_dm_stop_the_derivation(
    clean12: Path, tmp_path: Path
) -> None:
    import shutil

    from sle_car.io import DataFileError

    clean = tmp_path / "clean"
    shutil.copytree(clean12, clean)
    lb = pl.read_parquet(clean / "lb.parquet")
    stray = lb.head(3).with_columns(pl.lit("SLECAR01-01-99999").alias("USUBJID"))
    pl.concat([lb, stray]).write_parquet(clean / "lb.parquet")
    with pytest.raises(DataFileError, match=r"lb\.parquet: 3 rows .* \(first: SLECAR01-01-99999\)"):
        derive_to_dir(clean, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # stopped before writing anything


def test_failed_derivation_leaves_previous_outputs_untouched(
    clean12: Path, derived12: tuple[Path, dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from sle_car.derive import datasets

    tmp_path.rmdir()
    shutil.copytree(derived12[0], tmp_path)  # the outputs of a previous derivation
    before = {f.name: f.read_bytes() for f in tmp_path.iterdir()}
    calls = []
    real = datasets.derive_all

    def fail_on_second_batch(domains, **options):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("simulated failure in batch 2")
        return real(domains, **options)

    monkeypatch.setattr(datasets, "derive_all", fail_on_second_batch)
    with pytest.raises(RuntimeError, match="batch 2"):
        derive_to_dir(clean12, tmp_path, batch_size=5)
    assert {f.name: f.read_bytes() for f in tmp_path.iterdir()} == before  # no partial files


def test_a_write_failing_in_the_writer_thread_stops_the_run_and_leaves_no_file(
    clean12: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches are written in a thread while the next one is derived: an error there (a full
    disk) is raised to the caller, no later batch is written and no partial file is left."""
    import pyarrow.parquet as pq

    written = []
    real = pq.ParquetWriter.write_table

    def fail_on_second_batch(self, table, *args, **kwargs):
        written.append(table.num_rows)
        if len(written) == 7:  # the first dataset of the second batch (six per batch)
            raise OSError(28, "No space left on device")
        return real(self, table, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetWriter, "write_table", fail_on_second_batch)
    with pytest.raises(OSError, match="No space left"):
        derive_to_dir(clean12, tmp_path / "out", batch_size=5)
    assert len(written) == 7  # nothing written after the error
    assert list((tmp_path / "out").iterdir()) == []


def test_sap_choices_reach_the_datasets_through_derive_all(
    clean12: Path, whole12: dict[str, pl.DataFrame]
) -> None:
    from sle_car.derive import derive_all, read_clean

    domains = read_clean(clean12)
    default = whole12
    chosen = derive_all(
        domains,
        sri_kwargs={"reduction": 5},
        add_one=False,
        first_treatment_day=30,
        bcell_abs_max=5.0,
        renal_kwargs={"cr_threshold": 0.0},  # UPCR < 0: nobody can be a complete responder
    )
    sri = {
        name: ds["adrs"].filter(pl.col("PARAMCD").str.starts_with("SRI"))
        for name, ds in (("default", default), ("chosen", chosen))
    }
    assert set(sri["default"]["PARAMCD"]) == {"SRI4"} and set(sri["chosen"]["PARAMCD"]) == {"SRI5"}
    yes = {
        k: set(v.filter(pl.col("AVALC") == "Y").select("USUBJID", "AVISITN").rows())
        for k, v in sri.items()
    }
    assert yes["chosen"] <= yes["default"]  # a 5-point reduction is also a 4-point one
    tte = chosen["adtte"].filter(pl.col("CNSR") == 0)
    assert (tte["AVAL"] == tte["ADY"] - tte["STARTDY"]).all()
    cr = {
        name: ds["adrs"].filter(pl.col("PARAMCD") == "RENALCR")["AVALC"]
        for name, ds in (("default", default), ("chosen", chosen))
    }
    assert (cr["default"] == "Y").sum() > 0 and (cr["chosen"] == "Y").sum() == 0
    assert cr["chosen"].len() == cr["default"].len()
    bcapl = chosen["adrs"].filter(pl.col("PARAMCD") == "BCAPL")
    assert set(bcapl["PARAM"]) == {"B-cell aplasia (CD19+ < 5/uL)"}  # the label follows
    early = chosen["adae"]["ASTDY"] < 30  # a deliberately late boundary moves the flag
    assert 0 < early.sum() < chosen["adae"].height
    assert chosen["adae"]["TRTEMFL"].to_list() == [None if e else "Y" for e in early]


def test_an_unknown_analysis_option_is_an_error_naming_it(clean12: Path) -> None:
    from sle_car.derive import derive_all, read_clean

    with pytest.raises(TypeError, match="sustained_days"):
        derive_all(read_clean(clean12), sustained_days=300)


def test_questionnaire_columns_come_from_the_code_list_not_the_data() -> None:
    from data_schemas import codelists as cl
    from sle_car.derive.datasets import qs_wide

    qs = pl.DataFrame(
        {
            "USUBJID": ["A", "A"],
            "QSCAT": [cl.QS_ICE, cl.QS_ICE],
            "QSTESTCD": ["ICEORIEN", "ICENAME"],  # three of the five tasks never recorded
            "QSSTRESN": [4.0, 3.0],
            "QSDY": [3, 3],
        }
    )
    wide = qs_wide(qs, cl.QS_ICE)
    assert wide.columns == ["USUBJID", "ADY", *cl.ICE_ITEMS]
    assert wide.row(0) == ("A", 3, 4.0, 3.0, None, None, None)
    assert qs_wide(qs, cl.QS_FACIT).columns == ["USUBJID", "ADY", *cl.FACIT_ITEMS]  # no rows


def test_a_questionnaire_nobody_completed_leaves_the_other_endpoints_unchanged(
    clean12: Path, whole12: dict[str, pl.DataFrame]
) -> None:
    """A data cut before any FACIT-F or ICE (or a batch of subjects without them) derives."""
    from polars.testing import assert_frame_equal

    from data_schemas import codelists as cl
    from sle_car.derive import derive_all, read_clean

    full = whole12
    domains = read_clean(clean12)
    domains["qs"] = domains["qs"].filter(~pl.col("QSCAT").is_in([cl.QS_FACIT, cl.QS_ICE]))
    cut = derive_all(domains)
    assert set(full["adqs"]["PARAMCD"]) - set(cut["adqs"]["PARAMCD"]) == {"FACITTOT", "ICE"}
    keep = ~pl.col("PARAMCD").is_in(["FACITTOT", "ICE"])
    assert_frame_equal(cut["adqs"].filter(keep), full["adqs"].filter(keep))
    not_facit = pl.col("PARAMCD") != "FACITMID"
    assert "FACITMID" not in set(cut["adrs"]["PARAMCD"])
    assert_frame_equal(cut["adrs"], full["adrs"].filter(not_facit))


def test_a_laboratory_test_never_measured_leaves_the_other_endpoints_unchanged(
    clean12: Path, whole12: dict[str, pl.DataFrame]
) -> None:
    """No C4 in the data cut: serologic remission can no longer be confirmed (no "Y": not
    evaluable, "C4 not measured"); it is still "N" where anti-dsDNA or C3 alone rules it out;
    nothing else moves."""
    from polars.testing import assert_frame_equal

    from sle_car.derive import derive_all, read_clean

    full = whole12
    domains = read_clean(clean12)
    domains["lb"] = domains["lb"].filter(pl.col("LBTESTCD") != "C4")
    cut = derive_all(domains)
    sero = {
        k: v["adrs"].filter(pl.col("PARAMCD") == "SEROREM")
        for k, v in (("full", full), ("cut", cut))
    }
    assert (sero["full"]["AVALC"] == "Y").sum() > 0
    assert set(sero["cut"]["AVALC"]) == {"N", None}  # never "Y": C4 was not measured
    ne = sero["cut"].filter(pl.col("AVALC").is_null())
    assert set(ne["NEREASON"]) == {"C4 not measured"}
    assert ne.height == (sero["full"]["AVALC"] == "Y").sum()
    assert_frame_equal(
        sero["cut"].filter(pl.col("AVALC") == "N"), sero["full"].filter(pl.col("AVALC") == "N")
    )
    other = pl.col("PARAMCD") != "SEROREM"
    assert_frame_equal(cut["adrs"].filter(other), full["adrs"].filter(other))


def test_cli_derive_refuses_output_inside_raw_data(cohort_dir: Path) -> None:
    from sle_car.cli import main

    assert main(["derive", str(cohort_dir), "--out", str(cohort_dir / "derived")]) == 2


def test_cli_derive_rejects_a_batch_size_below_one(cohort_dir: Path, tmp_path: Path) -> None:
    from sle_car.cli import main

    with pytest.raises(SystemExit) as stop:  # argparse's usage error
        main(["derive", str(cohort_dir), "--out", str(tmp_path), "--batch-size", "0"])
    assert stop.value.code == 2
    assert main(["derive", str(cohort_dir), "--out", str(tmp_path), "--batch-size", "2"]) == 0
    assert pl.read_parquet(tmp_path / "adsl.parquet").height == 3


def test_adtte_conventions(built3: tuple[Path, dict]) -> None:
    _, ds = built3
    tte = ds["adtte"]
    assert set(tte["PARAMCD"]) >= {"TTDORIS", "TTBCREC", "OS"}
    ev = tte.filter(pl.col("CNSR") == 0)
    assert (ev["AVAL"] == ev["ADY"] - ev["STARTDY"]).all()  # days since the origin (day 0)
    assert (
        ev["EVNTDESC"].null_count() == 0
        and tte.filter(pl.col("CNSR") == 1)["CNSDTDSC"].null_count() == 0
    )


@pytest.mark.slow
def test_derived_endpoints_agree_with_simulator_truth(tmp_path: Path) -> None:
    """On 1,000 simulated patients: B-cell reconstitution and the first visit with clinical
    SLEDAI 0 fall exactly where the latent truth puts them on the observed schedule."""
    from sle_car.simulate import simulate_to_dir

    data = simulate_to_dir(1000, 321, tmp_path / "data")
    ds = build_study(data, tmp_path / "out")
    truth = pl.read_csv(data / "truth.csv")
    adlb, adqs = ds["adlb"], ds["adqs"]
    # B cells: first sampled day >= true return day (values rise monotonically after it)
    samples = adlb.filter(pl.col("PARAMCD") == "BLYCE", pl.col("ADY") > 0).select("USUBJID", "ADY")
    expected = (
        samples.join(truth.select("USUBJID", "BRETDY"), on="USUBJID")
        .filter(pl.col("ADY") >= pl.col("BRETDY"))
        .group_by("USUBJID")
        .agg(pl.col("ADY").sort().first().alias("EXP"), pl.len().alias("N"))
        .filter(pl.col("N") >= 2)
    )
    got = (
        ds["adtte"]
        .filter(pl.col("PARAMCD") == "TTBCREC", pl.col("CNSR") == 0)
        .select("USUBJID", "ADY")
    )
    both = expected.join(got, on="USUBJID", how="left")
    assert both.height > 700
    assert (both["ADY"] == both["EXP"]).all(), both.filter(pl.col("ADY") != pl.col("EXP"))
    # clinical SLEDAI 0: first assessment on or after the true day (responders without a flare before it)
    cs = adqs.filter(pl.col("PARAMCD") == "CSLEDAI", pl.col("ADY") > 0)
    first0 = (
        cs.filter(pl.col("AVAL") == 0).group_by("USUBJID").agg(pl.col("ADY").min().alias("GOT"))
    )
    exp0 = (
        cs.join(truth.select("USUBJID", "CSLEDAI0DY", "FLAREDY"), on="USUBJID")
        .filter(pl.col("ADY") >= pl.col("CSLEDAI0DY"))
        .group_by("USUBJID")
        .agg(pl.col("ADY").min().alias("EXP"), pl.col("FLAREDY").first())
    )
    chk = exp0.filter(pl.col("FLAREDY") > pl.col("EXP")).join(first0, on="USUBJID", how="left")
    assert chk.height > 700
    assert (chk["GOT"] == chk["EXP"]).all(), chk.filter(pl.col("GOT") != pl.col("EXP"))
    # non-responders never reach clinical SLEDAI 0
    nonresp = truth.filter(pl.col("NONRESP"))["USUBJID"]
    assert first0.filter(pl.col("USUBJID").is_in(nonresp.implode())).height == 0
    # DORIS cannot precede clinical quiescence and prednisolone <= 5 mg
    dor = (
        ds["adtte"]
        .filter(pl.col("PARAMCD") == "TTDORIS", pl.col("CNSR") == 0)
        .join(truth, on="USUBJID")
    )
    assert (dor["ADY"] >= dor["CSLEDAI0DY"]).all() and (dor["ADY"] >= dor["GCLE5DY"]).all()


@pytest.mark.parametrize("how", ["no file", "header only"])
def test_without_cm_records_doris_is_not_evaluable_never_a_responder(tmp_path, how) -> None:
    """A cut that did not collect concomitant medication (no cm.csv, or a cm.csv with a header
    and no rows, which validation reports as "treated as not collected": in refractory SLE an
    empty medication export is a failed export, not a cohort off glucocorticoids) cannot show
    that the glucocorticoid dose is <= 5 mg/day: DORIS is not evaluable, never "in remission"."""
    from sle_car.cut import write_manifest_for_cut
    from sle_car.derive.build import domains_not_collected
    from tests.foreign import foreign_cut

    cut = foreign_cut(tmp_path / "cut", manifest="none")
    if how == "no file":
        (cut / "cm.csv").unlink()
    else:
        header = (cut / "cm.csv").read_text().splitlines()[0]
        (cut / "cm.csv").write_text(header + "\n")
    write_manifest_for_cut(cut, label="no CM")
    ds = build_study(cut, tmp_path / "out")
    assert domains_not_collected(tmp_path / "out" / "clean") == frozenset({"cm"})
    doris = ds["adrs"].filter(pl.col("PARAMCD") == "DORISREM")
    assert doris.height > 0
    assert doris.filter(pl.col("AVALC") == "Y").height == 0
    reasons = doris.filter(pl.col("AVALC").is_null())["NEREASON"].unique().to_list()
    assert any("glucocorticoid dose unknown" in r for r in reasons), reasons
    # sustained DORIS: unknown, for every subject (one row each), never "no"
    d12 = ds["adrs"].filter(pl.col("PARAMCD") == "DORIS12")
    assert d12.height == 5
    assert d12["AVALC"].null_count() == 5, d12.select("USUBJID", "AVALC", "NEREASON")


def test_sustained_is_no_only_when_not_evaluable_visits_could_not_hide_a_run() -> None:
    """N Y(day 30) then not evaluable for a year: a sustained run may be hidden -> not
    evaluable; the same with an N after 200 days and nothing later -> certainly no."""
    from sle_car.derive import sustained_response

    days = [10, 30, 100, 200, 300, 400]
    df = pl.DataFrame(
        {
            "USUBJID": ["A"] * 6 + ["B"] * 6,
            "ADY": days * 2,
            "AVALC": ["N", "Y", None, None, None, None, "N", "Y", None, "N", "N", "N"],
        }
    )
    left = pl.DataFrame(schema={"USUBJID": pl.String})  # both have left the study
    got = {
        r["USUBJID"]: r
        for r in sustained_response(df, min_days=365, on_study=left).iter_rows(named=True)
    }
    assert got["A"]["SUSTFL"] is None
    assert got["A"]["NEREASON"] == "not-evaluable assessments could hide a sustained remission"
    assert got["B"]["SUSTFL"] == "N" and got["B"]["NEREASON"] is None
