"""The paper's Table 6 (comparison with published methods) and Table 8 (subset ablation).

Tables are built from `metrics.csv` and `comparisons.csv` only. CSV is the source of truth:
every reproduced accuracy `X` comes with its 95 % bootstrap interval as columns `X lo` and
`X hi`. Markdown and LaTeX (booktabs, best value per column in bold, as the paper prints
it) render the same frame compactly: `82.21 ± 0.41`, the ± being half the interval's width,
and a `*` after a gain whose one-sided bootstrap p-value is below 0.05.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import pandas as pd

from . import files
from .config import LOSSES, PEFTS
from .layout import TABLE_FORMATS
from .subsets import subset_name
from .tradeoff import tradeoff
from .variants import UNIFORM, VARIANTS, ZERO_SHOT, label_of

__all__ = [
    "FORMATS",
    "GAP_COLUMNS",
    "GROUP_COLUMNS",
    "PROTOCOLS",
    "claims_table",
    "control_table",
    "gap_table",
    "member_table",
    "method_table",
    "output_paths",
    "recovery_levers",
    "recovery_table",
    "seed_table",
    "table6",
    "table8",
    "table9",
    "write_table",
    "zeroshot_table",
]

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
FORMATS = TABLE_FORMATS  # every table is written in each, by `write_table`
GAIN = "Gain vs best single"
SIGNIFICANT = 0.05


def _value_columns(metrics: pd.DataFrame) -> dict[str, str]:
    return {k: v for k, v in GROUP_COLUMNS.items() if k in metrics.columns}


def _values(row: pd.Series | dict, columns: dict[str, str]) -> dict:
    """`column`, `column lo`, `column hi` for each metric key that the row has."""
    values = {}
    for key, column in columns.items():
        values[column] = row.get(key)
        if f"{key}_lo" in row:
            values |= {f"{column} lo": row[f"{key}_lo"], f"{column} hi": row[f"{key}_hi"]}
    return values


PROTOCOLS = {"single": "", "tte": ", five-crop TTE"}  # the test protocols, as Table 6 names them
TEST_NAMES = {"single": "one crop", "tte": "five-crop TTE"}  # as Tables 3 and 4 name them


def _protocol(metrics: pd.DataFrame, protocol: str) -> pd.DataFrame:
    """The rows of one test protocol (all rows of metrics that have no protocol column)."""
    return metrics[metrics["protocol"] == protocol] if "protocol" in metrics else metrics


def _row(metrics: pd.DataFrame, subset: str, protocol: str = "single") -> pd.Series:
    metrics = _protocol(metrics, protocol)
    if "variant" in metrics:
        metrics = metrics[metrics["variant"] == UNIFORM]
    match = metrics[metrics["subset"] == subset]
    if len(match) != 1:
        raise KeyError(f"subset {subset!r} not in metrics (have {metrics['subset'].tolist()})")
    return match.iloc[0]


def table6(
    metrics: pd.DataFrame,
    lift_backbone: str,
    backbones: Sequence[str],
    epochs: dict[str, int],
    baselines: Sequence[dict] = (),
    paper: dict | None = None,
) -> pd.DataFrame:
    """Published baselines, then LIFT (reproduced) = `lift_backbone` alone and Ours
    (reproduced) = all `backbones`, under each test protocol in the metrics (one centre crop;
    five-crop TTE); with `paper`, the paper's row and reproduced - paper for each protocol.

    `epochs` are each backbone's fine-tuning epochs: LIFT's row shows its backbone's, Ours
    the longest of its members'. `baselines` and `paper` entries carry `method`, `epochs`
    and any of the metric keys (`d_many`, ..., `all`); missing values stay empty.
    """
    columns = _value_columns(metrics)
    records = [{"Method": b["method"], "Epochs": b.get("epochs"), **_values(b, columns)} for b in baselines]
    protocols = [p for p in PROTOCOLS if p in set(metrics["protocol"])] if "protocol" in metrics else ["single"]
    ours = {p: _row(metrics, subset_name(backbones), p) for p in protocols}
    for protocol in protocols:
        reproduced = [
            ("LIFT", _row(metrics, lift_backbone, protocol), epochs[lift_backbone]),
            ("Ours", ours[protocol], max(epochs[b] for b in backbones)),
        ]
        for method, row, trained in reproduced:
            name = f"{method} (reproduced{PROTOCOLS[protocol]})"
            records.append({"Method": name, "Epochs": trained, **_values(row, columns)})
    if paper is not None:
        published = {v: paper.get(k) for k, v in columns.items()}
        records.append({"Method": "Ours (paper)", "Epochs": paper.get("epochs"), **published})
        for protocol in protocols:
            row = ours[protocol]
            delta = {v: (row[k] - published[v] if published[v] is not None else None) for k, v in columns.items()}
            records.append({"Method": f"Reproduced{PROTOCOLS[protocol]} - paper", "Epochs": None, **delta})
    frame = pd.DataFrame(records)
    return frame.astype({"Epochs": "Int64"})


def table8(
    metrics: pd.DataFrame,
    backbones: Sequence[str],
    display_names: dict[str, str],
    paper_rows: Sequence[dict] = (),
    comparisons: pd.DataFrame | None = None,
    protocol: str = "single",
) -> pd.DataFrame:
    """One row per subset and P(c) variant, grouped by M: a check-mark column per backbone,
    the variant, the group columns and All with intervals, and, from `comparisons`, the gain in
    `All` over the row's best single member with its interval and p-value.

    `paper_rows` entries name their `backbones` (keys of this config) and carry published
    `d_many`, `d_medium`, `d_few`; they fill `<group> (paper)` columns beside the uniform rows.
    Rows and comparisons are those of one test `protocol`.
    """
    metrics = _protocol(metrics, protocol)
    columns = _value_columns(metrics)
    paper = {subset_name([b for b in backbones if b in r["backbones"]]): r for r in paper_rows}
    gains = {}
    if comparisons is not None and len(comparisons):
        comparisons = _protocol(comparisons, protocol)
        best = comparisons[(comparisons["reference"] == "best single") & (comparisons["metric"] == "all")]
        gains = {(r.subset, r.variant): r for r in best.itertuples()}
    order = {v: i for i, v in enumerate(VARIANTS)}
    if "variant" in metrics:
        metrics = metrics[metrics["variant"].isin(list(VARIANTS))]
    ordered = metrics.assign(_variant=metrics["variant"].map(order)) if "variant" in metrics else metrics
    records = []
    for _, row in ordered.sort_values(
        ["size", "_variant"] if "variant" in metrics else "size", kind="stable"
    ).iterrows():
        members = row["subset"].split("+")
        variant = row.get("variant", UNIFORM)
        record = {"M": int(row["size"])}
        record |= {display_names[b]: (CHECK if b in members else "") for b in backbones}
        fitted_on = row.get("fitted_on")
        record["P(c)"] = label_of(variant, fitted_on if isinstance(fitted_on, str) else None)
        record |= _values(row, columns)
        if gains:
            gain = gains.get((row["subset"], variant))
            record |= {
                GAIN: gain.difference if gain else None,
                f"{GAIN} lo": gain.lo if gain else None,
                f"{GAIN} hi": gain.hi if gain else None,
                f"{GAIN} p": gain.p_value if gain else None,
            }
        if paper_rows:
            published = paper.get(row["subset"], {}) if variant == UNIFORM else {}
            record |= {f"{v} (paper)": published.get(k) for k, v in columns.items() if k.startswith("d_")}
        records.append(record)
    return pd.DataFrame(records)


def zeroshot_table(metrics: pd.DataFrame, backbones: Sequence[str], display_names: dict[str, str]) -> pd.DataFrame:
    """Each backbone's zero-shot accuracy beside its fine-tuned (LIFT) accuracy, over all
    classes, the D-groups and the P-groups, with intervals: the paper's motivating evidence."""
    metrics = _protocol(metrics, "single")
    columns = _value_columns(metrics)
    records = []
    for backbone in backbones:
        for variant, model in ((ZERO_SHOT, "zero-shot"), (UNIFORM, "fine-tuned (LIFT)")):
            row = metrics[(metrics["subset"] == backbone) & (metrics["variant"] == variant)]
            if len(row) != 1:
                raise KeyError(f"no {variant} row of {backbone!r} in metrics")
            records.append({"Backbone": display_names[backbone], "Model": model, **_values(row.iloc[0], columns)})
    return pd.DataFrame(records)


GAP_COLUMNS = {"d_gap": "D gap", "p_gap": "P gap"}  # Many minus Few (`gaps.GAPS`)
COST_COLUMNS = {  # float columns where less may be better -> whether higher is better (bold in LaTeX)
    "MFLOPs/image": False,
    "Images/s": True,
} | dict.fromkeys(GAP_COLUMNS.values(), False)
FRONTIER = "Frontier"


def table9(
    metrics: pd.DataFrame, costs: dict[str, dict], backbones: Sequence[str], display_names: dict[str, str]
) -> pd.DataFrame:
    """Inference cost against accuracy, one row per subset (uniform P(c), one centre crop):
    a check-mark column per backbone, parameters and trainable parameters, MFLOPs per image
    and images/s of the members run one after another (`_subset_cost` of each backbone's
    `costs`, `cost.measure` results), `All` with its interval, and a check mark on the
    accuracy-cost frontier (`tradeoff.tradeoff`)."""
    metrics = _protocol(metrics, "single")
    metrics = metrics[metrics["variant"] == UNIFORM] if "variant" in metrics else metrics
    records = []
    for row in tradeoff(metrics, costs).to_dict("records"):
        members = row["subset"].split("+")
        record = {"M": row["size"]} | {display_names[b]: (CHECK if b in members else "") for b in backbones}
        record |= {
            "Params": row["parameters"],
            "Trainable params": row["trainable_parameters"],
            "MFLOPs/image": row["mflops_per_image"],
            "Images/s": row["images_per_second"],
        }
        records.append(record | _values(row, {"all": "All"}) | {FRONTIER: CHECK if row["frontier"] else ""})
    return pd.DataFrame(records)


def gap_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Fig. 3 as a table: one row per `peft` and `loss`, group accuracies and the D and P gaps
    (`gaps.group_gaps` columns), with intervals."""
    columns = _value_columns(rows) | {k: v for k, v in GAP_COLUMNS.items() if k in rows}
    records = [
        {"PEFT": PEFTS[row["peft"]], "Loss": LOSSES[row["loss"]]} | _values(row, columns) for _, row in rows.iterrows()
    ]
    return pd.DataFrame(records)


def control_table(rows: pd.DataFrame, comparisons: pd.DataFrame) -> pd.DataFrame:
    """The control table (`controls.control_rows`): each ensemble row, and after each M the
    row `M backbones minus M seeds` with its paired interval and p-value (`X p`)."""
    columns = _value_columns(rows)
    records = []
    for _, row in rows.iterrows():
        records.append({"Method": row["ensemble"], "M": row["M"]} | _values(row, columns))
        if row["ensemble"].startswith(f"{row['M']} backbones"):
            gain = comparisons[comparisons["M"] == row["M"]].set_index("metric")
            record = {"Method": f"{row['M']} backbones minus {row['M']} seeds", "M": row["M"]}
            for key, column in columns.items():
                entry = gain.loc[key]
                record |= {column: entry["difference"], f"{column} lo": entry["lo"], f"{column} hi": entry["hi"]}
                record[f"{column} p"] = entry["p_value"]
            records.append(record)
    return pd.DataFrame(records)


def seed_table(spread: pd.DataFrame, display_names: dict[str, str]) -> pd.DataFrame:
    """Tables 6 and 8 over training runs (`controls.seed_variance`): every subset's mean
    accuracy with its standard deviation over the seed draws (`X sd`)."""
    columns = _value_columns(spread)
    records = []
    for _, row in spread.iterrows():
        record = {"Subset": " + ".join(display_names[b] for b in row["subset"].split("+")), "Draws": row["draws"]}
        for key, column in columns.items():
            record |= {column: row[key], f"{column} sd": row[f"{key}_sd"]}
        records.append(record)
    return pd.DataFrame(records)


def member_table(metrics: pd.DataFrame, backbones: Sequence[str], display_names: dict[str, str]) -> pd.DataFrame:
    """What each backbone brings to the ensemble of all (uniform P(c), one centre crop): its
    zero-shot and fine-tuned accuracy, the ensemble's accuracy with and without it, and a
    note where it lowers the ensemble or is far weaker than the best member (its fine-tuned
    or zero-shot accuracy below half the best one's)."""
    metrics = _protocol(metrics, "single")
    accuracy = {(r["subset"], r["variant"]): r["all"] for _, r in metrics.iterrows()}
    full = subset_name(backbones)
    best = {kind: max(accuracy[(b, kind)] for b in backbones) for kind in (UNIFORM, ZERO_SHOT)}
    records = []
    for backbone in backbones:
        others = [b for b in backbones if b != backbone]
        without = accuracy[(subset_name(others), UNIFORM)] if others else None
        notes = []
        if without is not None and accuracy[(full, UNIFORM)] < without:
            notes.append("lowers the ensemble")
        if any(accuracy[(backbone, kind)] < best[kind] / 2 for kind in best):
            notes.append("far below the best member")
        records.append(
            {
                "Backbone": display_names[backbone],
                "Zero-shot": accuracy[(backbone, ZERO_SHOT)],
                "Fine-tuned": accuracy[(backbone, UNIFORM)],
                "All, ensemble without it": without,
                "All, ensemble with it": accuracy[(full, UNIFORM)],
                "Note": "; ".join(notes),
            }
        )
    return pd.DataFrame(records)


def claims_table(estimate: pd.DataFrame, true: pd.DataFrame | None = None) -> pd.DataFrame:
    """The claims (`claims.measure` rows) with their values, intervals and verdicts; with
    `true` (the same claims by the true pre-training prior, toy world only) beside them."""
    records = []
    for i, row in estimate.iterrows():
        record = {"Claim": row["claim"], "Scope": row["scope"], "Measured": row["measured"]}
        versions = [("Estimated prior", row)] + ([("True prior", true.loc[i])] if true is not None else [])
        for name, values in versions:
            record |= {name: values["value"], f"{name} lo": values["lo"], f"{name} hi": values["hi"]}
            record[f"Verdict ({name.lower()})" if true is not None else "Verdict"] = values["verdict"]
        records.append(record)
    return pd.DataFrame(records)


def recovery_levers(records: pd.DataFrame, val_per_class: int, solver: str) -> pd.DataFrame:
    """Recovery as a function of each lever, under each negatives: one row per negatives,
    lever and value (in plotting order), summarised over the backbones (`<measure>_mean`,
    `<measure>_min`).

    `val_per_class` and `solver` are levers at the config's pretraining (`lever` None in
    the records); each pretraining lever is read at the config's `val_per_class` and
    `solver`, with the config's own pretraining as its value x1."""
    base = records[records["lever"].isna()]
    at_config = (records["val_per_class"] == val_per_class) & (records["solver"] == solver)
    levers = [
        base[base["solver"] == solver].assign(lever="val_per_class", value=lambda f: f["val_per_class"].astype(str)),
        base[base["val_per_class"] == val_per_class].assign(lever="solver", value=lambda f: f["solver"]),
    ]
    for lever in records["lever"].dropna().unique():
        moved = records[at_config & (records["lever"] == lever)]
        both = pd.concat([base[at_config].assign(value=1.0), moved]).assign(lever=lever)
        levers.append(both.sort_values("value", kind="stable").assign(value=lambda f: [f"x{v:g}" for v in f["value"]]))
    found = pd.concat(levers, ignore_index=True)
    measures = ["spearman", "p_group_agreement", "accuracy", "mean_logit_spearman"]
    summary = found.groupby(["negatives", "lever", "value"], sort=False)[measures].agg(["mean", "min"])
    summary.columns = [f"{measure}_{how}" for measure, how in summary.columns]
    return summary.reset_index()


RECOVERY_LEVERS = {  # lever -> its name in the recovery table
    "val_per_class": "val images per class",
    "solver": "prior solver",
    "steps": "pretraining steps",
    "batch_size": "pretraining batch",
    "imbalance": "pretraining imbalance",
    "clutter": "clutter (confusability)",
}


def recovery_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The prior-recovery sweep (`recovery_levers`): per negatives, lever and value,
    the Spearman correlation of the estimated prior with the pre-training counts and the
    P-group agreement (mean and worst over the backbones), the zero-shot accuracy and the
    correlation of the class-mean zero-shot logit with the counts."""
    return pd.DataFrame(
        {
            "Negatives": summary["negatives"],
            "Lever": summary["lever"].map(RECOVERY_LEVERS),
            "Value": summary["value"],
            "Spearman": summary["spearman_mean"],
            "Spearman (worst)": summary["spearman_min"],
            "P-group agreement (%)": 100 * summary["p_group_agreement_mean"],
            "P-group agreement (worst, %)": 100 * summary["p_group_agreement_min"],
            "Zero-shot accuracy": summary["accuracy_mean"],
            "Mean logit ~ counts": summary["mean_logit_spearman_mean"],
        }
    )


def method_table(metrics: pd.DataFrame, methods: dict[str, str]) -> pd.DataFrame:
    """One row per test protocol (where the metrics have several) and method, `methods`
    mapping each metrics variant to its name in the table, in that order (Tables 3 and 4)."""
    columns = _value_columns(metrics)
    protocols = list(dict.fromkeys(metrics["protocol"])) if "protocol" in metrics else [None]
    records = []
    for protocol in protocols:
        rows = metrics if protocol is None else metrics[metrics["protocol"] == protocol]
        for variant, method in methods.items():
            row = rows[rows["variant"] == variant]
            if len(row) != 1:
                raise KeyError(f"{len(row)} {variant!r} rows in the metrics of protocol {protocol}")
            record = {"Method": method}
            if protocol is not None:
                record["Test"] = TEST_NAMES[protocol]
            records.append(record | _values(row.iloc[0], columns))
    return pd.DataFrame(records)


def _display(frame: pd.DataFrame, decimals: int) -> tuple[pd.DataFrame, list[str]]:
    """Strings for Markdown and LaTeX: `X ± half-width` where `X lo`/`X hi` exist, a `*`
    where `X p` is below 0.05; the interval and p columns fold into `X`. Also returns the
    numeric columns (whose best value is bolded in LaTeX)."""
    folded = {c for base in frame for c in (f"{base} lo", f"{base} hi", f"{base} p", f"{base} sd") if c in frame}
    shown, numeric = {}, []
    for column in (c for c in frame if c not in folded):
        values = frame[column]
        if pd.api.types.is_integer_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            shown[column] = values.astype(object).where(values.notna(), "-")
            continue
        numeric.append(column)
        text = values.map(lambda v: "-" if pd.isna(v) else f"{v:.{decimals}f}")
        if f"{column} lo" in frame:
            half = (frame[f"{column} hi"] - frame[f"{column} lo"]) / 2
            text = text.where(half.isna(), text + half.map(lambda h: f" ± {h:.{decimals}f}"))
        if f"{column} sd" in frame:
            sd = frame[f"{column} sd"]
            text = text.where(sd.isna(), text + sd.map(lambda s: f" ± {s:.{decimals}f} sd"))
        if f"{column} p" in frame:
            text = text.where(~(frame[f"{column} p"] < SIGNIFICANT), text + "*")
        shown[column] = text
    return pd.DataFrame(shown), numeric


def _latex(frame: pd.DataFrame, decimals: int, bold_rows: pd.Series) -> str:
    """booktabs LaTeX with the best value of each numeric column (over `bold_rows`) in bold:
    the largest, or the smallest for the cost columns where less is better."""
    shown, numeric = _display(frame, decimals)
    best = pd.DataFrame(False, index=frame.index, columns=shown.columns)
    for column in numeric:
        candidates = frame.loc[bold_rows, column]
        if candidates.notna().any():
            target = candidates.max() if COST_COLUMNS.get(column, True) else candidates.min()
            best[column] = bold_rows & (frame[column] == target)
    checks = [c for c in shown.columns if shown[c].eq(CHECK).any()]
    styler = (
        shown.style.format(escape="latex")
        .format(lambda v: r"\checkmark" if v == CHECK else v, subset=checks)
        .format_index(escape="latex", axis=1)
        .apply(lambda column: best[column.name].map({True: "textbf:--rwrap;", False: ""}), axis=0)
        .hide(axis="index")
    )
    return styler.to_latex(hrules=True, column_format="l" * (len(shown.columns) - len(numeric)) + "r" * len(numeric))


def output_paths(outputs: dict[str, str | os.PathLike], names: Sequence[str]) -> dict[str, dict]:
    """`{table: {format: path}}` from `<table>_<format>` paths, which must be exactly those
    of `names` in every format of `FORMATS`."""
    expected = {f"{name}_{ext}" for name in names for ext in FORMATS}
    if set(outputs) != expected:
        raise TypeError(f"table outputs: expected {sorted(expected)}, got {sorted(outputs)}")
    return {name: {ext: outputs[f"{name}_{ext}"] for ext in FORMATS} for name in names}


def write_table(
    frame: pd.DataFrame,
    *,
    csv: str | os.PathLike,
    md: str | os.PathLike,
    tex: str | os.PathLike,
    decimals: int = 2,
    exclude_from_best: Sequence[str] = (),
) -> None:
    """Write the table as CSV (the source of truth), Markdown and LaTeX.

    Rows whose `Method` is in `exclude_from_best` (differences) are never bold.
    """
    rounded = frame.round(decimals)
    files.save_csv(csv, rounded)
    shown, _ = _display(rounded, decimals)
    files.save_text(md, shown.to_markdown(index=False, disable_numparse=True) + "\n")
    bold_rows = ~frame["Method"].isin(exclude_from_best) if "Method" in frame else pd.Series(True, index=frame.index)
    files.save_text(tex, _latex(rounded, decimals, bold_rows))
