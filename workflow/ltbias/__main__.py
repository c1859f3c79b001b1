"""Command-line tools: `python -m ltbias <command>` from the repository root.

split-stats LIST [--format plain|inat2018] [--classnames FILE | --categories FILE] [--manifest OUT.csv]
    Print the statistics of a split list as JSON; optionally write its manifest.
readme-table TABLE.md README.md
    Replace the text between the README's table markers with a generated table.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import files, lists, validate

__all__ = ["main"]

BEGIN, END = "<!-- BEGIN {name} -->", "<!-- END {name} -->"


def _split_stats(args: argparse.Namespace) -> None:
    frame = lists.read_split_list(args.list)
    names = lists.read_class_names(args.classnames)[1] if args.classnames else None
    if args.format == "inat2018":
        if args.categories is None:
            raise SystemExit("split-stats: --format inat2018 needs --categories categories.json")
        names, id_to_label = lists.inat_class_names(args.categories)
        frame = lists.reindex_inat(frame, id_to_label, where=args.list)
    n_classes = len(names) if names else int(frame["label"].max()) + 1
    duplicates = validate.check_lists({"list": frame}, n_classes, {"list": args.list})
    stats = lists.split_stats(frame, n_classes) | {"duplicates": duplicates}
    if args.manifest:
        labels = frame["label"].to_numpy()
        class_names = [names[i] for i in labels] if names else [""] * len(frame)
        files.save_csv(args.manifest, frame.assign(class_name=class_names)[["path", "label", "class_name"]])
    print(json.dumps(stats, indent=2))


def _readme_table(args: argparse.Namespace) -> None:
    readme = Path(args.readme).read_text(encoding="utf-8")
    begin, end = BEGIN.format(name=args.name), END.format(name=args.name)
    if begin not in readme or end not in readme:
        raise SystemExit(f"readme-table: markers {begin} / {end} not found in {args.readme}")
    head, rest = readme.split(begin, 1)
    _, tail = rest.split(end, 1)
    table = Path(args.table).read_text(encoding="utf-8").strip()
    files.save_text(args.readme, f"{head}{begin}\n{table}\n{end}{tail}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ltbias", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    stats = commands.add_parser("split-stats", help="statistics of a split list")
    stats.add_argument("list")
    stats.add_argument("--format", choices=["plain", "inat2018"], default="plain")
    stats.add_argument("--classnames", help="`<id> <name>` per line, for the manifest's class_name")
    stats.add_argument("--categories", help="iNaturalist 2018 categories.json")
    stats.add_argument("--manifest", help="write path,label,class_name in list order")
    stats.set_defaults(run=_split_stats)
    table = commands.add_parser("readme-table", help="paste a generated Markdown table into the README")
    table.add_argument("table")
    table.add_argument("readme")
    table.add_argument("--name", default="toy-table8")
    table.set_defaults(run=_readme_table)
    args = parser.parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main(sys.argv[1:])
