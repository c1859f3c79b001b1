"""Paste what a run computed into the README and docs/, so that every number they quote is
one a fresh clone prints.

    python tools/paste_results.py [--results DIR] [--check]

Every block `<!-- BEGIN results/<path> -->` ... `<!-- END results/<path> -->` in README.md
and docs/*.md is replaced by that file of the results folder (default: results/ beside this
checkout); every figure docs/img/<name>.svg is copied from results/toy/figures/<name>.svg.
With --check nothing is written: the exit status says whether anything would change. A
development tool, not part of the workflow.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"(<!-- BEGIN results/(\S+) -->\n)(.*?)(<!-- END results/\2 -->)", re.DOTALL)
DOCUMENTS = ["README.md", "docs/*.md"]
FIGURES = ("docs/img", "toy/figures")  # copied from results/toy/figures/


def pasted(text: str, results: Path) -> str:
    """`text` with every results block filled from `results`; a missing file is an error."""

    def fill(match: re.Match) -> str:
        source = results / match.group(2)
        if not source.is_file():
            raise SystemExit(f"paste_results: {source} does not exist; run the analysis that writes it")
        return f"{match.group(1)}{source.read_text(encoding='utf-8').strip()}\n{match.group(4)}"

    return BLOCK.sub(fill, text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=REPO / "results")
    parser.add_argument("--check", action="store_true", help="only say whether anything is stale")
    args = parser.parse_args()
    stale = []
    for pattern in DOCUMENTS:
        for document in sorted(REPO.glob(pattern)):
            text = document.read_text(encoding="utf-8")
            if pasted(text, args.results) != text:
                stale.append(document)
                if not args.check:
                    document.write_text(pasted(text, args.results), encoding="utf-8")
    folder, source = FIGURES
    for figure in sorted((REPO / folder).glob("*.svg")):
        fresh = (args.results / source / figure.name).read_bytes()
        if figure.read_bytes() != fresh:
            stale.append(figure)
            if not args.check:
                figure.write_bytes(fresh)
    for path in stale:
        print(("stale: " if args.check else "pasted: ") + str(path.relative_to(REPO)))
    sys.exit(1 if args.check and stale else 0)


if __name__ == "__main__":
    main()
