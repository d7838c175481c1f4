"""The study configuration (``sle_car/config/study.yaml``) and what real exports look like:
another centre's cut validated against its own configuration, unscheduled visits, UPCR in
mg/g and no weight or height."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
import yaml

from sle_car.cli import main
from sle_car.derive.build import write_study
from sle_car.paths import synthetic_dir
from sle_car.simulate import simulate
from sle_car.study import (
    StudyConfigError,
    bundled_study_config,
    load_study_config,
    parse_study_config,
)
from sle_car.validate import validate_study


def _bundled_raw() -> dict:
    path = Path(__file__).parents[1] / "sle_car" / "config" / "study.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_bundled_configuration_is_this_pilot() -> None:
    c = bundled_study_config()
    assert c.study_id == "SLECAR01"
    assert c.sites == ("01",)
    assert "CHINESE" in c.ethnic_groups and c.race == ("ASIAN", "OTHER")
    assert set(c.baseline_optional) == {"WEIGHTBL", "HEIGHTBL"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sitez": ["01"]}, "unknown key"),
        ({"study_id": 5}, "'study_id' must be text"),
        ({"subject_id_pattern": "^(SLE"}, "not a usable regular expression"),
        ({"sites": []}, "'sites' must be a non-empty list"),
        ({"race": ["ASIAN", "ASIAN"]}, "lists a code twice"),
        ({"baseline": {"required": ["WEIGHTBL"], "optional": ["WEIGHTBL"]}}, "in both"),
        ({"baseline": {"required": ["BMI"], "optional": []}}, "not baseline measurements"),
    ],
)
def test_a_wrong_configuration_is_an_error_naming_the_key(change: dict, message: str) -> None:
    raw = {**_bundled_raw(), **change}
    with pytest.raises(StudyConfigError, match=message):
        parse_study_config(raw, "their.yaml")


def test_an_unreadable_configuration_is_a_usage_error(
    tmp_path: Path, cohort_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "study.yaml"
    bad.write_text("study_id: [unclosed\n", encoding="utf-8")
    args = ["--report-dir", str(tmp_path / "r"), "--study-config", str(bad)]
    status = main(["validate", str(cohort_dir), *args])
    err = capsys.readouterr().err
    assert status == 2 and "study.yaml" in err and "not valid YAML" in err


def _other_centre(src: Path, dst: Path) -> Path:
    """The cohort as another centre exports it: its study ID, subject IDs, site and codes."""
    shutil.copytree(src, dst)
    (dst / "manifest.json").unlink(missing_ok=True)
    for p in dst.glob("*.csv"):
        df = pl.read_csv(p, infer_schema=False).with_columns(
            pl.lit("LUPUSX").alias("STUDYID"),
            pl.col("USUBJID").str.replace(r"^SLECAR01-01-", "LX-07-"),
        )
        if p.stem == "dm":
            df = df.with_columns(
                pl.lit("07").alias("SITEID"),
                pl.lit("WHITE").alias("RACE"),
                pl.lit("NOT HISPANIC OR LATINO").alias("ETHGRP"),
            )
        df.write_csv(p)
    cfg = {
        **_bundled_raw(),
        "study_id": "LUPUSX",
        "subject_id_pattern": r"^LX-\d{2}-\d{3}$",
        "sites": ["07", "08"],
        "race": ["WHITE", "BLACK OR AFRICAN AMERICAN"],
        "ethnic_groups": ["HISPANIC OR LATINO", "NOT HISPANIC OR LATINO"],
    }
    (dst.parent / "their-study.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return dst.parent / "their-study.yaml"


def test_another_centres_cut_validates_against_its_own_configuration(
    cohort_dir: Path, tmp_path: Path
) -> None:
    config = _other_centre(cohort_dir, tmp_path / "cut")
    rules = set(validate_study(tmp_path / "cut").report["rule"])
    assert {"study_id", "subject_id_format", "site", "race", "ethnic_group"} <= rules
    theirs = validate_study(tmp_path / "cut", study_config=config)
    assert theirs.report.height == 0, theirs.report
    log = write_study(tmp_path / "cut", tmp_path / "out", study_config=config)
    assert log["rows"]["adsl"] == 3
    adsl = pl.read_parquet(tmp_path / "out" / "adsl.parquet")
    assert adsl["USUBJID"].str.starts_with("LX-07-").all()
    for name in ("adsl", "adlb", "adqs", "adae", "adrs", "adtte"):  # their study ID everywhere
        ids = pl.read_parquet(tmp_path / "out" / f"{name}.parquet")["STUDYID"].unique()
        assert ids.to_list() == ["LUPUSX"], name


def test_the_simulator_reads_the_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = {
        **_bundled_raw(),
        "study_id": "OTHER01",
        "subject_id_pattern": r"^OTHER01-\d{2}-\d{3}$",
        "sites": ["07"],
    }
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    monkeypatch.setenv("SLE_CAR_STUDY_CONFIG", str(tmp_path / "s.yaml"))
    assert load_study_config().study_id == "OTHER01"
    dm = simulate(2, seed=3).domains["dm"]
    assert dm["STUDYID"].to_list() == ["OTHER01"] * 2
    assert dm["USUBJID"].to_list() == ["OTHER01-07-001", "OTHER01-07-002"]


def test_a_required_baseline_measurement_missing_sets_the_subject_aside(data_copy: Path) -> None:
    dm = pl.read_csv(data_copy / "dm.csv", infer_schema=False)
    dm.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(None).otherwise("DIAGDY").alias("DIAGDY")
    ).write_csv(data_copy / "dm.csv")
    hit = validate_study(data_copy).report.filter(pl.col("column") == "DIAGDY")
    assert hit.select("row", "rule", "severity").rows() == [(2, "baseline_required", "error")]


# --- a realistic cut: unscheduled visits, UPCR in mg/g, no weight or height ------------------
def _realistic_cut(dst: Path) -> Path:
    shutil.copytree(synthetic_dir(), dst)
    (dst / "manifest.json").unlink()
    lb = pl.read_csv(dst / "lb.csv", infer_schema=False)
    unscheduled = lb.filter(pl.col("VISIT") == "WEEK 4").with_columns(
        pl.lit("1004.1").alias("VISITNUM"),
        pl.lit("UNSCHEDULED 1004.1").alias("VISIT"),
        pl.lit("31").alias("LBDY"),
        (pl.col("LBSEQ").cast(pl.Int64) + 100_000).cast(pl.String).alias("LBSEQ"),
    )
    upcr = pl.col("LBTESTCD") == "PROTCRT"
    pl.concat([lb, unscheduled]).with_columns(
        pl.when(upcr)
        .then((pl.col(c).cast(pl.Float64) * 1000).round(3).cast(pl.String))
        .otherwise(c)
        .alias(c)
        for c in ("LBORRES", "LBORNRLO", "LBORNRHI")
    ).with_columns(
        pl.when(upcr).then(pl.lit("mg/g")).otherwise("LBORRESU").alias("LBORRESU")
    ).write_csv(dst / "lb.csv")
    qs = pl.read_csv(dst / "qs.csv", infer_schema=False)
    extra = qs.filter(pl.col("VISIT") == "WEEK 8").with_columns(
        pl.lit("1008.1").alias("VISITNUM"),
        pl.lit("UNSCHEDULED").alias("VISIT"),
        (pl.col("QSDY").cast(pl.Int64) + 10).cast(pl.String).alias("QSDY"),
        (pl.col("QSSEQ").cast(pl.Int64) + 100_000).cast(pl.String).alias("QSSEQ"),
    )
    pl.concat([qs, extra]).write_csv(dst / "qs.csv")
    pl.read_csv(dst / "dm.csv", infer_schema=False).with_columns(
        pl.lit(None, dtype=pl.String).alias("WEIGHTBL"),
        pl.lit(None, dtype=pl.String).alias("HEIGHTBL"),
    ).write_csv(dst / "dm.csv")
    return dst


@pytest.fixture(scope="module")
def realistic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    base = tmp_path_factory.mktemp("realistic")
    cut = _realistic_cut(base / "cut")
    log = write_study(cut, base / "out")
    write_study(synthetic_dir(), base / "bundled", accept_changed_files=True)
    return cut, base, log


def test_realistic_cut_validates_with_warnings_at_most(realistic: tuple) -> None:
    cut, _, _ = realistic
    v = validate_study(cut)
    assert v.ok
    assert set(v.report["rule"]) == {"unit_variant", "baseline_missing"}
    assert set(v.report.filter(pl.col("rule") == "unit_variant")["value"]) == {"mg/g"}
    assert v.report.filter(pl.col("rule") == "baseline_missing").height == 10  # 5 x 2


def test_realistic_cut_derives(realistic: tuple) -> None:
    _, base, log = realistic
    assert log["rows"]["adsl"] == 5 and log["set_aside_domains"] == {}
    adsl = pl.read_parquet(base / "out" / "adsl.parquet")
    assert adsl["BSABL"].is_null().all() and adsl["WEIGHTBL"].is_null().all()
    assert (adsl["SAFFL"] == "Y").all()


def test_unscheduled_records_are_windowed_by_study_day(realistic: tuple) -> None:
    _, base, _ = realistic
    adlb = pl.read_parquet(base / "out" / "adlb.parquet")
    bundled = pl.read_parquet(base / "bundled" / "adlb.parquet")
    day31 = adlb.filter(pl.col("ADY") == 31)
    assert day31.height == adlb.height - bundled.height > 0  # every unscheduled record is in
    assert set(day31["AVISIT"]) == {"WEEK 4"}  # day 31: the WEEK 4 window (day 28 +- 7 ...)


def test_upcr_in_mg_g_gives_the_same_analysis_values(realistic: tuple) -> None:
    _, base, _ = realistic
    keys = ["USUBJID", "PARAMCD", "ADY"]
    new = pl.read_parquet(base / "out" / "adlb.parquet").filter(pl.col("PARAMCD") == "PROTCRT")
    old = pl.read_parquet(base / "bundled" / "adlb.parquet").filter(pl.col("PARAMCD") == "PROTCRT")
    both = old.join(new, on=keys, suffix="_new")
    assert both.height == old.height > 0
    assert both["AVAL"].to_list() == pytest.approx(both["AVAL_new"].to_list(), abs=1e-6)


@pytest.mark.parametrize(
    ("visitnum", "visit"),
    [("1004.1", "UNSCHEDULED 1004.2"), ("1004.1", "WEEK 4"), ("1004", "UNSCHEDULED 1004")],
)
def test_a_visit_name_not_matching_its_number_is_an_error_that_explains(
    visitnum: str, visit: str, data_copy: Path
) -> None:
    lb = pl.read_csv(data_copy / "lb.csv", infer_schema=False)
    lb.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit(visitnum))
        .otherwise("VISITNUM")
        .alias("VISITNUM"),
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit(visit)).otherwise("VISIT").alias("VISIT"),
    ).write_csv(data_copy / "lb.csv")
    hit = validate_study(data_copy).report.filter(pl.col("rule") == "visit_name")
    assert hit["row"].to_list() == [2]
    assert "UNSCHEDULED n.m" in hit["message"][0]
