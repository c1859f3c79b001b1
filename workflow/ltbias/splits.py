"""Long-tailed split profiles, D-groups, and the split manifests every stage reads.

Profiles (seeded, deterministic):

- `pareto`: OLTR's recipe for ImageNet-LT and Places-LT. Draw one Pareto (Lomax) sample
  of shape `alpha` per class and map the samples linearly onto [min_count, max_count].
- `exponential`: CIFAR-LT. n_i = floor(max_count * ratio^(-i / (C - 1))).

Counts are assigned to classes in a seeded random order, so the head is not the first
labels. Manifest files: `{split}.csv` with `path,label,class_name`, and `classes.csv` with
`label,class_name,train_count,d_group`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from . import files
from .config import SplitConfig

__all__ = [
    "D_GROUPS",
    "balanced_subset",
    "class_table",
    "d_groups",
    "exponential_profile",
    "folder_manifest",
    "long_tailed_subset",
    "pareto_profile",
    "profile_counts",
    "write_splits",
]

D_GROUPS = ("D-Many", "D-Medium", "D-Few")
MANIFEST_COLUMNS = ["path", "label", "class_name"]


def d_groups(train_counts: np.ndarray) -> np.ndarray:
    """OLTR groups by train count: Many > 100, Medium 20-100, Few < 20 (method.md §2.3)."""
    counts = np.asarray(train_counts)
    return np.where(counts > 100, D_GROUPS[0], np.where(counts >= 20, D_GROUPS[1], D_GROUPS[2]))


def pareto_profile(n_classes: int, max_count: int, min_count: int, alpha: float, seed: int) -> np.ndarray:
    """Descending per-class counts from a Pareto draw mapped onto [min_count, max_count]."""
    if not 0 < min_count <= max_count:
        raise ValueError(f"need 0 < min_count <= max_count, got {min_count}, {max_count}")
    draw = np.sort(np.random.default_rng(seed).pareto(alpha, n_classes))[::-1]
    span = draw.max() - draw.min()
    scaled = (draw - draw.min()) / span if span > 0 else np.ones(n_classes)
    return np.rint(min_count + scaled * (max_count - min_count)).astype(np.int64)


def exponential_profile(n_classes: int, max_count: int, imbalance_ratio: float) -> np.ndarray:
    """CIFAR-LT counts: 500 ... 5 for 100 classes at ratio 100 (10,847 images)."""
    exponent = np.arange(n_classes) / max(1, n_classes - 1)
    return np.floor(max_count * imbalance_ratio ** (-exponent) + 1e-9).astype(np.int64)


def profile_counts(spec: SplitConfig, n_classes: int) -> np.ndarray:
    """Per-label counts for a `split` config block: profile values in a seeded class order."""
    if spec.profile == "pareto":
        profile = pareto_profile(n_classes, spec.max_count, spec.min_count, spec.alpha, spec.seed)
    elif spec.profile == "exponential":
        profile = exponential_profile(n_classes, spec.max_count, spec.imbalance_ratio)
    else:
        raise ValueError(f"split.profile: unknown {spec.profile!r}; known: ['pareto', 'exponential']")
    counts = np.empty(n_classes, dtype=np.int64)
    counts[np.random.default_rng(spec.seed).permutation(n_classes)] = profile
    return counts


def folder_manifest(root: str | os.PathLike, subdir: str, class_folders: Sequence[str]) -> pd.DataFrame:
    """All files under `root/subdir/<class_folder>/`, labelled by folder order, sorted by path."""
    rows = []
    for label, folder in enumerate(class_folders):
        directory = Path(root) / subdir / folder
        if not directory.is_dir():
            raise FileNotFoundError(f"class folder {directory} does not exist")
        rows += [(f"{subdir}/{folder}/{p.name}", label) for p in sorted(directory.iterdir()) if p.is_file()]
    return pd.DataFrame(rows, columns=["path", "label"])


def long_tailed_subset(pool: pd.DataFrame, counts: np.ndarray, seed: int) -> pd.DataFrame:
    """Draw `counts[label]` rows per label from `pool` without replacement, seeded."""
    rng = np.random.default_rng(seed)
    parts = []
    for label, group in pool.groupby("label", sort=True):
        need = int(counts[label])
        if need > len(group):
            raise ValueError(f"class {label} has {len(group)} images, the profile asks for {need}")
        parts.append(group.iloc[np.sort(rng.choice(len(group), need, replace=False))])
    return pd.concat(parts, ignore_index=True)


def balanced_subset(pool: pd.DataFrame, per_class: int, seed: int) -> pd.DataFrame:
    """`per_class` rows of every label (all rows of a class that has fewer), seeded."""
    available = np.bincount(pool["label"].to_numpy())
    return long_tailed_subset(pool, np.minimum(available, per_class), seed)


def class_table(class_names: Sequence[str], train_labels: np.ndarray) -> pd.DataFrame:
    """`label, class_name, train_count, d_group` for every class, in label order."""
    counts = np.bincount(np.asarray(train_labels), minlength=len(class_names))
    return pd.DataFrame(
        {
            "label": np.arange(len(class_names)),
            "class_name": list(class_names),
            "train_count": counts,
            "d_group": d_groups(counts),
        }
    )


def write_splits(
    splits: dict[str, pd.DataFrame],
    classes: pd.DataFrame,
    *,
    manifests: dict[str, str | os.PathLike],
    classes_csv: str | os.PathLike,
) -> None:
    """Write each split's manifest (path, label, class_name) to `manifests[split]`, and the
    class table to `classes_csv`."""
    names = classes["class_name"].to_numpy()
    for split, frame in splits.items():
        manifest = frame.assign(class_name=names[frame["label"].to_numpy()])[MANIFEST_COLUMNS]
        files.save_csv(manifests[split], manifest)
    files.save_csv(classes_csv, classes)
