"""The cache of executed notebooks (sle_car.notebook_cache): a warm run reuses them, any
change to what can change them executes again, a failed run never fills it, a damaged entry is
never an output."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest

from sle_car import notebook_cache as cache
from sle_car import pipeline
from sle_car.cut import write_manifest_for_cut
from sle_car.paths import repo_root
from tests.foreign import foreign_cut

ROOT = repo_root()


def _notebook(path: Path, *sources: str) -> Path:
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
        for i, src in enumerate(sources)
    ]
    path.write_text(json.dumps(nb))
    return path


FIGURE = """from plotnine import aes, geom_point, ggplot
from sle_car.figures import save_figure
from sle_car import load_study
ds = load_study()
p = ggplot(ds['adsl'].to_pandas(), aes('AGE', 'AGE')) + geom_point()
save_figure(p, 'fig-cache-test', width_mm=40, height_mm=30)
print(ds['adsl'].height)"""


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _said(capsys) -> str:
    return capsys.readouterr().out


# --- the key -----------------------------------------------------------------------------------


def test_outputs_and_execution_counts_are_not_input_but_sources_are(tmp_path: Path) -> None:
    a = _notebook(tmp_path / "a.ipynb", "print(1)")
    nb = json.loads(a.read_text())
    digest = cache.notebook_input_digest(a)
    nb["cells"][0]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "1\n"}]
    nb["cells"][0]["execution_count"] = 1
    a.write_text(json.dumps(nb))
    assert cache.notebook_input_digest(a) == digest
    nb["cells"][0]["source"] = "print(2)"
    a.write_text(json.dumps(nb))
    assert cache.notebook_input_digest(a) != digest


def test_an_empty_code_cell_keeps_its_outputs_so_they_are_input(tmp_path: Path) -> None:
    a = _notebook(tmp_path / "a.ipynb", "   ")
    digest = cache.notebook_input_digest(a)
    nb = json.loads(a.read_text())
    nb["cells"][0]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "old\n"}]
    a.write_text(json.dumps(nb))
    assert cache.notebook_input_digest(a) != digest  # not executed: the old output stays


def test_the_environment_that_can_change_outputs_is_keyed_and_the_commit_is_not() -> None:
    env = {
        "SLE_CAR_EXACT_VALUES": "1",
        "POLARS_FMT_MAX_ROWS": "5",
        "SLE_CAR_GIT_COMMIT": "abc",
        "SLE_CAR_NOTEBOOK_CACHE": "/x",
        "TERM": "xterm",
        "TZ": "UTC",
    }
    assert cache.keyed_environment(env) == {
        "POLARS_FMT_MAX_ROWS": "5",
        "SLE_CAR_EXACT_VALUES": "1",
        "TZ": "UTC",
    }


def test_a_damaged_entry_is_a_miss_and_is_removed(tmp_path: Path) -> None:
    nb = _notebook(tmp_path / "x.ipynb", "1")
    fig = tmp_path / "fig-a.png"
    fig.write_bytes(b"png")
    staged = {cache.stage("x.ipynb", "k" * 64, nb, [fig], 1.5): ("x.ipynb", "k" * 64)}
    cache.commit(staged)
    entry = cache.lookup("x.ipynb", "k" * 64)
    assert entry is not None and cache.seconds(entry) == 1.5
    assert cache.lookup("x.ipynb", "j" * 64) is None
    (entry / "figures" / "fig-a.png").write_bytes(b"pnG")
    assert cache.lookup("x.ipynb", "k" * 64) is None
    assert not entry.exists()


def test_split_printed_text_is_joined_and_order_kept() -> None:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="a\n"),
        nbformat.v4.new_output("stream", name="stdout", text="b\n"),
        nbformat.v4.new_output("display_data", data={"text/plain": "D"}),
        nbformat.v4.new_output("stream", name="stdout", text="c\n"),
        nbformat.v4.new_output("stream", name="stderr", text="w\n"),
    ]
    nb.cells = [cell]
    pipeline.join_split_streams(nb)
    assert [(o.output_type, o.get("text")) for o in nb.cells[0].outputs] == [
        ("stream", "a\nb\n"),
        ("display_data", None),
        ("stream", "c\n"),
        ("stream", "w\n"),
    ]


# --- the pipeline with the cache ----------------------------------------------------------------


def _figure_run(tmp_path: Path, capsys) -> tuple[Path, Path, Path, dict[str, bytes]]:
    """A first run of a notebook that exports a figure: executed, then stored."""
    d = foreign_cut(tmp_path / "cut", manifest="none")
    write_manifest_for_cut(d, label="cache test")
    out = tmp_path / "out"
    nb = _notebook(tmp_path / "01_fig.ipynb", FIGURE)
    assert pipeline.run(d, out, notebooks=[nb]) == 0
    assert "01_fig.ipynb: executed" in _said(capsys)
    first = _tree(out)
    assert "reports/figures/fig-cache-test.png" in first
    assert b'"5\\n"' in first["project/notebooks/01_fig.ipynb"]
    return d, out, nb, first


@pytest.mark.slow  # issue 19: end to end (the pipeline executes notebooks)
def test_a_warm_run_reuses_the_notebook_and_its_figures(tmp_path: Path, capsys) -> None:
    d, out, nb, first = _figure_run(tmp_path, capsys)
    assert pipeline.run(d, out, notebooks=[nb]) == 0  # nothing changed: reused, same bytes
    assert "01_fig.ipynb: unchanged, reused" in _said(capsys)
    assert _tree(out) == first


@pytest.mark.slow
def test_no_cache_and_a_changed_source_execute_again(tmp_path: Path, capsys) -> None:
    d, out, nb, first = _figure_run(tmp_path, capsys)
    assert pipeline.run(d, out, notebooks=[nb], use_cache=False) == 0  # --no-cache
    assert "01_fig.ipynb: executed" in _said(capsys)
    assert _tree(out) == first
    _notebook(nb, FIGURE.replace("geom_point()", "geom_point(size=3)"))  # the source changed
    assert pipeline.run(d, out, notebooks=[nb]) == 0
    assert "01_fig.ipynb: executed" in _said(capsys)
    png = "reports/figures/fig-cache-test.png"
    assert _tree(out)[png] != first[png]


@pytest.mark.slow  # issue 19: end to end (the pipeline executes notebooks)
def test_a_failed_run_never_fills_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a cache of its own: other test workers store entries in the shared one meanwhile
    monkeypatch.setenv(cache.ENV_CACHE, str(tmp_path / "cache"))
    d = foreign_cut(tmp_path / "cut")
    ok = _notebook(tmp_path / "01_ok.ipynb", "print('fine')")
    bad = _notebook(tmp_path / "02_bad.ipynb", "1 / 0")
    root = cache.cache_root()
    assert root == tmp_path / "cache"
    assert pipeline.run(d, tmp_path / "out", notebooks=[ok, bad]) == 1
    stored = sorted(p.name for p in root.glob("*")) if root.exists() else []
    assert stored == []  # 01_ok was executed, but the run failed: nothing stored, not even a part
    assert pipeline.run(d, tmp_path / "out2", notebooks=[ok]) == 0
    assert [p.name.startswith("01_ok-") for p in root.glob("*")] == [True]  # a success stores


@pytest.mark.parametrize("what", ["options", "code", "raw data", "derived data", "env"])
def test_the_key_follows_every_input(tmp_path: Path, what: str, monkeypatch) -> None:
    d = foreign_cut(tmp_path / "cut")
    nb = _notebook(tmp_path / "01_ok.ipynb", "print(1)")
    run = pipeline.plan(d, tmp_path / "out", notebooks=[nb])
    run.derived.mkdir(parents=True)
    (run.derived / "adsl.parquet").write_bytes(b"x")
    env = run.env()
    key = cache.notebook_key(cache.run_fingerprint(run, env), nb, env)
    assert cache.notebook_key(cache.run_fingerprint(run, env), nb, env) == key  # stable
    run2 = run
    if what == "options":
        opts = tmp_path / "sap.yaml"
        opts.write_text("stable_days: 60\n")
        run2 = pipeline.plan(d, tmp_path / "out", notebooks=[nb], options_file=opts)
    elif what == "code":
        real = cache.tree_digest
        monkeypatch.setattr(
            cache, "tree_digest", lambda p: "changed" if Path(p).name == "sle_car" else real(p)
        )
    elif what == "raw data":  # a file that differs from the manifest (--accept-changed-files)
        (d / "ae.csv").write_text((d / "ae.csv").read_text() + "\n")
    elif what == "derived data":
        (run.derived / "adsl.parquet").write_bytes(b"y")
    else:
        monkeypatch.setenv("SLE_CAR_EXACT_VALUES", "1")
    env2 = run2.env()
    assert cache.notebook_key(cache.run_fingerprint(run2, env2), nb, env2) != key


# --- make test: the committed notebooks against a cached execution (tests/cached_notebooks.py) --


def _copy_with(src: Path, dst: Path, edit=None) -> Path:
    nb = nbformat.read(src, as_version=4)
    if edit is not None:
        edit([c for c in nb.cells if c.cell_type == "code"])
    nbformat.write(nb, dst)
    return dst


def _first_text_output(cells) -> tuple[int, dict]:
    for i, c in enumerate(cells):
        for o in c.outputs:
            if o.output_type == "stream" or "text/plain" in o.get("data", {}):
                return i, o
    raise AssertionError("no text output")


COMMITTED = ROOT / "notebooks" / "02_endpoint_derivation.ipynb"


def test_a_committed_notebook_equals_an_identical_execution(tmp_path: Path) -> None:
    from tests.cached_notebooks import compare_notebooks

    executed = _copy_with(COMMITTED, tmp_path / "executed.ipynb")
    assert compare_notebooks(COMMITTED, executed) == []


def test_a_committed_output_that_differs_from_the_execution_fails(tmp_path: Path) -> None:
    """The cached comparison is a real check: one changed committed number fails it, naming
    the cell."""
    from tests.cached_notebooks import compare_notebooks

    def change(cells) -> None:
        _, o = _first_text_output(cells)
        if o.output_type == "stream":
            o.text = o.text + "1"
        else:
            o.data["text/plain"] = o.data["text/plain"] + "1"

    committed = _copy_with(COMMITTED, tmp_path / "committed.ipynb", change)
    i, _ = _first_text_output(
        [c for c in nbformat.read(COMMITTED, as_version=4).cells if c.cell_type == "code"]
    )
    failures = compare_notebooks(committed, COMMITTED)
    assert len(failures) == 1 and failures[0].startswith(f"Cell {i}: Cell outputs differ")


def test_an_error_in_the_execution_fails_and_sanitised_text_does_not(tmp_path: Path) -> None:
    from tests.cached_notebooks import compare_notebooks

    def address(n: str):
        def edit(cells) -> None:
            cells[0].outputs.append(nbformat.v4.new_output("stream", name="stdout", text=n))

        return edit

    a = _copy_with(COMMITTED, tmp_path / "a.ipynb", address("object at 0x7f00aa11bb22\n"))
    b = _copy_with(COMMITTED, tmp_path / "b.ipynb", address("object at 0x7f00cc33dd44\n"))
    assert compare_notebooks(a, b) == []  # nbval's sanitiser: memory addresses vary
    c = _copy_with(COMMITTED, tmp_path / "c.ipynb", address("object at 1\n"))
    assert len(compare_notebooks(a, c)) == 1

    def error(cells) -> None:
        cells[-1].outputs.append(
            nbformat.v4.new_output("error", ename="ValueError", evalue="x", traceback=["boom"])
        )

    failed = _copy_with(COMMITTED, tmp_path / "failed.ipynb", error)
    assert any("caused an exception" in f for f in compare_notebooks(COMMITTED, failed))


def test_a_missing_or_different_cell_in_the_execution_fails(tmp_path: Path) -> None:
    from tests.cached_notebooks import compare_notebooks

    def shorter(cells) -> None:
        cells[-1].source = cells[-1].source + "\n# edited"

    other = _copy_with(COMMITTED, tmp_path / "other.ipynb", shorter)
    assert any("does not match" in f for f in compare_notebooks(COMMITTED, other))


def test_the_report_key_of_a_notebook_ignores_its_outputs_only(tmp_path: Path) -> None:
    """make test finds make report's execution of a committed notebook by this key: the
    committed outputs are not input (a changed output is compared, not a miss); its source is."""

    def strip(cells) -> None:
        for c in cells:
            c.outputs, c.execution_count = [], None

    def edit(cells) -> None:
        cells[0].source += "\n"

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    bare = _copy_with(COMMITTED, tmp_path / "a" / COMMITTED.name, strip)
    edited = _copy_with(COMMITTED, tmp_path / "b" / COMMITTED.name, edit)
    keys = cache.report_keys([COMMITTED])
    assert set(keys) == {COMMITTED.name} and len(keys[COMMITTED.name]) == 64
    assert cache.report_keys([bare]) == keys
    assert cache.report_keys([edited]) != keys


def test_the_font_list_is_keyed_the_same_before_and_after_a_kernel_built_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a fresh machine matplotlib's font list does not exist until the first kernel
    imports matplotlib. The key must not change when it appears, or the first two runs would
    both execute every notebook: the key's first reading builds the list itself."""
    import subprocess
    import sys

    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
    before = cache._font_list()
    assert list((tmp_path / "mpl").glob("fontlist-*.json")), "the list is built"
    subprocess.run(  # what a kernel does: matplotlib reads (or builds) its font list
        [sys.executable, "-c", "import matplotlib.font_manager"],
        check=True,
        env={**os.environ, "MPLCONFIGDIR": str(tmp_path / "mpl")},
    )
    assert cache._font_list() == before
