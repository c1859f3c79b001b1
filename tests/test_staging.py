"""Staged downloads: records, checks at every read, and a fast failure without internet."""

import os
import time

import pytest

from ltbias import files, staging
from ltbias.errors import FetchError


def test_a_record_is_trusted_while_size_and_time_are_the_recorded_ones(tmp_path, monkeypatch):
    path = tmp_path / "list.txt"
    path.write_text("a.jpg 0\n")
    staging.write_record(path, {"url": "https://example.org/list.txt"}, path)
    monkeypatch.setattr(files, "sha256", lambda p: pytest.fail("hashed although unchanged"))
    staging.verify(path)


def test_a_copy_cut_short_or_changed_is_refused(tmp_path):
    path = tmp_path / "weights.pt"
    path.write_bytes(b"0123456789")
    staging.write_record(path, {"model": "m", "tag": "t"}, path)
    stat = os.stat(path)
    path.write_bytes(b"01234")  # cut short, its time kept as `cp -a` keeps it
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with pytest.raises(
        staging.StagedFileError, match=r"k: .*weights.pt has sha256 .* recorded .* a damaged or partial"
    ):
        staging.verify(path, where="k")
    path.write_bytes(b"9876543210")  # same size, another time
    with pytest.raises(staging.StagedFileError, match="a damaged or partial copy"):
        staging.verify(path)


def test_a_pin_is_checked_with_or_without_a_record(tmp_path):
    path = tmp_path / "own.pt"
    path.write_bytes(b"mine")
    staging.verify(path, files.sha256(path))
    with pytest.raises(staging.StagedFileError, match="its pin is 00"):
        staging.verify(path, "00")


def test_a_host_no_resolver_knows_fails_in_seconds():
    started = time.perf_counter()
    with pytest.raises(FetchError, match=r"^datasets.x.lists.train: this machine cannot reach hub.invalid"):
        staging.probe("https://hub.invalid/train.txt", "datasets.x.lists.train")
    assert time.perf_counter() - started < staging.PROBE_SECONDS + 1
    staging.probe("file:///data/train.txt", "k")  # a local URL is not probed


def test_the_stage_job_prints_only_what_matches_its_pin(tmp_path, capsys):
    """`snakemake stage` printed the digest of a cut copy and exited 0: it now refuses it."""
    from ltbias.jobs import stage

    path = tmp_path / "test.txt"
    path.write_text("a.jpg 0\nb.jpg 1\n")
    pins = {str(path): files.sha256(path)}
    stage.run(stage.Settings(pins), weights=[], lists=[str(path)])
    assert capsys.readouterr().out == f"{pins[str(path)]}  {path}\n"
    path.write_text("a.jpg 0\n")  # cut at a line boundary
    with pytest.raises(staging.StagedFileError, match="its pin is"):
        stage.run(stage.Settings(pins), weights=[], lists=[str(path)])
    assert capsys.readouterr().out == ""
