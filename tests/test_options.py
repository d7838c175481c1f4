"""Analysis options (the SAP's choices): the documented file, its checks, and the command line."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
import yaml

from sle_car.derive.options import (
    check_options,
    default_options_file,
    flatten,
    option_defaults,
    options_frame,
    read_options,
)
from sle_car.io import DataFileError


def test_the_documented_options_file_lists_every_option_at_its_default() -> None:
    """The file a SAP author copies must not drift from the code's signatures."""
    assert read_options(default_options_file()) == option_defaults()


def test_instrument_defaults_are_read_from_the_instruments_themselves() -> None:
    defaults = option_defaults()
    assert defaults["doris_kwargs"]["gc_comparator"] == "<="
    assert defaults["sri_kwargs"]["reduction"] == 4
    assert "base_suffix" not in defaults["bicla_kwargs"]  # column plumbing, not a choice


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sustained_days": 300}, r"unknown option 'sustained_days'; the options are: stable_days"),
        ({"doris_kwargs": {"gc_max": 5}}, r"unknown option 'doris_kwargs\.gc_max'"),
        ({"stable_days": "90"}, r"option 'stable_days' is '90'; .* default 90"),
        ({"add_one": 1}, r"option 'add_one' is 1"),
        ({"bcell_abs_max": True}, r"option 'bcell_abs_max' is True"),
        ({"sri_kwargs": 5}, r"sri_kwargs\. must be a mapping"),
        (["stable_days"], r"the file must be a mapping"),
    ],
)
def test_a_wrong_option_is_an_error_that_names_it(options: object, message: str) -> None:
    with pytest.raises(DataFileError, match=message):
        check_options(options, "sap.yaml")  # type: ignore[arg-type]


def test_an_integer_is_accepted_where_the_default_is_a_decimal() -> None:
    assert check_options({"bcell_abs_max": 2, "doris_kwargs": {"gc_max_mg": 5}}) == {
        "bcell_abs_max": 2,
        "doris_kwargs": {"gc_max_mg": 5},
    }


def test_cli_derive_applies_an_options_file_and_records_it(
    cohort_dir: Path, tmp_path: Path
) -> None:
    import polars as pl

    from sle_car.cli import main

    sap = tmp_path / "sap.yaml"
    sap.write_text(yaml.safe_dump({"sri_kwargs": {"reduction": 5}, "add_one": False}))
    out = tmp_path / "out"
    assert (
        main(["derive", str(cohort_dir), "--out", str(out), "--options", str(sap), "--quiet"]) == 0
    )
    adrs = pl.read_parquet(out / "adrs.parquet")
    assert "SRI5" in set(adrs["PARAMCD"]) and "SRI4" not in set(adrs["PARAMCD"])
    log = json.loads((out / "derivation_log.json").read_text())
    assert log["options"] == {"sri_kwargs": {"reduction": 5}, "add_one": False}
    sap.write_text("doris_kwargs:\n  gc_max_mgs: 5\n")  # a misspelt option
    assert main(["derive", str(cohort_dir), "--out", str(out), "--options", str(sap)]) == 2


def test_cli_derive_reports_an_undefined_choice_without_a_traceback(
    cohort_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sle_car.cli import main

    sap = tmp_path / "sap.yaml"
    sap.write_text("doris_kwargs:\n  gc_comparator: '<<'\n")
    out = tmp_path / "out"
    assert (
        main(["derive", str(cohort_dir), "--out", str(out), "--options", str(sap), "--quiet"]) == 2
    )
    assert "sap.yaml: gc_comparator must be one of ['<=', '<'], not '<<'" in capsys.readouterr().err


def test_the_website_table_has_a_row_and_a_meaning_for_every_option() -> None:
    from sle_car.derive.options import options_markdown

    rows = {
        line.split("|")[1].strip().strip("`*"): line.split("|")[3].strip()
        for line in options_markdown().splitlines()[2:]
    }
    expected = list(flatten(option_defaults()))
    assert set(expected) <= set(rows)
    assert all(rows[name] for name in expected), "an option without a comment in the YAML file"
    assert rows["doris_kwargs.gc_comparator"].startswith('"<=" (DORIS 2021 text)')


def test_options_frame_shows_what_the_sap_changed() -> None:
    frame = options_frame(doris_kwargs={"gc_comparator": "<"}, add_one=False)
    changed = frame.filter("changed")
    assert changed.rows() == [("doris_kwargs.gc_comparator", '"<"', '"<="', True)]
    assert frame.height == len(flatten(option_defaults()))  # add_one at its default: unchanged


def test_options_table_says_what_each_option_means_with_its_source() -> None:
    from sle_car.derive.options import options_table

    tab = options_table(doris_kwargs={"gc_comparator": "<"})
    row = tab.filter(pl.col("Option (key in the options file)") == "doris_kwargs.gc_max_mg").row(
        0, named=True
    )
    assert row["Meaning (source)"] == (
        "van Vollenhoven 2021 (DORIS): prednisolone-equivalent dose limit, mg/day"
    )
    assert tab.filter(pl.col("Changed") == "yes")["Value in force"].to_list() == ['"<"']
    assert tab["Meaning (source)"].str.len_chars().min() > 0  # every option has a meaning
