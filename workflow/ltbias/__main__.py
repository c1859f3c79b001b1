"""Command-line tools: `python -m ltbias <command>` from the repository root.

split-stats LIST [--format plain|inat2018] [--classnames FILE | --categories FILE] [--manifest OUT.csv]
    Print the statistics of a split list as JSON; optionally write its manifest.
"""

from __future__ import annotations

import argparse
import json
import sys

from . import files, lists, validate
from .config import LIST_FORMATS

__all__ = ["main"]


def _split_stats(args: argparse.Namespace) -> None:
    key = LIST_FORMATS[args.format]
    class_list = getattr(args, key)
    if class_list is not None:
        frames, names = lists.read_labelled(
            args.format, class_list, {"list": args.list}, {"list": args.list, key: class_list}
        )
        frame = frames["list"]
    elif args.format == "inat2018":
        raise SystemExit("split-stats: --format inat2018 needs --categories categories.json")
    else:
        frame, names = lists.read_split_list(args.list), None
    n_classes = len(names) if names else int(frame["label"].max()) + 1
    duplicates = validate.check_lists({"list": frame}, n_classes, {"list": args.list})
    stats = lists.split_stats(frame, n_classes) | {"duplicates": duplicates}
    if args.manifest:
        labels = frame["label"].to_numpy()
        class_names = [names[i] for i in labels] if names else [""] * len(frame)
        files.save_csv(args.manifest, frame.assign(class_name=class_names)[["path", "label", "class_name"]])
    print(json.dumps(stats, indent=2))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ltbias", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    stats = commands.add_parser("split-stats", help="statistics of a split list")
    stats.add_argument("list")
    stats.add_argument("--format", choices=sorted(LIST_FORMATS), default="plain")
    stats.add_argument("--classnames", help="`<id> <name>` per line, for the manifest's class_name")
    stats.add_argument("--categories", help="iNaturalist 2018 categories.json")
    stats.add_argument("--manifest", help="write path,label,class_name in list order")
    stats.set_defaults(run=_split_stats)
    args = parser.parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main(sys.argv[1:])
