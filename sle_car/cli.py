"""The ``sle-car`` command line: ``validate``, ``simulate``, ``derive``, ``report``, ``report-real``, ...

Exit status: 0 clean, 1 data errors found (or a pipeline step failed), 2 usage errors (missing
directory, unreadable file, no manifest).
A bad file never produces a traceback: the message names the file and says what to do.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2


def _inside(child: Path, parent: Path) -> bool:
    try:
        child.resolve().relative_to(parent.resolve())
    except ValueError:
        return False
    return True


def _positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return int(text)


def cmd_validate(args: argparse.Namespace) -> int:
    import polars as pl

    from sle_car.io import DataFileError
    from sle_car.paths import default_report_dir
    from sle_car.validate import summary_by_rule, validate_study

    data_dir = Path(args.data_dir)
    out_dir = Path(args.report_dir) if args.report_dir else default_report_dir(data_dir)
    if _inside(out_dir, data_dir):
        print(
            f"error: the report directory {out_dir} is inside the raw data directory; raw data "
            "is read-only, choose another --report-dir",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        result = validate_study(
            data_dir,
            accept_changed_files=args.accept_changed_files,
            study_config=args.study_config,
        )
    except DataFileError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    report_path = out_dir / "validation.csv"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        result.report.write_csv(report_path)
    except OSError as err:
        print(
            f"error: cannot write the listing to {out_dir} ({err.strerror}); "
            "choose a writable --report-dir",
            file=sys.stderr,
        )
        return EXIT_USAGE
    with pl.Config(
        tbl_rows=args.max_rows,
        fmt_str_lengths=80,
        tbl_width_chars=200,
        tbl_hide_dataframe_shape=True,
        tbl_hide_column_data_types=True,
    ):
        if result.report.height:
            print(result.report.head(args.max_rows))
    by_rule = summary_by_rule(result.report)
    for severity in ("error", "repairable", "warning"):
        rules = by_rule.filter(pl.col("severity") == severity)
        if rules.height:
            detail = ", ".join(f"{r['rule']} {r['n']}" for r in rules.iter_rows(named=True))
            print(f"{rules['n'].sum()} {severity}: {detail}")
    counts = result.report.group_by("severity").len().sort("severity")
    summary = (
        ", ".join(f"{r['len']} {r['severity']}" for r in counts.iter_rows(named=True))
        or "no problems"
    )
    print(f"{data_dir}: {summary}. Full report: {report_path}")
    return EXIT_OK if result.ok else EXIT_DATA


def cmd_simulate(args: argparse.Namespace) -> int:
    from sle_car.simulate import simulate, simulate_to_dir, write_cohort

    out = Path(args.out)
    if out.exists() and any(out.iterdir()) and not args.force:
        print(f"error: {out} is not empty; use --force to overwrite", file=sys.stderr)
        return EXIT_USAGE
    if args.patients < 1:
        print("error: --patients must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    if out.exists() and args.force:
        shutil.rmtree(out)
    command = (
        f"sle-car simulate --patients {args.patients} --seed {args.seed}"
        f"{' --messy' if args.messy else ''} --out {args.out}"
    )
    if args.messy:  # injection needs the whole cohort in memory
        cohort = simulate(args.patients, args.seed, messy=True, progress=not args.quiet)
        write_cohort(cohort, out, command=command)
    else:
        simulate_to_dir(args.patients, args.seed, out, command=command, progress=not args.quiet)
    print(f"wrote {args.patients} synthetic patients (seed {args.seed}) to {out}")
    return EXIT_OK


def cmd_dictionary(args: argparse.Namespace) -> int:
    from sle_car.dictionary import data_dictionary

    text = data_dictionary()
    if args.out == "-":
        sys.stdout.write(text)
    else:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    return EXIT_OK


def cmd_derive(args: argparse.Namespace) -> int:
    from sle_car._checks import ChoiceError
    from sle_car.batched import validate_clean
    from sle_car.derive.build import check_unchanged, write_study
    from sle_car.derive.options import read_options
    from sle_car.io import DataFileError
    from sle_car.pipeline import QuarantineRefused, gate_set_aside

    data_dir, out = Path(args.data_dir), Path(args.out)
    if _inside(out, data_dir):
        print(
            f"error: {out} is inside the raw data directory; raw data is read-only", file=sys.stderr
        )
        return EXIT_USAGE
    pending = out / ".clean-pending"
    try:
        options = read_options(args.options) if args.options else {}
        batch = {} if args.batch_size is None else {"batch_size": args.batch_size}
        cleaned = validate_clean(  # in batches of subjects: memory flat in the cohort size
            data_dir,
            pending,  # moved to OUT/clean only when derivation starts
            accept_changed_files=args.accept_changed_files,
            study_config=args.study_config,
            **batch,
        )
        check_unchanged(cleaned.validation, data_dir)
        set_aside = gate_set_aside(
            cleaned, args.accept_quarantine, f"`sle-car validate {data_dir}`"
        )
        log = write_study(
            data_dir,
            out,
            progress=not args.quiet,
            cleaned=cleaned,
            set_aside=set_aside.to_dicts(),
            study_config=args.study_config,
            **batch,
            **options,
        )
    except QuarantineRefused as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_DATA
    except DataFileError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except ChoiceError as err:
        print(f"error: {args.options}: {err}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        shutil.rmtree(pending, ignore_errors=True)
    for name, rows in log["rows"].items():
        print(f"{name}: {rows} rows, {log['subjects'][name]} subjects")
    for statement in log.get("set_aside_domains") or []:
        print(statement)
    print(f"wrote {len(log['rows'])} analysis datasets and derivation_log.json to {out}")
    return EXIT_OK


def cmd_site(args: argparse.Namespace) -> int:
    from sle_car.paths import repo_root
    from sle_car.site import write_site_inputs

    for p in write_site_inputs():
        print(f"wrote {p.relative_to(repo_root())}")
    return EXIT_OK


def cmd_release(args: argparse.Namespace) -> int:
    from sle_car.paths import repo_root
    from sle_car.site import quarto_available, release

    target = release(args.version)
    print(f"release written to {target.relative_to(repo_root())}")
    if not quarto_available():
        print(
            "Quarto site not rendered for this release: `quarto` is not on PATH (figures and the "
            "versions index were written)."
        )
    return EXIT_OK


def cmd_report_real(args: argparse.Namespace) -> int:
    from sle_car.pipeline import run

    return run(args.data, args.out, **_pipeline_settings(args))


def cmd_manifest(args: argparse.Namespace) -> int:
    from sle_car.cut import ManifestError, write_manifest_for_cut

    try:
        path = write_manifest_for_cut(args.data_dir, label=args.label, cut_date=args.cut_date)
    except ManifestError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote {path}")
    return EXIT_OK


def cmd_privacy_check(args: argparse.Namespace) -> int:
    """Scan a folder (the repository's committed outputs by default) for identifiers; exit 1
    on any finding, 2 if the names file or the folder cannot be read."""
    from sle_car.paths import repo_root
    from sle_car.privacy import (
        NamesFileError,
        check_provenance,
        export_free_text,
        load_names,
        names_file,
        scan_outputs,
        scan_tree,
        unscanned_files,
    )

    try:
        names = load_names()
    except NamesFileError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    target = Path(args.path).resolve() if args.path else repo_root()
    if not target.is_dir():
        print(f"error: {args.path} is not a folder; give the folder to scan", file=sys.stderr)
        return EXIT_USAGE
    if target == repo_root():
        findings = scan_outputs(names=names) + check_provenance()
        skipped = []
    else:
        free_text = export_free_text(Path(args.data)) if args.data else []
        findings = scan_tree(target, names=names, free_text=free_text)
        skipped = unscanned_files(target)
    for f in findings:
        print(f)
    for p in skipped:
        print(f"not scanned (file type not read by the guard): {p.relative_to(target)}")
    files = len({f.file for f in findings})
    print(
        f"privacy check of {target}: {len(findings)} finding(s) in {files} file(s); "
        f"{len(names)} name(s) from {names_file()}"
    )
    return EXIT_DATA if findings else EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    import polars as pl

    from sle_car.diff import diff_cuts, summarise
    from sle_car.io import DataFileError

    try:
        changes = diff_cuts(args.old, args.new)
    except DataFileError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    subjects = changes.filter(pl.col("domain") == "dm", pl.col("change") != "changed")
    for row in subjects.iter_rows(named=True):
        print(f"subject {row['change']}: {row['key']}")
    with pl.Config(tbl_rows=100, tbl_hide_dataframe_shape=True):
        print(summarise(changes))
    if args.out:
        changes.write_csv(args.out)
        print(f"all {changes.height} changes written to {args.out}")
    return EXIT_OK


def cmd_deidentify(args: argparse.Namespace) -> int:
    import polars as pl

    from sle_car.deid import DeidError, deidentify
    from sle_car.paths import repo_root

    out = Path(args.out).resolve()
    if out == repo_root() or repo_root() in out.parents:
        print("error: write de-identified real data outside the repository", file=sys.stderr)
        return EXIT_USAGE
    try:
        ids = pl.read_csv(args.id_map, infer_schema=False, glob=False)
        id_map = dict(zip(ids["original"], ids["study_code"], strict=True))
        rows = deidentify(args.raw_dir, out, id_map)
    except (DeidError, OSError, pl.exceptions.PolarsError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_DATA if isinstance(err, DeidError) else EXIT_USAGE
    print(f"de-identified {sum(rows.values())} rows in {len(rows)} files to {out}")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from sle_car.pipeline import run

    return run(args.data, **_pipeline_settings(args))


def _pipeline_settings(args: argparse.Namespace) -> dict:
    return {
        "accept_quarantine": args.accept_quarantine,
        "accept_changed_files": args.accept_changed_files,
        "study_config": args.study_config,
        "options_file": args.options,
        "use_cache": not getattr(args, "no_cache", False),
    }


def _pipeline_flags(p: argparse.ArgumentParser, options: bool = True) -> None:
    p.add_argument(
        "--accept-quarantine",
        action="store_true",
        help="analyse without the rows that validation errors set aside (default: stop, exit 1)",
    )
    p.add_argument(
        "--accept-changed-files",
        action="store_true",
        help="accept data files that differ from their SHA-256 in manifest.json (default: stop)",
    )
    p.add_argument(
        "--study-config",
        help="the cut's study configuration (YAML; default SLE_CAR_STUDY_CONFIG or the "
        "bundled sle_car/config/study.yaml)",
    )
    if options:
        p.add_argument("--options", help="YAML file of analysis options (the SAP's choices)")
        p.add_argument(
            "--no-cache",
            action="store_true",
            help="execute every notebook even when an executed copy with the same inputs is "
            "cached (~/.cache/sle-car/notebooks); the cache is refreshed",
        )


def build_parser() -> argparse.ArgumentParser:
    from sle_car import __version__

    parser = argparse.ArgumentParser(prog="sle-car", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"sle-car {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="validate a raw data directory against the data contract")
    v.add_argument("data_dir")
    v.add_argument(
        "--report-dir",
        help="where validation.csv goes (default: reports/data-issues/<name> for data inside "
        "the repository, <name>.data-issues/ beside a data cut outside it)",
    )
    v.add_argument("--max-rows", type=int, default=40, help="problems printed (all are in the CSV)")
    v.add_argument(
        "--accept-changed-files",
        action="store_true",
        help="a file differing from its SHA-256 in manifest.json is a warning, not an error",
    )
    v.add_argument(
        "--study-config",
        help="the study configuration (YAML) of this cut: study ID, subject-ID pattern, sites, "
        "race and ethnic groups, required baseline measurements (default: "
        "SLE_CAR_STUDY_CONFIG, else sle_car/config/study.yaml)",
    )
    v.set_defaults(func=cmd_validate)

    s = sub.add_parser("simulate", help="write a synthetic cohort (raw domains + manifest)")
    s.add_argument("--patients", type=int, default=5)
    s.add_argument("--seed", type=int, default=20250101)
    s.add_argument("--out", required=True)
    s.add_argument("--messy", action="store_true", help="inject the problems of real exports")
    s.add_argument("--force", action="store_true", help="overwrite a non-empty --out")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_simulate)

    d = sub.add_parser("dictionary", help="write the data dictionary (Markdown) from the schemas")
    d.add_argument("--out", default="-")
    d.set_defaults(func=cmd_dictionary)

    dv = sub.add_parser("derive", help="clean, derive and write the analysis datasets (Parquet)")
    dv.add_argument("data_dir")
    dv.add_argument("--out", required=True)
    dv.add_argument(
        "--batch-size",
        type=_positive_int,
        help="subjects derived at a time; memory is that of one batch "
        "(default: sle_car.derive.build.BATCH_SIZE, 1,000)",
    )
    dv.add_argument(
        "--options",
        help="YAML file of analysis options (the SAP's choices); every option and its default: "
        "sle_car/config/analysis_options.yaml",
    )
    dv.add_argument("--quiet", action="store_true", help="no progress bar")
    _pipeline_flags(dv, options=False)
    dv.set_defaults(func=cmd_derive)

    si = sub.add_parser("site", help="write _variables.yml, the data dictionary and the schedule")
    si.set_defaults(func=cmd_site)

    rl = sub.add_parser("release", help="render a release into reports/releases/<version>/")
    rl.add_argument("--version", default=None, help="default: the package version")
    rl.set_defaults(func=cmd_release)

    rr = sub.add_parser(
        "report-real", help="the whole pipeline on any data cut, outputs outside the repository"
    )
    rr.add_argument("--data", required=True, help="the data cut (outside the repository)")
    rr.add_argument("--out", required=True, help="output root (outside the repository and DATA)")
    _pipeline_flags(rr)
    rr.set_defaults(func=cmd_report_real)

    mf = sub.add_parser("manifest", help="write manifest.json (file -> SHA-256) for a data cut")
    mf.add_argument("data_dir")
    mf.add_argument("--label", help="how pages, tables and figures name this cut")
    mf.add_argument("--cut-date", help="the data cut's date, YYYY-MM-DD (shown as month, year)")
    mf.set_defaults(func=cmd_manifest)

    df = sub.add_parser("diff", help="what changed between two data cuts")
    df.add_argument("old")
    df.add_argument("new")
    df.add_argument("--out", help="write every change as CSV")
    df.set_defaults(func=cmd_diff)

    de = sub.add_parser("deidentify", help="de-identify a real export (dates to study days, codes)")
    de.add_argument("raw_dir")
    de.add_argument("--out", required=True, help="outside the repository")
    de.add_argument(
        "--id-map", required=True, help="CSV with columns original, study_code (outside git)"
    )
    de.set_defaults(func=cmd_deidentify)

    pc = sub.add_parser(
        "privacy-check",
        help="scan a folder (default: the repository's committed outputs) for patient identifiers",
    )
    pc.add_argument(
        "path", nargs="?", help="folder to scan, e.g. a real run's OUT (default: the repository)"
    )
    pc.add_argument(
        "--data",
        help="the raw export the folder was made from: its comment fields and verbatim terms "
        "are looked for too",
    )
    pc.set_defaults(func=cmd_privacy_check)

    r = sub.add_parser(
        "report", help="the main job on the bundled synthetic cohort (outputs into the repository)"
    )
    r.add_argument("--data", default="data/synthetic", help="only the bundled cohort is accepted")
    _pipeline_flags(r)
    r.set_defaults(func=cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
