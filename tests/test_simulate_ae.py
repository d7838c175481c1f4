"""Issue 16: the simulator's adverse events follow its own laboratory values."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

CTCAE = {  # PARAMCD: (AEDECOD, grade-3 limit, grade-4 limit), CTCAE v5.0, strict <
    "NEUT": ("Neutrophil count decreased", 1.0, 0.5),
    "PLAT": ("Platelet count decreased", 50.0, 25.0),
    "LYM": ("Lymphocyte count decreased", 0.5, 0.2),
}


@pytest.fixture(scope="module")
def derived(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pl.DataFrame]:
    from sle_car.clean import clean_study
    from sle_car.derive import derive_all
    from sle_car.simulate import simulate, write_cohort

    out: Path = tmp_path_factory.mktemp("ae_follow_labs")
    write_cohort(simulate(12, seed=7), out)
    return derive_all(dict(clean_study(out).domains))


@pytest.mark.parametrize("paramcd", list(CTCAE))
def test_cytopenia_aes_are_exactly_where_the_counts_meet_the_grade(
    derived: dict[str, pl.DataFrame], paramcd: str
) -> None:
    decod, g3, g4 = CTCAE[paramcd]
    lab = (
        derived["adlb"]
        .filter((pl.col("PARAMCD") == paramcd) & pl.col("ADY").is_between(0, 30))
        .select(
            "USUBJID",
            "ADY",
            pl.when(pl.col("AVAL") < g4).then(4).when(pl.col("AVAL") < g3).then(3).alias("G"),
        )
    )
    ae = derived["adae"].filter(pl.col("AEDECOD") == decod)
    assert ae.height > 0 and lab["G"].drop_nulls().len() > 0
    days = (
        ae.with_columns(pl.int_ranges("ASTDY", pl.col("AENDY") + 1).alias("ADY"))
        .explode("ADY")
        .select("USUBJID", "ADY", pl.col("ATOXGR").alias("AEG"))
    )
    # on every sampled day the AE grade (null: no AE) is the count's grade (null: < 3)
    both = lab.join(days, on=["USUBJID", "ADY"], how="left")
    assert both.filter(pl.col("G").ne_missing(pl.col("AEG"))).height == 0
    # and no AE lies outside the sampled days 0-30
    assert days.join(lab, on=["USUBJID", "ADY"], how="anti").height == 0


def test_proteinuria_ae_is_kept_only_where_upcr_shows_it_and_graded_from_it() -> None:
    """The pilot's 005: "proteinuria grade 2" over days 8-40 while UPCR was 0.13 g/g on day
    28 is contradicted by the labs and not recorded."""
    from sle_car.simulate.clinical import _proteinuria_follows_upcr

    ae = pl.DataFrame(
        {
            "pid": [1, 2, 3, 3],
            "AEDECOD": ["Proteinuria", "Proteinuria", "Proteinuria", "Rash"],
            "AETOXGR": [2, 1, 1, 2],
            "AEACN": ["TREATMENT GIVEN", "NONE", "NONE", "TREATMENT GIVEN"],
            "AESTDY": [8, 10, 10, 10],
            "AEENDY": [40, 40, 40, 20],
        }
    )
    lbv = pl.DataFrame(
        {
            "pid": [1, 2, 3],
            "LBTESTCD": ["PROTCRT"] * 3,
            "DY": [28, 28, 28],
            "VAL": [0.13, 1.2, 0.4],
            "ULN": [0.2] * 3,
        }
    )
    out = _proteinuria_follows_upcr(ae, lbv).sort("pid", "AEDECOD")
    assert out.select("pid", "AEDECOD", "AETOXGR", "AEACN").rows() == [
        (2, "Proteinuria", 2, "TREATMENT GIVEN"),  # 1.2 g/g: CTCAE grade 2
        (3, "Proteinuria", 1, "NONE"),
        (3, "Rash", 2, "TREATMENT GIVEN"),  # other events untouched
    ]
