"""JPEG decoding on the training device, in batches (`finetune.decode: gpu`).

PIL decoding in DataLoader workers caps the input pipeline at about 400 ImageNet-sized
images per second per CPU core (`bench/dataloader.py`), less than a frozen ViT-B/16 trains
on one modern GPU. Here the workers only read the files' bytes; the main process decodes a
whole batch with torchvision's `decode_jpeg` on the device (nvJPEG on CUDA) and applies the
same transforms to the uint8 tensors (`data.train_transform(..., tensors=True)`): the same
crop and flip draws from the same per-sample seeds, the same interpolation and
normalisation; only the decoder's and the resampler's rounding differ from PIL's (at most
one grey level, `tests/test_jpeg.py`). torchvision 0.29 deprecates its image decoders in
favour of TorchCodec; they are pinned here and work, so the warning is silenced.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

import torch
from torchvision.io import ImageReadMode, decode_jpeg, read_file

from .data import BadImageError, ManifestDataset, transform_seeded

__all__ = ["EncodedDataset", "check_decode", "dataset_class"]


@contextlib.contextmanager
def _pinned_decoders() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The image decoding and encoding", DeprecationWarning)
        yield


def check_decode(decode: str, device: torch.device, key: str) -> None:
    """Decoding on the GPU needs the job to run on one; `key` names the config key."""
    if decode == "gpu" and device.type != "cuda":
        raise ValueError(f"{key}: 'gpu' decodes JPEGs on a CUDA device, but this job runs on {device}; use 'cpu'")


def dataset_class(decode: str) -> type[ManifestDataset]:
    """The dataset for `finetune.decode` / `evaluation.decode`; build its transform with
    `tensors=<class>.tensors`."""
    return EncodedDataset if decode == "gpu" else ManifestDataset


class EncodedDataset(ManifestDataset):
    """A `ManifestDataset` whose items are the files' bytes; `prepare` decodes and transforms
    a collated batch on the device. Its transform takes uint8 (3, H, W) tensors."""

    tensors = True

    def __getitem__(self, item: int | tuple[int, int]):
        index, seed = item if isinstance(item, tuple) else (item, None)
        with _pinned_decoders():
            encoded = read_file(str(self.root / self.paths[index]))
        return (encoded, index, seed), self.labels[index]

    @staticmethod
    def collate(batch: list) -> tuple[list, torch.Tensor, list[str]]:
        encoded = [item for item, _ in batch]
        return encoded, torch.as_tensor([label for _, label in batch], dtype=torch.long), []

    def _decode(self, encoded: list, device: torch.device) -> tuple[list, list[str]]:
        """Decoded images (None for a bad file) and the bad files' messages. A batch that
        fails is decoded image by image to name the file."""
        data = [bytes_ for bytes_, _, _ in encoded]
        try:
            with _pinned_decoders():
                return decode_jpeg(data, mode=ImageReadMode.RGB, device=device), []
        except RuntimeError:
            images, skipped = [], []
            for bytes_, index, _ in encoded:
                try:
                    with _pinned_decoders():
                        images.append(decode_jpeg(bytes_, mode=ImageReadMode.RGB, device=device))
                except RuntimeError as err:
                    message = f"cannot decode image {self.root / self.paths[index]} (manifest row {index}): {err}"
                    if not self.skip_bad:
                        raise BadImageError(message) from err
                    images.append(None)
                    skipped.append(message)
            return images, skipped

    def prepare(
        self, encoded: list, labels: torch.Tensor, device: torch.device
    ) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
        """Decode and transform a collated batch on `device`: images, labels and the
        messages of the images dropped as undecodable (only with `skip_bad`)."""
        decoded, skipped = self._decode(encoded, device)
        kept = [i for i, image in enumerate(decoded) if image is not None]
        images = [transform_seeded(self.transform, decoded[i], encoded[i][2]) for i in kept]
        labels = labels[kept].to(device, non_blocking=True)
        if not images:
            return torch.empty(0, device=device), labels, skipped
        return torch.stack(images), labels, skipped
