"""The one pipeline (sle_car.pipeline): every data cut runs end to end, honestly labelled, or
fails cleanly with the previous outputs untouched."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from PIL import Image

from sle_car import pipeline
from sle_car.cli import main
from sle_car.cut import ManifestError, describe_cut, write_manifest_for_cut
from sle_car.derive.build import write_study
from sle_car.paths import repo_root, reports_dir, synthetic_dir
from tests.foreign import foreign_cut

ROOT = repo_root()


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# --- the cut and its manifest ------------------------------------------------------------------


def test_documented_manifest_gives_a_real_cut_with_label_month_and_hash(tmp_path: Path) -> None:
    cut = describe_cut(foreign_cut(tmp_path / "cut", label="UKMMC cut 1", manifest="documented"))
    assert (cut.kind, cut.label, cut.cut_month) == ("real", "UKMMC cut 1", None)
    assert cut.caption == f"Data cut UKMMC cut 1 (data {cut.data_hash})."
    assert "synthetic" not in cut.caption.lower()


def test_flat_manifest_is_read_like_the_documented_one(tmp_path: Path) -> None:
    cut = describe_cut(foreign_cut(tmp_path / "export", manifest="flat"))
    assert (cut.kind, cut.label) == ("real", "export")  # no label: the folder's name


def test_the_bundled_cohort_is_labelled_synthetic() -> None:
    cut = describe_cut(synthetic_dir())
    assert cut.synthetic and cut.caption.startswith("Synthetic data, not patients: simulator seed")


@pytest.mark.parametrize("body", ["[]", "null", '{"files": []}', '{"files": {"dm.csv": 3}}'])
def test_manifest_of_the_wrong_shape_is_a_message_not_a_traceback(
    tmp_path: Path, body: str
) -> None:
    d = foreign_cut(tmp_path / "cut", manifest="none")
    (d / "manifest.json").write_text(body)
    with pytest.raises(ManifestError, match="sle-car manifest"):
        describe_cut(d)


def test_missing_manifest_names_the_command_that_writes_one(tmp_path: Path, capsys) -> None:
    d = foreign_cut(tmp_path / "cut", manifest="none")
    assert pipeline.run(d, tmp_path / "out") == 2
    assert f"sle-car manifest {d}" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_sle_car_manifest_writes_the_documented_format_once(tmp_path: Path, capsys) -> None:
    d = foreign_cut(tmp_path / "cut", manifest="none")
    assert main(["manifest", str(d), "--label", "cut 2", "--cut-date", "2027-03-31"]) == 0
    m = json.loads((d / "manifest.json").read_text())
    assert m["label"] == "cut 2" and m["cut_date"] == "2027-03-31"
    assert set(m["files"]) == {p.name for p in d.glob("*.csv")}
    assert describe_cut(d).cut_month == "March 2027"
    assert main(["manifest", str(d)]) == 2  # never replaces an existing manifest
    assert "exists already" in capsys.readouterr().err


def test_a_cut_date_that_is_not_a_date_is_refused(tmp_path: Path) -> None:
    d = foreign_cut(tmp_path / "cut", manifest="none")
    with pytest.raises(ManifestError, match="YYYY-MM-DD"):
        write_manifest_for_cut(d, cut_date="31/03/2027")


# --- locations ---------------------------------------------------------------------------------


def test_make_report_refuses_any_cut_but_the_bundled_one(tmp_path: Path) -> None:
    with pytest.raises(pipeline.UsageError, match="make report-real"):
        pipeline.plan(foreign_cut(tmp_path / "cut"))


def test_real_runs_refuse_locations_inside_the_repository_or_each_other(tmp_path: Path) -> None:
    cut = foreign_cut(tmp_path / "cut")
    with pytest.raises(pipeline.UsageError, match="inside the repository"):
        pipeline.plan(cut, ROOT / "data" / "real")
    with pytest.raises(pipeline.UsageError, match="real data must never enter git"):
        pipeline.plan(synthetic_dir(), tmp_path / "out")
    with pytest.raises(pipeline.UsageError, match="neither inside the other"):
        pipeline.plan(cut, cut / "out")
    with pytest.raises(pipeline.UsageError, match="neither inside the other"):
        pipeline.plan(cut, tmp_path)


# --- exit status when rows are set aside ---------------------------------------------------


def _cut_with_cell(tmp_path: Path, domain: str, column: str, row: int, value: str) -> Path:
    """A foreign cut whose ``domain`` has ``value`` in ``column`` of data row ``row``."""
    d = foreign_cut(tmp_path / "cut", manifest="none")
    df = pl.read_csv(d / f"{domain}.csv", infer_schema=False)
    df.with_columns(
        pl.when(pl.int_range(pl.len()) == row)
        .then(pl.lit(value))
        .otherwise(pl.col(column))
        .alias(column)
    ).write_csv(d / f"{domain}.csv")
    write_manifest_for_cut(d, label=f"{domain} edited")
    return d


def _damaged(tmp_path: Path) -> Path:
    return _cut_with_cell(tmp_path, "lb", "LBORRES", 3, "12x")


def test_derive_exits_1_when_errors_set_rows_aside_unless_accepted(tmp_path: Path, capsys) -> None:
    d = _damaged(tmp_path)
    assert main(["derive", str(d), "--out", str(tmp_path / "a"), "--quiet"]) == 1
    out = capsys.readouterr()
    assert "lb" in out.out and "1 row(s)" in out.out and "--accept-quarantine" in out.err
    assert "Traceback" not in out.err and len(out.err.strip().splitlines()) == 1
    assert not (tmp_path / "a" / "adsl.parquet").exists()
    args = ["derive", str(d), "--out", str(tmp_path / "b"), "--quiet", "--accept-quarantine"]
    assert main(args) == 0
    log = json.loads((tmp_path / "b" / "derivation_log.json").read_text())
    assert [(r["domain"], r["severity"], r["rows"]) for r in log["set_aside"]] == [
        ("lb", "error", 1)
    ]
    assert sum(r["rows_set_aside"] for r in log["reconciliation"]) == 1


# --- staging: a failed run leaves the previous outputs untouched --------------------------------


def _notebook(path: Path, code: str) -> Path:
    nb = json.loads((ROOT / "notebooks" / "02_endpoint_derivation.ipynb").read_text())
    nb["cells"] = [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": f"c{i}",
            "metadata": {},
            "outputs": [],
            "source": src,
        }
        for i, src in enumerate(["from sle_car import load_study\nds = load_study()", code])
    ]
    path.write_text(json.dumps(nb))
    return path


@pytest.mark.slow  # issue 19: end to end (the pipeline executes notebooks)
def test_a_failing_late_notebook_leaves_the_previous_outputs_byte_identical(
    tmp_path: Path, capsys
) -> None:
    d = _damaged(tmp_path)
    out = tmp_path / "out"
    ok = _notebook(tmp_path / "01_ok.ipynb", "print(ds['adsl'].height)")
    bad = _notebook(tmp_path / "02_late.ipynb", "1 / 0")
    # validation errors set a row aside: refused without --accept-quarantine, nothing written
    assert pipeline.run(d, out, notebooks=[ok]) == 1
    assert "--accept-quarantine" in capsys.readouterr().err
    assert not (out / "project").exists()
    assert pipeline.run(d, out, notebooks=[ok], accept_quarantine=True) == 0
    before = _tree(out)
    assert "project/notebooks/01_ok.ipynb" in before
    assert b'"5\\n"' in before["project/notebooks/01_ok.ipynb"]  # the notebook read this cut
    capsys.readouterr()
    assert pipeline.run(d, out, notebooks=[ok, bad], accept_quarantine=True) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "step 'execute notebooks'" in err and "02_late.ipynb, cell 1" in err
    assert "ZeroDivisionError: division by zero" in err
    kept = out / ".sle-car-staging" / "project" / "notebooks" / "02_late.ipynb"
    assert str(kept) in err and kept.is_file()
    after = {k: v for k, v in _tree(out).items() if not k.startswith(".sle-car-staging/")}
    assert after == before


# --- labels ------------------------------------------------------------------------------------


def test_every_committed_figure_and_table_says_synthetic_data() -> None:
    figs = sorted((reports_dir() / "figures").glob("*.png"))
    assert len(figs) >= 12
    for p in figs:
        note = Image.open(p).text.get("Description", "")
        assert note.startswith(("Synthetic data", "Operating characteristics")), p.name
    for p in sorted((reports_dir() / "figures").glob("*.svg")):
        assert "Synthetic data" in p.read_text() or p.name == "fig-monitoring-oc.svg", p.name
    tables = sorted((reports_dir() / "tables").glob("tbl-*.html"))
    assert len(tables) >= 12
    # Tables that show no study data say what they show instead: the design's properties or
    # published numbers only, or the simulated method-check cohort of notebook 07.
    design = {"tbl-monitoring-rule", "tbl-monitoring-oc", "tbl-published-sources"}
    simulated = {"tbl-biomarkers-large", "tbl-design-check"}
    for p in tables:
        if p.stem in design:
            assert "no study data" in p.read_text(), p.name
        elif p.stem in simulated:
            assert "Simulated patients" in p.read_text(), p.name
        else:
            assert "Synthetic data, not patients" in p.read_text(), p.name
    assert "synthetic cohort" in (reports_dir() / "data-note.md").read_text()


def test_collected_says_once_what_a_cut_did_not_collect(capsys) -> None:
    from sle_car.display import collected

    lb = pl.DataFrame({"PARAMCD": ["BLYCE", "C3"], "AVAL": [0.0, 1.0]})
    assert collected(lb, "B cells", paramcd="BLYCE")
    assert capsys.readouterr().out == ""
    assert not collected(lb, "CAR T-cell counts", paramcd=["CARTCE"])
    assert capsys.readouterr().out == (
        "CAR T-cell counts: not collected in this data cut, so this section shows nothing.\n"
    )


# --- the whole pipeline on a cut shaped like a real export ------------------------------------
# Two notebooks (03: tables and figures; 06: an instrument not collected) on the foreign cut,
# and all eight: both end to end, so in `make test-all` only (slow, issue 19).

FOREIGN = {
    "drop_lb": ("CARTCE",),
    "drop_qscat": ("BILAG-2004", "FACIT-FATIGUE 13-ITEM V4"),
    "shift_visits": 3,
    "follow_up_day": 300,
    "label": "external test cut",
}
SUBSET = ("03_safety.ipynb", "06_quality_of_life.ipynb")


def _foreign_run(tmp: Path, notebooks: tuple[str, ...] | None) -> tuple[int, Path]:
    cut = foreign_cut(tmp / "export", **FOREIGN)
    nbs = [ROOT / "notebooks" / n for n in notebooks] if notebooks else None
    return pipeline.run(cut, tmp / "out", notebooks=nbs), tmp / "out"


@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path]:
    """All eight notebooks on the foreign cut (slow: `make test-all`)."""
    return _foreign_run(tmp_path_factory.mktemp("real"), None)


@pytest.fixture(scope="module")
def subset_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path]:
    """Notebooks 03 and 06 on the foreign cut (`make test`)."""
    return _foreign_run(tmp_path_factory.mktemp("subset"), SUBSET)


def _runs_to_the_end(run: tuple[int, Path], n_notebooks: int) -> None:
    status, out = run
    assert status == 0
    nbs = sorted((out / "project" / "notebooks").glob("*.ipynb"))
    assert len(nbs) == n_notebooks
    for nb in nbs:
        cells = json.loads(nb.read_text())["cells"]
        assert all(o["output_type"] != "error" for c in cells for o in c.get("outputs", [])), (
            nb.name
        )
    assert not (out / ".sle-car-staging").exists()
    assert (out / "reports" / "data-issues" / "export" / "validation.csv").is_file()
    assert (out / "data" / "derived" / "export" / "adsl.parquet").is_file()


def _says_synthetic_nowhere(run: tuple[int, Path]) -> None:
    _, out = run
    hits = [
        p.relative_to(out).as_posix()
        for p in out.rglob("*")
        if p.is_file() and b"synthetic" in p.read_bytes().lower()
    ]
    assert hits == []


def _carries_the_cut_label(run: tuple[int, Path]) -> None:
    _, out = run
    caption = describe_cut(out.parent / "export").caption
    assert caption.startswith("Data cut external test cut (data ")
    figs = sorted((out / "reports" / "figures").glob("*.png"))
    assert figs and all(
        Image.open(p).text["Description"] in (caption,)
        or "design" in Image.open(p).text["Description"]
        for p in figs
    )
    assert caption in (out / "reports" / "tables" / "tbl-ae-soc.html").read_text()
    variables = (out / "project" / "_variables.yml").read_text()
    assert "external test cut" in variables and "study data" in variables
    assert "Confidential" in (out / "project" / "reports" / "data-note.md").read_text()


NOT_COLLECTED = ": not collected in this data cut, so this section shows nothing."


@pytest.mark.slow  # issue 19: end to end (the pipeline executes notebooks)
def test_a_foreign_cut_runs_to_the_end_on_two_notebooks(subset_run: tuple[int, Path]) -> None:
    _runs_to_the_end(subset_run, len(SUBSET))


@pytest.mark.slow  # issue 19: end to end (the pipeline executes notebooks)
def test_nothing_in_a_real_run_says_synthetic(subset_run: tuple[int, Path]) -> None:
    _says_synthetic_nowhere(subset_run)


@pytest.mark.slow  # issue 19: end to end (the pipeline executes notebooks)
def test_real_outputs_carry_the_cut_label(subset_run: tuple[int, Path]) -> None:
    _carries_the_cut_label(subset_run)


@pytest.mark.slow  # issue 19: end to end (the pipeline executes notebooks)
def test_an_absent_instrument_is_stated_where_it_would_have_been_shown(
    subset_run: tuple[int, Path],
) -> None:
    _, out = subset_run
    text = (out / "project" / "notebooks" / "06_quality_of_life.ipynb").read_text()
    assert text.count("FACIT-Fatigue" + NOT_COLLECTED) == 1


@pytest.mark.slow
def test_a_foreign_cut_runs_to_the_end(real_run: tuple[int, Path]) -> None:
    """All eight notebooks: end to end, unlabelled as synthetic, labelled with the cut."""
    _runs_to_the_end(real_run, 8)
    _says_synthetic_nowhere(real_run)
    _carries_the_cut_label(real_run)


@pytest.mark.slow
def test_each_absent_piece_is_stated_where_it_would_have_been_shown(
    real_run: tuple[int, Path],
) -> None:
    _, out = real_run
    text = {nb.name[:2]: nb.read_text() for nb in (out / "project" / "notebooks").glob("*.ipynb")}
    assert text["04"].count("BILAG-2004" + NOT_COLLECTED) == 1
    assert text["05"].count("CAR T-cell counts" + NOT_COLLECTED) == 1
    assert text["06"].count("FACIT-Fatigue" + NOT_COLLECTED) == 1
    assert "Not collected in this data cut: Peak CAR T cells, days 0-28" in text["07"]


def test_the_bundled_cohort_copied_outside_stays_labelled_synthetic(tmp_path: Path) -> None:
    cut = tmp_path / "copy"
    shutil.copytree(synthetic_dir(), cut)
    r = pipeline.plan(cut, tmp_path / "out")
    assert r.cut.synthetic and r.profiles == "real,simulated"


@pytest.mark.slow  # issue 19: end to end (the pipeline executes notebooks)
def test_an_identifier_planted_in_the_export_stops_the_run_before_publishing(
    tmp_path: Path, capsys
) -> None:
    d = _cut_with_cell(tmp_path, "ae", "AEBODSYS", 0, "14 Mac 2025")
    nb = _notebook(tmp_path / "03_list.ipynb", "print(sorted(ds['adae']['AEBODSYS'].unique()))")
    out = tmp_path / "out"
    assert pipeline.run(d, out, notebooks=[nb]) == 1
    captured = capsys.readouterr()
    assert "step 'privacy scan' failed" in captured.err
    assert "project/notebooks/03_list.ipynb" in captured.out and "14 Mac" not in captured.out
    assert not (out / "project").exists() and not (out / "reports").exists()


def test_ctcae_null_grades_are_recorded_in_the_derivation_log(tmp_path: Path) -> None:
    d = foreign_cut(tmp_path / "cut", manifest="none")
    lb = pl.read_csv(d / "lb.csv", infer_schema=False)
    lb = lb.with_columns(
        pl.when(pl.col("LBTESTCD") == "HGB")
        .then(None)
        .otherwise(pl.col("LBORNRLO"))
        .alias("LBORNRLO")
    )
    lb.write_csv(d / "lb.csv")
    write_manifest_for_cut(d)
    with pytest.warns(UserWarning):
        log = write_study(d, tmp_path / "derived")
    assert log["ctcae_null_grades"], "a missing lower limit must be reported, not graded 0"
    assert any("Anemia" in m or "HGB" in m or "LLN" in m for m in log["ctcae_null_grades"])


def test_a_cut_without_optional_domains_validates_with_a_warning_and_derives(
    tmp_path: Path,
) -> None:
    from sle_car.validate import validate_study

    d = foreign_cut(tmp_path / "cut", manifest="none")
    for name in ("vs", "cm"):
        (d / f"{name}.csv").unlink()
    write_manifest_for_cut(d)
    report = validate_study(d).report
    assert report.filter(pl.col("severity") == "error").height == 0
    assert sorted(report.filter(pl.col("rule") == "domain_not_collected")["file"]) == [
        "cm.csv",
        "vs.csv",
    ]
    log = write_study(d, tmp_path / "derived")
    assert log["rows"]["adsl"] == 5
    assert pl.read_parquet(tmp_path / "derived" / "clean" / "cm.parquet").height == 0
    (d / "dm.csv").unlink()  # a required domain stays required
    with pytest.raises(Exception, match="DM domain file is missing"):
        validate_study(d)


# --- review findings: labels, manifests, locations, empty optional domains --------------------


def test_the_readme_example_label_and_cut_date_pass_the_privacy_scan(tmp_path: Path) -> None:
    from sle_car.privacy import scan_text

    d = foreign_cut(tmp_path / "cut", manifest="none")
    write_manifest_for_cut(d, label="UKMMC cut 1", cut_date="2027-03-31")
    cut = describe_cut(d)
    assert cut.caption == f"Data cut UKMMC cut 1 (cut of March 2027; data {cut.data_hash})."
    assert scan_text(cut.caption + cut.site_note, "caption") == []
    assert pipeline.plan(d, tmp_path / "out").cut.label == "UKMMC cut 1"


def test_a_label_that_reads_like_a_date_is_refused_before_any_work(tmp_path: Path) -> None:
    d = foreign_cut(tmp_path / "cut", manifest="none")
    write_manifest_for_cut(d, label="cut 31/03/2027")
    with pytest.raises(pipeline.UsageError, match="reads like an identifier"):
        pipeline.plan(d, tmp_path / "out")


def test_compact_or_week_dates_are_not_cut_dates(tmp_path: Path) -> None:
    d = foreign_cut(tmp_path / "cut", manifest="none")
    for bad in ("20270331", "2027-W13-3"):
        with pytest.raises(ManifestError, match="YYYY-MM-DD"):
            write_manifest_for_cut(d, cut_date=bad)


def test_the_study_configuration_of_the_environment_reaches_the_notebooks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = ROOT / "sle_car" / "config" / "study.yaml"
    monkeypatch.setenv("SLE_CAR_STUDY_CONFIG", str(config))
    r = pipeline.plan(foreign_cut(tmp_path / "cut"), tmp_path / "out")
    assert r.study_config == str(config) or Path(r.study_config) == config
    assert r.env()["SLE_CAR_STUDY_CONFIG"] == str(r.study_config)


def test_output_folders_that_hold_the_repository_or_are_files_are_refused(
    tmp_path: Path,
) -> None:
    cut = foreign_cut(tmp_path / "cut")
    with pytest.raises(pipeline.UsageError, match="contains the repository"):
        pipeline.plan(cut, ROOT.parent)
    (tmp_path / "afile").write_text("x")
    with pytest.raises(pipeline.UsageError, match="is a file"):
        pipeline.plan(cut, tmp_path / "afile")


def test_a_bare_manifest_is_checked_like_the_documented_one(tmp_path: Path) -> None:
    from sle_car.validate import validate_study

    d = foreign_cut(tmp_path / "cut", manifest="flat")
    lines = (d / "ae.csv").read_text().splitlines(keepends=True)
    (d / "ae.csv").write_text("".join(lines[:-3]))  # truncated at a row boundary
    report = validate_study(d).report
    assert report.filter((pl.col("rule") == "manifest") & (pl.col("file") == "ae.csv")).height


def test_a_changed_simulated_cut_is_not_labelled_synthetic(tmp_path: Path) -> None:
    d = tmp_path / "copy"
    shutil.copytree(synthetic_dir(), d)
    assert describe_cut(d).synthetic
    (d / "ae.csv").write_text((d / "ae.csv").read_text() + "\n")
    assert not describe_cut(d).synthetic


def test_an_optional_domain_exported_with_a_header_only_has_no_records(tmp_path: Path) -> None:
    from sle_car.validate import validate_study

    d = foreign_cut(tmp_path / "cut", manifest="none")
    header = (d / "ae.csv").read_text().splitlines()[0]
    (d / "ae.csv").write_text(header + "\n")
    write_manifest_for_cut(d)
    report = validate_study(d).report
    assert report.filter(pl.col("severity") == "error").height == 0
    assert "domain_not_collected" not in set(report["rule"])  # collected, with no event
    log = write_study(d, tmp_path / "derived")
    assert log["rows"]["adae"] == 0
    lb_header = (d / "lb.csv").read_text().splitlines()[0]
    (d / "lb.csv").write_text(lb_header + "\n")  # a required domain without rows stays an error
    with pytest.raises(Exception, match="no data rows"):
        validate_study(d)
