"""``make report``: the main job on a data directory, step by step.

1. validate the raw export (report to ``reports/data-issues/``);
2. clean it (quarantine and reconciliation) into the derived directory (git-ignored);
3. write the site inputs (``_variables.yml``, data dictionary, schedule, versions, options);
4. execute the numbered notebooks, when there are any;
5. render the Quarto site when ``quarto`` is on PATH, otherwise say so in one line.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from sle_car.paths import figures_dir, notebooks_dir, repo_root
from sle_car.paths import issues_dir as issues_root


def _step(text: str) -> None:
    print(f"==> {text}", flush=True)


def execute_notebook(path: Path, env: dict | None = None) -> None:
    """Execute a notebook in place, without cell timing metadata (so that re-executed files
    differ only where outputs changed)."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "jupyter",
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            "--inplace",
            "--log-level=ERROR",
            "--ExecutePreprocessor.record_timing=False",
            str(path),
        ],
        check=True,
        env=env,
    )


def _write_figure_sums() -> None:
    """reports/figures/SHA256SUMS: the hash of every exported figure (tests compare them)."""
    from sle_car.figures import file_sha256

    figs = figures_dir()
    lines = [
        f"{file_sha256(p)}  {p.name}"
        for p in sorted(figs.glob("*.png")) + sorted(figs.glob("*.svg"))
    ]
    (figs / "SHA256SUMS").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"    {len(lines)} figure files exported to reports/figures/")


def run_report(data_dir: Path, derived_dir: Path) -> int:
    from sle_car.clean import clean_study, write_clean
    from sle_car.io import DataFileError
    from sle_car.site import write_site_inputs
    from sle_car.validate import validate_study

    _step(f"validate {data_dir}")
    try:
        validation = validate_study(data_dir)
    except DataFileError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    issues_dir = issues_root() / data_dir.name
    issues_dir.mkdir(parents=True, exist_ok=True)
    validation.report.write_csv(issues_dir / "validation.csv")
    print(f"    {validation.report.height} problem(s) listed in {issues_dir / 'validation.csv'}")

    _step(f"clean -> {derived_dir / 'clean'}")
    cleaned = clean_study(data_dir, validation)
    write_clean(cleaned, derived_dir / "clean")
    kept = int(cleaned.reconciliation["rows_kept"].sum())
    aside = int(cleaned.reconciliation["rows_set_aside"].sum())
    print(f"    {kept} rows kept, {aside} set aside (reconciled)")

    _step(
        "site inputs -> _variables.yml, reports/{data-dictionary,schedule,versions,analysis-options}.md"
    )
    write_site_inputs(data_dir)

    notebooks = sorted(notebooks_dir().glob("[0-9][0-9]*.ipynb"))
    if notebooks:
        _step(f"execute {len(notebooks)} notebook(s)")
        for nb in notebooks:
            execute_notebook(nb)
        _write_figure_sums()
    else:
        _step("no notebooks yet: nothing to execute")

    if shutil.which("quarto"):
        _step("quarto render")
        subprocess.run(["quarto", "render"], cwd=repo_root(), check=True)
    else:
        print(
            "Quarto site not rendered: `quarto` is not on PATH (install it from "
            "https://quarto.org, `conda env create -f environment.yml`, or "
            "`pip install 'sle-car[quarto]'`), then rerun `make report`."
        )
    return 0
