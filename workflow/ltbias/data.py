"""Image datasets over split manifests, transforms, and the seeded batch order.

Augmentation randomness is a pure function of (seed, epoch, position in the epoch): each
sample's transform runs under its own seed. The order and the crops of a run therefore
do not depend on the number of workers, and a resumed run sees exactly the batches an
uninterrupted run would have seen.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from PIL import Image
from torch.utils.data import Dataset, Sampler, default_collate
from torchvision import transforms as T

from .errors import JobError

__all__ = [
    "BadImageError",
    "EpochBatchSampler",
    "ManifestDataset",
    "collate_skipping",
    "test_transform",
    "train_transform",
    "transform_seeded",
    "tte_transform",
    "worker_init",
]

logger = logging.getLogger(__name__)

_INTERPOLATION = {"bicubic": T.InterpolationMode.BICUBIC, "bilinear": T.InterpolationMode.BILINEAR}


def _interpolation(preprocess: dict) -> T.InterpolationMode:
    """The resampling the weights were trained with (open_clip's tags say bicubic)."""
    return _INTERPOLATION[preprocess.get("interpolation", "bicubic")]


class BadImageError(JobError, RuntimeError):
    """An image file that cannot be decoded; the message names the file and manifest row."""


def _to_normalized(preprocess: dict, tensors: bool) -> list[Callable]:
    """A PIL image, or a uint8 (3, H, W) tensor on any device with `tensors`, to a
    normalised float tensor (the same values: both scale 0..255 to 0..1)."""
    to_float = T.ConvertImageDtype(torch.float32) if tensors else T.ToTensor()
    return [to_float, T.Normalize(mean=preprocess["mean"], std=preprocess["std"])]


def train_transform(
    preprocess: dict,
    crop_scale: Sequence[float] = (0.08, 1.0),
    crop_ratio: Sequence[float] = (0.75, 4 / 3),
    tensors: bool = False,
) -> Callable:
    """RandomResizedCrop -> flip -> tensor -> normalise (method.md §4.5; torchvision's default
    scale and ratio, the weights' interpolation). With `tensors` it takes decoded uint8
    tensors (`jpeg.py`); the crop and flip are drawn by the same calls either way."""
    return T.Compose(
        [
            T.RandomResizedCrop(
                preprocess["size"],
                scale=tuple(crop_scale),
                ratio=tuple(crop_ratio),
                interpolation=_interpolation(preprocess),
            ),
            T.RandomHorizontalFlip(),
            *_to_normalized(preprocess, tensors),
        ]
    )


def test_transform(preprocess: dict, tensors: bool = False) -> Callable:  # noqa: PT028 (not a test)
    """Resize the short side to size * 8 // 7 (256 for 224), centre crop (method.md §4.6)."""
    size = preprocess["size"]
    resize = T.Resize(size * 8 // 7, interpolation=_interpolation(preprocess))
    return T.Compose([resize, T.CenterCrop(size), *_to_normalized(preprocess, tensors)])


class _StackCrops:
    """Tensor-and-normalise each of FiveCrop's crops and stack them: (5, 3, H, W)."""

    def __init__(self, preprocess: dict, tensors: bool) -> None:
        self.to_tensor = T.Compose(_to_normalized(preprocess, tensors))

    def __call__(self, crops: tuple) -> torch.Tensor:
        return torch.stack([self.to_tensor(crop) for crop in crops])


def tte_transform(preprocess: dict, expand: int = 24, tensors: bool = False) -> Callable:
    """Test-time ensembling: resize to size + expand, five crops -> (5, 3, size, size)."""
    size = preprocess["size"]
    resize = T.Resize(size + expand, interpolation=_interpolation(preprocess))
    return T.Compose([resize, T.FiveCrop(size), _StackCrops(preprocess, tensors)])


class ManifestDataset(Dataset):
    """Images listed in a split manifest (`path`, `label` columns; paths relative to `root`).

    Items are addressed by `(index, seed)` pairs from `EpochBatchSampler` (training) or by
    plain indices (evaluation). With `skip_bad=True` an undecodable image yields `None`,
    which `collate_skipping` drops and reports; otherwise it raises `BadImageError`.
    Its transform takes PIL images: build it with the transforms' `tensors=ManifestDataset.tensors`.
    """

    tensors = False

    def __init__(
        self,
        root: str | os.PathLike,
        manifest: pd.DataFrame,
        transform: Callable,
        skip_bad: bool = False,
    ) -> None:
        self.root = Path(root)
        self.paths = manifest["path"].astype(str).tolist()
        self.labels = manifest["label"].to_numpy(dtype=np.int64)
        self.transform = transform
        self.skip_bad = skip_bad

    def __len__(self) -> int:
        return len(self.paths)

    def load(self, index: int) -> Image.Image:
        path = self.root / self.paths[index]
        try:
            with Image.open(path) as img:
                return img.convert("RGB")  # forces a full decode: truncation fails here
        except (OSError, ValueError, Image.DecompressionBombError) as err:
            raise BadImageError(f"cannot decode image {path} (manifest row {index}): {err}") from err

    def __getitem__(self, item: int | tuple[int, int]):
        index, seed = item if isinstance(item, tuple) else (item, None)
        try:
            image = self.load(index)
        except BadImageError as err:
            if not self.skip_bad:
                raise
            return None, str(err)
        return transform_seeded(self.transform, image, seed), self.labels[index]

    @staticmethod
    def collate(batch: list) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
        return collate_skipping(batch)

    def prepare(
        self, images: torch.Tensor, labels: torch.Tensor, device: torch.device
    ) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
        """A collated batch on `device`: images, labels and the messages of dropped images
        (decoded already, by the loader's workers: none are dropped here)."""
        return images.to(device, non_blocking=True), labels.to(device, non_blocking=True), []


def transform_seeded(transform: Callable, image: object, seed: int | None) -> torch.Tensor:
    """`transform(image)`, its random draws seeded by `seed` (training) or not (evaluation).

    torchvision draws crop and flip from the default CPU generator of this process (each
    worker has its own, and so does a device decoding in the main process); reseeding it
    makes the sample's augmentation a pure function of its seed. Nothing else in training
    draws from it.
    """
    if seed is not None:
        torch.random.default_generator.manual_seed(seed)
    return transform(image)


def collate_skipping(batch: list) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """Collate `(image, label)` pairs, dropping skipped images; returns their error messages."""
    skipped = [message for image, message in batch if image is None]
    kept = [(image, label) for image, label in batch if image is not None]
    if not kept:
        return torch.empty(0), torch.empty(0, dtype=torch.long), skipped
    images, labels = default_collate(kept)
    return images, labels, skipped


class EpochBatchSampler(Sampler[list[tuple[int, int]]]):
    """Batches of `(index, sample seed)` for one epoch, starting at batch `start`.

    The permutation and the per-sample seeds derive from `(seed, epoch)` alone. The last
    partial batch is kept (no drop_last, method.md §4.5).
    """

    def __init__(self, n: int, batch_size: int, seed: int) -> None:
        self.n, self.batch_size, self.seed = n, batch_size, seed
        self.epoch, self.start = 0, 0

    def set_epoch(self, epoch: int, start: int = 0) -> None:
        self.epoch, self.start = epoch, start

    def order(self, epoch: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng([self.seed, epoch])
        return rng.permutation(self.n), rng.integers(0, 2**62, size=self.n)

    def __len__(self) -> int:
        return -(-self.n // self.batch_size) - self.start

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        order, seeds = self.order(self.epoch)
        for b in range(self.start, -(-self.n // self.batch_size)):
            sl = slice(b * self.batch_size, (b + 1) * self.batch_size)
            yield [(int(i), int(s)) for i, s in zip(order[sl], seeds[sl], strict=True)]


def worker_init(worker_id: int) -> None:
    """Workers ignore SIGTERM/SIGUSR1: the main process checkpoints and shuts them down."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)
