"""The synthetic cohort: determinism, validity, the messy mode and calibration targets."""

from __future__ import annotations

import filecmp
from pathlib import Path

import polars as pl
import pytest

from sle_car.clean import clean_study
from sle_car.paths import synthetic_dir
from sle_car.simulate import INJECTED_FILE, simulate, write_cohort
from sle_car.validate import validate_study


def _files(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir())


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    write_cohort(simulate(4, seed=7), tmp_path / "a", command="x")
    write_cohort(simulate(4, seed=7), tmp_path / "b", command="x")
    names = _files(tmp_path / "a")
    match, mismatch, errors = filecmp.cmpfiles(tmp_path / "a", tmp_path / "b", names, shallow=False)
    assert mismatch == [] and errors == []
    assert "lb.csv" in match


def test_other_seed_gives_other_patients() -> None:
    a, b = simulate(4, seed=7), simulate(4, seed=8)
    assert not a.domains["dm"].equals(b.domains["dm"])
    assert not a.truth["BRETDY"].equals(b.truth["BRETDY"])


def test_bundled_cohort_is_reproducible(tmp_path: Path) -> None:
    """data/synthetic is exactly what its manifest's command makes."""
    import json

    manifest = json.loads((synthetic_dir() / "manifest.json").read_text())
    cohort = simulate(manifest["n_patients"], seed=manifest["seed"])
    write_cohort(cohort, tmp_path / "s", command=manifest["command"])
    for name in manifest["files"]:
        assert (tmp_path / "s" / name).read_bytes() == (synthetic_dir() / name).read_bytes(), name


def test_bundled_cohort_validates_cleanly() -> None:
    result = validate_study(synthetic_dir())
    assert result.report.height == 0, result.report
    assert result.domains["dm"].height == 5


def test_protocol_schedule() -> None:
    c = simulate(3, seed=2)
    ex = c.domains["ex"]
    flu = ex.filter(pl.col("EXTRT") == "FLUDARABINE")
    assert sorted(flu["EXSTDY"].unique().to_list()) == [-5, -4, -3]
    assert flu["EXDOSE"].unique().to_list() == [25.0]
    cy = ex.filter(pl.col("EXTRT") == "CYCLOPHOSPHAMIDE")
    assert cy["EXSTDY"].unique().to_list() == [-3] and cy["EXDOSE"].unique().to_list() == [1000.0]
    cart = ex.filter(pl.col("EXTRT") == "CD19 CAR T CELLS")
    assert cart.height == 3 and cart["EXSTDY"].unique().to_list() == [0]
    days = c.domains["vs"].filter(pl.col("VSTESTCD") == "TEMP", pl.col("VSDY").is_between(0, 14))
    assert days.group_by("USUBJID").len()["len"].to_list() == [15, 15, 15]  # daily monitoring


def test_crs_vital_signs_give_the_recorded_astct_grade() -> None:
    """The fever/hypotension/oxygen pattern supports exactly the AE's ASTCT grade."""
    c = simulate(300, seed=5)
    vs = c.domains["vs"].filter(pl.col("VSDY").is_between(0, 14))
    wide = vs.pivot(on="VSTESTCD", index=["USUBJID", "VSDY"], values="VSORRES")
    day = wide.with_columns(
        (pl.col("TEMP").cast(pl.Float64) >= 38.0).alias("fever"),
        (pl.col("SYSBP").cast(pl.Float64) < 90).alias("hypo"),
        pl.col("O2DEV").is_in(["LOW-FLOW NASAL CANNULA"]).alias("lowflow"),
        pl.col("O2DEV")
        .is_in(["HIGH-FLOW NASAL CANNULA", "FACE MASK", "NON-REBREATHER MASK", "VENTURI MASK"])
        .alias("highflow"),
    ).with_columns(
        pl.when(pl.col("fever") & pl.col("highflow"))
        .then(3)
        .when(pl.col("fever") & (pl.col("hypo") | pl.col("lowflow")))
        .then(2)
        .when(pl.col("fever"))
        .then(1)
        .otherwise(0)
        .alias("g")
    )
    graded = day.group_by("USUBJID").agg(pl.col("g").max())
    crs = (
        c.domains["ae"]
        .filter(pl.col("AECAT") == "CRS")
        .select("USUBJID", pl.col("AETOXGR").alias("ae"))
    )
    both = graded.join(crs, on="USUBJID", how="left").with_columns(pl.col("ae").fill_null(0))
    assert both.filter(pl.col("g") != pl.col("ae")).height == 0
    assert set(both["ae"].unique().to_list()) >= {0, 1, 2}


def test_messy_mode_problems_are_all_found_or_repaired(tmp_path: Path) -> None:
    cohort = simulate(12, seed=4, messy=True)
    write_cohort(cohort, tmp_path)
    injected = pl.read_csv(tmp_path / INJECTED_FILE, infer_schema=False).with_columns(
        pl.col("row").cast(pl.Int64)
    )
    assert set(injected["kind"]) == {
        "unit_variant",
        "duplicate_row",
        "testcode_typo",
        "out_of_window",
        "missing_value",
        "whitespace",
        "decimal_comma",
    }
    report = validate_study(tmp_path).report
    kinds_found = injected.join(
        report.select("file", "row").unique(), on=["file", "row"], how="anti"
    )
    assert kinds_found.height == 0, f"injected problems not reported:\n{kinds_found}"
    cleaned = clean_study(tmp_path)
    lb = cleaned.domains["lb"]
    assert lb.filter(pl.col("LBORRESU") == "mg/dL", pl.col("LBTESTCD").is_in(["C3", "C4"]))[
        "LBSTRESU"
    ].unique().to_list() == ["g/L"]
    assert cleaned.reconciliation["balanced"].all()
    dup = injected.filter(pl.col("kind") == "duplicate_row").height
    typo_missing = injected.filter(pl.col("kind").is_in(["testcode_typo", "missing_value"])).height
    assert cleaned.quarantine.height == dup + typo_missing


@pytest.mark.slow
def test_1000_patient_cohort_matches_calibration_targets(tmp_path: Path) -> None:
    """Summaries of 1,000 patients against published_cart_sle.md §4 (tolerances stated)."""
    cohort = simulate(1000, seed=123)
    write_cohort(cohort, tmp_path)
    assert validate_study(tmp_path).ok
    t = cohort.truth
    ae = cohort.domains["ae"]
    crs_share = ae.filter(pl.col("AECAT") == "CRS")["USUBJID"].n_unique() / 1000
    assert abs(crs_share - 0.70) < 0.05  # target 0.70 (3/5, 11/15, 7/8; pooled 56-87 %)
    g1 = ae.filter(pl.col("AECAT") == "CRS", pl.col("AETOXGR") == 1).height / max(
        ae.filter(pl.col("AECAT") == "CRS").height, 1
    )
    assert abs(g1 - 0.90) < 0.05  # target: G1 90 % of CRS
    icans = ae.filter(pl.col("AECAT") == "ICANS")["USUBJID"].n_unique() / 1000
    assert icans < 0.1
    # B-cell return: mean 110 d (Mackensen 110 ± 32; Müller 112 ± 47), SD ~35
    assert abs(t["BRETDY"].mean() - 110) < 6
    assert 25 < t["BRETDY"].std() < 40
    # DORIS-like clinical quiescence by month 6 in 0.85-0.95 (5/5, 8/8, 12/15; pooled 70 %)
    dor6 = (t["CSLEDAI0DY"] <= 182).mean()
    assert 0.80 <= dor6 <= 0.97
    # baseline SLEDAI-2K median within the published 8-20 range, pooled mean 13.1
    assert 10 <= t["SLEDAIBL"].median() <= 18
    # CAR-T peak between day 7 and 14
    assert t["CARTPKDY"].min() >= 7 and t["CARTPKDY"].max() <= 14
    # known association built in: CAR-T peak correlates with longer aplasia
    assert t.select(pl.corr("CARTLOG10PK", "BRETDY")).item() > 0.3
    dm = cohort.domains["dm"]
    assert abs((dm["SEX"] == "F").mean() - 0.88) < 0.04
    # anti-dsDNA negative at month 3 in ~80 % of baseline-positive patients (§4.8: 0.8)
    ds = (
        cohort.domains["lb"]
        .filter(pl.col("LBTESTCD") == "DDNAIGAB")
        .with_columns(pl.col("LBORRES").cast(pl.Float64))
    )
    pos = ds.filter((pl.col("VISIT") == "BASELINE") & (pl.col("LBORRES") >= 30))["USUBJID"]
    m3 = ds.filter((pl.col("VISIT") == "WEEK 12") & pl.col("USUBJID").is_in(pos.implode()))
    assert 0.7 <= (m3["LBORRES"] < 30).mean() <= 0.9


def test_streamed_and_in_memory_cohorts_are_identical(tmp_path: Path) -> None:
    """simulate_to_dir writes chunk by chunk; across chunk borders the files are the same."""
    from sle_car.simulate import simulate_to_dir

    write_cohort(simulate(7, seed=9, chunk_size=3), tmp_path / "mem", command="x")
    simulate_to_dir(7, seed=9, out_dir=tmp_path / "disk", command="x", chunk_size=3)
    names = _files(tmp_path / "mem")
    assert names == _files(tmp_path / "disk")
    _, mismatch, errors = filecmp.cmpfiles(
        tmp_path / "mem", tmp_path / "disk", names, shallow=False
    )
    assert mismatch == [] and errors == []
    dm = pl.read_csv(tmp_path / "disk" / "dm.csv")
    assert dm["USUBJID"].to_list() == [f"SLECAR01-01-{i:03d}" for i in range(1, 8)]
