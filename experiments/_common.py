"""Shared helpers of the experiment scripts: output folder, tables, data sets.

Every script follows one output convention (``add_output_options``, ``output_dir``,
``publish``): results go to ``--out DIR`` (default: a fresh folder that did not exist
before, printed at the end); the committed files in docs/ are rewritten only with
``--update-docs``.
"""
from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"


def experiment_parser(doc: str) -> argparse.ArgumentParser:
    """A parser whose --help shows the script's whole docstring (with its examples)."""
    return argparse.ArgumentParser(description=doc,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)


def add_output_options(parser: argparse.ArgumentParser, quick: str | None = None) -> None:
    """--out DIR and --update-docs (and --quick, described by ``quick``, if given)."""
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="folder for the .md/.png/.json of this run (created if "
                             "missing; default: a fresh folder in the system temporary "
                             "folder, printed at the end); never docs/")
    parser.add_argument("--update-docs", action="store_true",
                        help="also rewrite the committed files in docs/ (deliberately)")
    if quick is not None:
        parser.add_argument("--quick", action="store_true",
                            help=f"a cheap run ({quick}); not with --update-docs")


def refuse(name: str, message: str) -> None:
    """One line on stderr, exit 2 (bad usage)."""
    print(f"{name}: {message}", file=sys.stderr)
    sys.exit(2)


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def output_dir(args: argparse.Namespace, name: str, docs: Path = DOCS) -> Path:
    """The folder this run writes into: ``--out`` (created if missing) or a fresh one.

    Refused (exit 2, one line): an --out that exists and is not a folder, an --out inside
    docs/ (docs/ is written by --update-docs only), --quick with --update-docs (a reduced
    run must not replace the committed pages)."""
    if getattr(args, "quick", False) and args.update_docs:
        refuse(name, "--quick and --update-docs together would replace docs/ with a "
                     "reduced run; drop one of them")
    try:
        if args.out is None:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            return Path(tempfile.mkdtemp(prefix=f"exactformer-{name}-{stamp}-"))
        out = args.out
        if out.exists() and not out.is_dir():
            refuse(name, f"--out {out} exists and is not a folder")
        if _inside(out, docs):
            refuse(name, f"--out {out} lies in docs/; use --update-docs to rewrite docs/")
        out.mkdir(parents=True, exist_ok=True)
        return out
    except OSError as exc:
        refuse(name, f"cannot create the output folder: {exc.strerror or exc}")
    raise AssertionError("unreachable")


def publish(args: argparse.Namespace, out: Path, files: list[str],
            docs: Path = DOCS) -> None:
    """Print what the run wrote where; with --update-docs copy the committed ``files``
    (a subset of what is in out) from out to docs/."""
    print(f"wrote {', '.join(sorted(p.name for p in out.iterdir()))} into {out}")
    if args.update_docs:
        docs.mkdir(exist_ok=True)
        for f in files:
            shutil.copyfile(out / f, docs / f)
        print(f"updated {', '.join(str(docs / f) for f in files)}")


def markdown_table(header: list[str], rows: list[list]) -> str:
    """A GitHub Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def write_table(folder: Path, name: str, title: str, text: str, body: str) -> Path:
    """folder/name.md: a title, a paragraph and a table."""
    path = folder / f"{name}.md"
    path.write_text(f"# {title}\n\n{text}\n\n{body}")
    return path


def random_points(rng: random.Random, d: int, m: int, denominator: int = 1024):
    """m random points of [-1, 1]^d with coordinates k / denominator (exact rationals)."""
    return [tuple(Fraction(rng.randint(-denominator, denominator), denominator)
                  for _ in range(d)) for _ in range(m)]
