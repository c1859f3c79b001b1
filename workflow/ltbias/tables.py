"""The paper's Table 6 (comparison with published methods) and Table 8 (subset ablation).

Tables are built from `metrics.csv` only; CSV is the source of truth and Markdown and
LaTeX (booktabs, best value per column in bold, as the paper prints it) are renderings
of the same frame.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from . import files
from .ensemble import subset_name

__all__ = ["GROUP_COLUMNS", "table6", "table8", "write_table"]

# metrics.csv column -> table column, in table order
GROUP_COLUMNS = {
    "d_many": "D-Many",
    "d_medium": "D-Medium",
    "d_few": "D-Few",
    "all": "All",
    "p_many": "P-Many",
    "p_medium": "P-Medium",
    "p_few": "P-Few",
}
CHECK = "✓"


def _value_columns(metrics: pd.DataFrame, include_all: bool = True) -> dict[str, str]:
    return {k: v for k, v in GROUP_COLUMNS.items() if k in metrics.columns and (include_all or k != "all")}


def _row(metrics: pd.DataFrame, subset: str) -> pd.Series:
    match = metrics[metrics["subset"] == subset]
    if len(match) != 1:
        raise KeyError(f"subset {subset!r} not in metrics (have {metrics['subset'].tolist()})")
    return match.iloc[0]


def table6(
    metrics: pd.DataFrame,
    lift_backbone: str,
    backbones: Sequence[str],
    epochs: int,
    baselines: Sequence[dict] = (),
    paper: dict | None = None,
) -> pd.DataFrame:
    """Published baselines, then LIFT (reproduced) = `lift_backbone` alone and Ours
    (reproduced) = all `backbones`; with `paper`, the paper's row and reproduced - paper.

    `baselines` and `paper` entries carry `method`, `epochs` and any of the metric keys
    (`d_many`, ..., `all`); missing values stay empty.
    """
    columns = _value_columns(metrics)
    records = [
        {"Method": b["method"], "Epochs": b.get("epochs"), **{v: b.get(k) for k, v in columns.items()}}
        for b in baselines
    ]
    ours = _row(metrics, subset_name(backbones))
    for method, row in (("LIFT (reproduced)", _row(metrics, lift_backbone)), ("Ours (reproduced)", ours)):
        records.append({"Method": method, "Epochs": epochs, **{v: row[k] for k, v in columns.items()}})
    if paper is not None:
        published = {v: paper.get(k) for k, v in columns.items()}
        records.append({"Method": "Ours (paper)", "Epochs": paper.get("epochs"), **published})
        delta = {v: (ours[k] - published[v] if published[v] is not None else None) for k, v in columns.items()}
        records.append({"Method": "Reproduced - paper", "Epochs": None, **delta})
    frame = pd.DataFrame(records, columns=["Method", "Epochs", *columns.values()])
    return frame.astype({"Epochs": "Int64"})


def table8(
    metrics: pd.DataFrame,
    backbones: Sequence[str],
    display_names: dict[str, str],
    paper_rows: Sequence[dict] = (),
) -> pd.DataFrame:
    """One row per subset grouped by M, a check-mark column per backbone, the group columns.

    `paper_rows` entries name their `backbones` (keys of this config) and carry published
    `d_many`, `d_medium`, `d_few`; they fill `<group> (paper)` columns beside ours.
    """
    columns = _value_columns(metrics, include_all=False)
    paper = {subset_name([b for b in backbones if b in r["backbones"]]): r for r in paper_rows}
    records = []
    for _, row in metrics.sort_values("size", kind="stable").iterrows():
        members = row["subset"].split("+")
        record = {"M": int(row["size"])}
        record |= {display_names[b]: (CHECK if b in members else "") for b in backbones}
        record |= {v: row[k] for k, v in columns.items()}
        if paper_rows:
            published = paper.get(row["subset"], {})
            record |= {f"{v} (paper)": published.get(k) for k, v in columns.items() if k.startswith("d_")}
        records.append(record)
    return pd.DataFrame(records)


def _latex(frame: pd.DataFrame, decimals: int, bold_rows: pd.Series) -> str:
    """booktabs LaTeX with the best value of each numeric column (over `bold_rows`) in bold."""
    numeric = [c for c in frame.columns if c not in ("M", "Epochs") and pd.api.types.is_float_dtype(frame[c])]
    styler = (
        frame.style.format(precision=decimals, na_rep="--", escape="latex")
        .format(
            lambda v: r"\checkmark" if v == CHECK else v, subset=[c for c in frame.columns if frame[c].eq(CHECK).any()]
        )
        .format_index(escape="latex", axis=1)
        .hide(axis="index")
    )
    if numeric:
        styler = styler.highlight_max(subset=(frame.index[bold_rows], numeric), props="textbf:--rwrap;")
    return styler.to_latex(hrules=True, column_format="l" * (len(frame.columns) - len(numeric)) + "r" * len(numeric))


def write_table(
    frame: pd.DataFrame, stem: str | os.PathLike, decimals: int = 2, exclude_from_best: Sequence[str] = ()
) -> None:
    """Write `<stem>.csv`, `<stem>.md` and `<stem>.tex`.

    Rows whose `Method` is in `exclude_from_best` (differences) are never bold.
    """
    stem = Path(stem)
    rounded = frame.round(decimals)
    files.save_csv(stem.with_suffix(".csv"), rounded)
    markdown = (
        rounded.astype(object)
        .where(rounded.notna(), None)
        .to_markdown(index=False, floatfmt=f".{decimals}f", missingval="-")
    )
    files.save_text(stem.with_suffix(".md"), markdown + "\n")
    bold_rows = ~frame["Method"].isin(exclude_from_best) if "Method" in frame else pd.Series(True, index=frame.index)
    files.save_text(stem.with_suffix(".tex"), _latex(rounded, decimals, bold_rows))
