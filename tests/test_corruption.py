"""Corruption suite: every kind of damage to a data directory gives a clear message naming
the file and an exit status (2: unreadable, 1: data problems), never a traceback, and never
silently fewer rows."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from sle_car.clean import clean_study
from sle_car.cli import main


def _rewrite(name: str, fn: Callable[[bytes], bytes]) -> Callable[[Path], str]:
    def damage(d: Path) -> str:
        p = d / name
        p.write_bytes(fn(p.read_bytes()))
        return name

    return damage


def _remove(name: str) -> Callable[[Path], str]:
    def damage(d: Path) -> str:
        (d / name).unlink()
        return name

    return damage


CASES = {
    "truncated mid-row": (_rewrite("vs.csv", lambda b: b[: len(b) - 7]), {1, 2}),
    "semicolon delimiter": (_rewrite("dm.csv", lambda b: b.replace(b",", b";")), {2}),
    "binary garbage": (_rewrite("ae.csv", lambda b: bytes(range(256)) * 4), {2}),
    "latin-1 encoding": (_rewrite("dm.csv", lambda b: b + "STUDYID é\n".encode("latin-1")), {2}),
    "empty file": (_rewrite("ds.csv", lambda b: b""), {2}),
    # a required domain with no rows is unreadable (an optional one has no records: test_pipeline)
    "header only": (_rewrite("lb.csv", lambda b: b.split(b"\n")[0] + b"\n"), {2}),
    "duplicated column name": (
        _rewrite("ex.csv", lambda b: b.replace(b"EXDOSU", b"EXDOSE", 1)),
        {2},
    ),
    "renamed column": (_rewrite("cm.csv", lambda b: b.replace(b"CMDOSE,", b"CM_DOSE,", 1)), {1}),
    "row with an extra field": (
        _rewrite("ae.csv", lambda b: b + b"a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s\n"),
        {1, 2},
    ),
    "row with a field missing": (
        _rewrite("ae.csv", lambda b: b + b"a,b,c,d,e,f,g,h,i,j,k\n"),
        {2},
    ),
    "number with a unit glued on": (
        _rewrite("dm.csv", lambda b: b.replace(b",YEARS,", b"y,YEARS,", 1)),
        {1},
    ),
    "every row duplicated": (_rewrite("lb.csv", lambda b: b + b"\n".join(b.split(b"\n")[1:])), {1}),
    "missing domain file": (_remove("qs.csv"), {2}),
    "corrupted manifest": (_rewrite("manifest.json", lambda b: b[:20]), {2}),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_damage_gives_a_clear_error_and_exit_status(
    case: str, cohort_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    shutil.copytree(cohort_dir, data)
    damage, statuses = CASES[case]
    file = damage(data)
    status = main(["validate", str(data), "--report-dir", str(tmp_path / "report")])
    out = capsys.readouterr()
    assert status in statuses, f"{case}: exit {status}\n{out.out}\n{out.err}"
    assert "Traceback" not in out.out + out.err
    if status == 2:
        assert file in out.err
    else:
        report = (tmp_path / "report" / "validation.csv").read_text()
        assert file in report
        cleaned = clean_study(data)
        assert cleaned.reconciliation["balanced"].all()


def test_crlf_and_byte_order_mark_are_read_as_usual(cohort_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(cohort_dir, data)
    (data / "manifest.json").unlink()
    for p in data.glob("*.csv"):
        p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes().replace(b"\n", b"\r\n") + b"\r\n")
    assert main(["validate", str(data), "--report-dir", str(tmp_path / "r")]) == 0
