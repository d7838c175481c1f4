"""Cleaning rules: repairs, quarantine with reasons, unit conversion, reconciliation."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sle_car.clean import clean_study, standardise_lb


def test_standardise_converts_complement_mg_dl_to_g_l() -> None:
    lb = pl.DataFrame(
        {
            "LBTESTCD": ["C3", "C3", "CSRBC"],
            "LBSPEC": ["SERUM", "SERUM", "URINE"],
            "LBORRES": ["95", "0,9", "POSITIVE"],
            "LBORRESU": ["mg/dL", "g/L", None],
            "LBORNRLO": [90.0, 0.9, None],
            "LBORNRHI": [180.0, 1.8, None],
        }
    )
    out = standardise_lb(lb)
    assert out["LBSTRESN"].to_list() == [0.95, 0.9, None]
    assert out["LBSTRESU"].to_list() == ["g/L", "g/L", None]
    assert out["LBSTNRLO"].to_list() == [0.9, 0.9, None]
    assert out["LBSTRESC"].to_list()[2] == "POSITIVE"


def test_rows_in_equal_rows_kept_plus_set_aside(data_copy: Path) -> None:
    path = data_copy / "ae.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join([*lines, lines[1]]))  # one exact duplicate
    df = pl.read_csv(data_copy / "dm.csv", infer_schema=False)
    gone = df["USUBJID"][-1]  # the last subject's DM row gets an invalid SEX
    df.with_columns(
        pl.when(pl.int_range(pl.len()) == pl.len() - 1)
        .then(pl.lit("Z"))
        .otherwise(pl.col("SEX"))
        .alias("SEX")
    ).write_csv(data_copy / "dm.csv")
    ae = pl.read_csv(path, infer_schema=False)
    assert ae["USUBJID"][0] != gone  # the copied AE row is another subject's
    n_gone = ae.filter(pl.col("USUBJID") == gone).height
    assert n_gone > 0
    cleaned = clean_study(data_copy)
    rec = {r["domain"]: r for r in cleaned.reconciliation.iter_rows(named=True)}
    assert rec["ae"]["rows_in"] == len(lines)  # header + rows + duplicate
    assert rec["ae"]["rows_set_aside"] == 1 + n_gone
    assert rec["dm"]["rows_set_aside"] == 1 and rec["dm"]["rows_kept"] == 2
    q = cleaned.quarantine
    reasons = q.filter(pl.col("domain") == "ae")["reasons"].to_list()
    assert reasons.count("R3 exact duplicate") == 1
    assert sum(r.startswith("R6 subject set aside in DM") for r in reasons) == n_gone
    assert "SEX must be one of" in q.filter(pl.col("domain") == "dm")["reasons"][0]
    assert cleaned.reconciliation["balanced"].all()
    # R6: no clean row of any domain belongs to the subject set aside in DM
    for name, clean in cleaned.domains.items():
        assert clean.filter(pl.col("USUBJID") == gone).height == 0, name


def test_clean_order_sorts_by_subject_stably_and_keeps_sorted_rows() -> None:
    """Rows by subject (empty last), in export order within a subject; rows already in that
    order are returned as they are (issue 19: no sort)."""
    from sle_car.clean import clean_order

    df = pl.DataFrame({"USUBJID": ["B", None, "A", "B", "A"], "X": [1, 2, 3, 4, 5]})
    out = clean_order(df)
    assert out.rows() == [("A", 3), ("A", 5), ("B", 1), ("B", 4), (None, 2)]
    assert clean_order(out) is out
    assert clean_order(df.lazy()).collect().equals(out)
