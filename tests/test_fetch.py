"""Staging lists: a failed download names its URL in one line; a wrong checksum is refused."""

import pytest

from ltbias import fetch
from ltbias.errors import FetchError


def test_a_failed_download_names_its_url(tmp_path):
    url = (tmp_path / "gone.txt").as_uri()
    with pytest.raises(FetchError, match=rf"datasets.x.lists.train: cannot download {url} .*give a local `path`"):
        fetch.fetch_file({"url": url}, tmp_path / "staged", "datasets.x.lists.train")
    assert not (tmp_path / "staged").exists()


def test_a_download_is_checked_against_its_sha256(tmp_path):
    source = tmp_path / "list.txt"
    source.write_text("a.jpg 0\n")
    with pytest.raises(fetch.ChecksumError, match="expected 00"):
        fetch.fetch_file({"url": source.as_uri(), "sha256": "00"}, tmp_path / "staged", "k")
    digest = fetch.fetch_file({"url": source.as_uri()}, tmp_path / "staged", "k")
    assert (tmp_path / "staged").read_text() == "a.jpg 0\n" and len(digest) == 64


@pytest.mark.parametrize("unpinned", ["none", "null"])
def test_none_unpins_a_pinned_list(tmp_path, unpinned):
    """`--config` passes `sha256: null` as the string 'null': both words unpin, nothing else."""
    source = tmp_path / "mine.txt"
    source.write_text("b.jpg 1\n")
    fetch.fetch_file({"path": str(source), "sha256": unpinned}, tmp_path / "staged", "k")
    assert (tmp_path / "staged").read_text() == "b.jpg 1\n"
    with pytest.raises(fetch.ChecksumError):
        fetch.fetch_file({"path": str(source), "sha256": "0" * 64}, tmp_path / "staged", "k")
