"""Paste a generated Markdown table into the README, between its markers.

    python tools/readme_table.py results/toy/tables/table8.md README.md [--name toy-table8]

Replaces the text between `<!-- BEGIN name -->` and `<!-- END name -->`; a development
tool for keeping the README's numbers those of a real run, not part of the workflow.
"""

from __future__ import annotations

import argparse
from pathlib import Path

BEGIN, END = "<!-- BEGIN {name} -->", "<!-- END {name} -->"


def paste(table: Path, readme: Path, name: str) -> None:
    text = readme.read_text(encoding="utf-8")
    begin, end = BEGIN.format(name=name), END.format(name=name)
    if begin not in text or end not in text:
        raise SystemExit(f"readme_table: markers {begin} / {end} not found in {readme}")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    readme.write_text(f"{head}{begin}\n{table.read_text(encoding='utf-8').strip()}\n{end}{tail}", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("table", type=Path)
    parser.add_argument("readme", type=Path)
    parser.add_argument("--name", default="toy-table8")
    args = parser.parse_args()
    paste(args.table, args.readme, args.name)


if __name__ == "__main__":
    main()
