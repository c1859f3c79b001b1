import json
import os
import re
import stat
import subprocess

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


def test_a_temporary_left_by_a_killed_write_is_removed_by_the_next_write(tmp_path):
    stale = tmp_path / ".out.csv.0123abcd.tmp"
    stale.write_text("half a file")
    other = tmp_path / ".other.csv.0123abcd.tmp"  # another output's temporary is not ours to remove
    other.write_text("x")
    files.save_text(tmp_path / "out.csv", "whole")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.csv.0123abcd.tmp", "out.csv"]


def test_a_failed_write_names_the_path(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "a.txt").mkdir()  # a folder where the file should go
    with pytest.raises(files.WriteError, match=r"cannot write .*out/a\.txt"):
        files.save_text(tmp_path / "out" / "a.txt", "x")


@pytest.fixture
def full_disk(tmp_path):
    """A 64 KiB tmpfs (needs root, as in CI); skipped where it cannot be mounted."""
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)]).returncode:
        pytest.skip("cannot mount a small tmpfs here")
    yield mount
    subprocess.run(["umount", "--lazy", str(mount)], check=True)  # a traceback may still hold a file


def test_disk_full_is_said_for_text_and_torch_writes(full_disk):
    import torch

    with pytest.raises(files.WriteError, match=r"cannot write .*small/a\.txt: the disk is full"):
        files.save_text(full_disk / "a.txt", "x" * 200_000)
    with pytest.raises(files.WriteError, match=r"cannot write .*small/state\.pt: the disk is full"):
        files.save_torch(full_disk / "state.pt", {"w": torch.zeros(100_000)})
    assert list(full_disk.iterdir()) == []  # nothing half-written is left


def test_save_torch_writes_the_same_bytes_for_the_same_object(tmp_path):
    """The temporary file's random name must not end up inside the archive."""
    import torch

    state = {"weight": torch.arange(6.0).reshape(2, 3), "step": 3}
    files.save_torch(tmp_path / "a.pt", state)
    files.save_torch(tmp_path / "b" / "checkpoint.pt", state)
    assert (tmp_path / "a.pt").read_bytes() == (tmp_path / "b" / "checkpoint.pt").read_bytes()


COST = {"parameters": 10, "trainable_parameters": 2, "gflops_per_image": 0.5, "images_per_second": 9.0}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"parameters": 1', "not valid JSON"),
        (json.dumps({k: v for k, v in COST.items() if k != "gflops_per_image"}), "'gflops_per_image' is missing"),
        (json.dumps(COST | {"parameters": "many"}), "parameters is 'many', not a number"),
        (json.dumps(COST | {"gflops_per_image": -1.0}), "gflops_per_image is -1.0, not a finite number >= 0"),
        (json.dumps(COST | {"trainable_parameters": -5}), "trainable_parameters is -5"),
        ("[1, 2]", "expected an object"),
    ],
)
def test_a_damaged_cost_file_is_named(tmp_path, content, message):
    path = tmp_path / "cost.json"
    path.write_text(content)
    with pytest.raises(files.MalformedFileError, match=re.escape(message)) as info:
        files.load_cost(path)
    assert str(path) in str(info.value)


def test_a_sound_cost_file_is_read(tmp_path):
    files.save_json(tmp_path / "cost.json", COST | {"batch_size": 4})
    assert files.load_cost(tmp_path / "cost.json") == COST
