"""Logits caches: every damaged or inconsistent file is refused with the file and manifest named."""

import io
import zipfile

import numpy as np
import pandas as pd
import pytest

from ltbias import caches


@pytest.fixture
def manifest(tmp_path):
    path = tmp_path / "splits" / "test.csv"
    path.parent.mkdir()
    pd.DataFrame({"path": [f"x/{i}.jpg" for i in range(6)], "label": [0, 1, 2, 0, 1, 2]}).to_csv(path, index=False)
    return path


def _write(path, logits, labels=(0, 1, 2, 0, 1, 2)):
    caches.save_logits(path, np.asarray(logits, dtype=np.float32), np.asarray(labels))
    return path


def _raw_npz(path, **arrays):
    """An `.npz` written by numpy directly, with whatever arrays a broken writer produced."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    path.write_bytes(buffer.getvalue())
    return path


def _refused(path, manifest, message):
    with pytest.raises(caches.InconsistentLogitsError, match=message) as err:
        caches.load_logits(path, manifest, 3)
    assert str(path) in str(err.value) and str(manifest) in str(err.value)


def test_round_trip_is_memory_mapped_and_exact(tmp_path, manifest):
    logits = np.random.default_rng(0).normal(size=(6, 3)).astype(np.float32)
    mapped, labels = caches.load_logits(_write(tmp_path / "a.npz", logits), manifest, 3)
    assert isinstance(mapped, np.memmap) and mapped.dtype == np.float32 and labels.dtype == np.int64
    np.testing.assert_array_equal(mapped, logits)
    assert labels.tolist() == [0, 1, 2, 0, 1, 2]


def test_one_flipped_byte_is_caught(tmp_path, manifest):
    path = _write(tmp_path / "a.npz", np.arange(18).reshape(6, 3))
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("logits.npy")
    data[info.header_offset + 200] ^= 0x01  # inside the float data, past both headers
    path.write_bytes(bytes(data))
    _refused(path, manifest, "logits.npy fails its CRC-32 check")


def test_truncated_and_foreign_files_are_named(tmp_path, manifest):
    path = _write(tmp_path / "a.npz", np.zeros((6, 3)))
    path.write_bytes(path.read_bytes()[:-40])
    _refused(path, manifest, "not a readable cache")
    (tmp_path / "b.npz").write_text("not a zip")
    _refused(tmp_path / "b.npz", manifest, "not a readable cache")


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        (
            {"logits": np.zeros(6, np.float32), "labels": np.zeros(6, np.int64)},
            r"logits.npy is float32 with shape \(6,\)",
        ),
        ({"logits": np.zeros((6, 3, 1), np.float32), "labels": np.zeros(6, np.int64)}, "expected 2-D float32"),
        ({"logits": np.zeros((6, 3), np.float64), "labels": np.zeros(6, np.int64)}, "logits.npy is float64"),
        ({"logits": np.zeros((6, 3), np.float32)}, r"members \['logits.npy'\]"),
    ],
)
def test_wrong_arrays_are_named(tmp_path, manifest, arrays, message):
    _refused(_raw_npz(tmp_path / "a.npz", **arrays), manifest, message)


@pytest.mark.parametrize(
    ("logits", "labels", "message"),
    [
        (np.zeros((7, 3)), [0, 1, 2, 0, 1, 2, 0], "7 rows, the manifest has 6"),
        (np.zeros((6, 4)), [0, 1, 2, 0, 1, 2], "4 classes, the split has 3"),
        (np.zeros((6, 3)), [0, 1, 2, 0, 2, 2], r"labels differ, first at row 4 \(2 vs 1\)"),
        (np.full((6, 3), np.nan), [0, 1, 2, 0, 1, 2], r"non-finite values in 6 rows"),
    ],
)
def test_disagreement_with_the_manifest_is_named(tmp_path, manifest, logits, labels, message):
    _refused(_write(tmp_path / "a.npz", logits, labels), manifest, message)


def test_save_refuses_mismatched_rows(tmp_path):
    with pytest.raises(ValueError, match="do not match"):
        caches.save_logits(tmp_path / "x.npz", np.zeros((3, 2)), np.zeros(4))
    assert not (tmp_path / "x.npz").exists()
