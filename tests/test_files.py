import os
import stat

import numpy as np
import pytest

from ltbias import files


def test_atomic_path_keeps_old_file_when_writer_fails(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), files.atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]  # no temporary left behind


def test_logits_round_trip_memory_mapped(tmp_path):
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(57, 11)).astype(np.float32)
    labels = rng.integers(0, 11, 57)
    files.save_logits(tmp_path / "x.npz", logits, labels)
    mapped, mapped_labels = files.load_logits(tmp_path / "x.npz")
    assert isinstance(mapped, np.memmap)
    assert mapped.dtype == np.float32 and mapped_labels.dtype == np.int64
    np.testing.assert_array_equal(mapped, logits)
    np.testing.assert_array_equal(mapped_labels, labels)
    eager, _ = files.load_logits(tmp_path / "x.npz", mmap=False)
    np.testing.assert_array_equal(eager, logits)


def test_save_logits_refuses_mismatched_rows(tmp_path):
    with pytest.raises(ValueError, match="do not match"):
        files.save_logits(tmp_path / "x.npz", np.zeros((3, 2)), np.zeros(4))
    assert not (tmp_path / "x.npz").exists()


def test_atomic_dir_replaces_a_folder_only_when_complete(tmp_path):
    target = tmp_path / "raw"
    (target / "a").mkdir(parents=True)
    with pytest.raises(RuntimeError), files.atomic_dir(target) as tmp:
        (tmp / "b").mkdir()
        raise RuntimeError("killed")
    assert [p.name for p in target.iterdir()] == ["a"]
    with files.atomic_dir(target) as tmp:
        (tmp / "b").mkdir()
    assert [p.name for p in target.iterdir()] == ["b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw"]


def test_outputs_get_the_usual_permissions_not_private_ones(tmp_path):
    mask = os.umask(0o022)
    try:
        files.save_text(tmp_path / "a.txt", "x")
        with files.atomic_dir(tmp_path / "d"):
            pass
    finally:
        os.umask(mask)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "d").stat().st_mode) == 0o755
