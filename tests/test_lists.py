import json
import subprocess
import sys

import pytest

from helpers import REPO, require_shared
from ltbias import lists


def test_malformed_line_is_named_with_file_and_line(tmp_path):
    path = tmp_path / "train.txt"
    path.write_text("a/1.jpg 0\na/2.jpg zero\n")
    with pytest.raises(ValueError, match=r"train.txt:2: expected"):
        lists.read_split_list(path)


@pytest.mark.parametrize("label", ["--5", "-5", "²", "5.0", "+3"])
def test_a_label_that_is_not_a_non_negative_integer_is_named_with_its_line(tmp_path, label):
    path = tmp_path / "train.txt"
    path.write_text(f"a/1.jpg 0\n\na/2.jpg {label}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"train.txt:3: expected '<path> <non-negative integer label>'"):
        lists.read_split_list(path)


def test_a_byte_order_mark_is_read_and_other_encodings_are_refused_with_the_offset(tmp_path):
    path = tmp_path / "train.txt"
    path.write_bytes("a/1.jpg 0\nb/2.jpg 1\n".encode("utf-8-sig"))
    assert lists.read_split_list(path)["path"].tolist() == ["a/1.jpg", "b/2.jpg"]
    path.write_bytes("a/1.jpg 0\nb/caf\u00e9.jpg 1\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"train.txt:2: not UTF-8 \(byte 0xe9 at offset 15\)"):
        lists.read_split_list(path)
    path.write_bytes(b"\xef\xbb\xbfn0 caf\xe9\n")  # a BOM, then Latin-1
    with pytest.raises(ValueError, match=r"^classnames.txt:1: not UTF-8 \(byte 0xe9 at offset 9\)"):
        lists.read_class_names(path, where="classnames.txt")


def test_errors_name_the_users_file_not_the_staged_copy(tmp_path):
    staged = tmp_path / "resources" / "train"
    staged.parent.mkdir()
    staged.write_text("a/1.jpg x\n")
    with pytest.raises(ValueError, match=r"^/data/my_train.txt:1: expected"):
        lists.read_split_list(staged, where="/data/my_train.txt")


def test_class_names_keep_everything_after_the_id():
    ids, names = lists.read_class_names(require_shared("ImageNet_LT", "classnames.txt"))
    assert (ids[2], names[2]) == ("n01484850", "great white shark")
    assert len(names) == 1000


def _inat_fixture(tmp_path):
    categories = [{"id": 0, "name": "Zea mays"}, {"id": 1, "name": "Abies alba"}, {"id": 2, "name": "Mus musculus"}]
    (tmp_path / "categories.json").write_text(json.dumps(categories))
    (tmp_path / "val.txt").write_text("x/0/a.jpg 0\nx/1/b.jpg 1\nx/1/c.jpg 1\nx/2/d.jpg 2\n")
    return tmp_path / "categories.json", tmp_path / "val.txt"


def test_inat_labels_are_reindexed_alphabetically(tmp_path):
    categories, val = _inat_fixture(tmp_path)
    names, id_to_label = lists.inat_class_names(categories)
    assert names == ["Abies alba", "Mus musculus", "Zea mays"]
    frame = lists.reindex_inat(lists.read_split_list(val), id_to_label, where="val")
    assert frame["label"].tolist() == [2, 0, 0, 1]
    with pytest.raises(ValueError, match=r"not in categories\.json"):
        lists.reindex_inat(frame.assign(label=[7, 0, 0, 1]), id_to_label, where="val")


def test_split_stats_command_prints_json_and_writes_manifest(tmp_path):
    categories, val = _inat_fixture(tmp_path)
    manifest = tmp_path / "manifest.csv"
    cmd = [sys.executable, "-m", "ltbias", "split-stats", str(val), "--format", "inat2018"]
    cmd += ["--categories", str(categories), "--manifest", str(manifest)]
    out = subprocess.run(cmd, cwd=REPO, env={"PYTHONPATH": str(REPO / "workflow")}, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    stats = json.loads(out.stdout)
    assert stats["num_classes"] == 3 and stats["num_images"] == 4
    assert stats["min_count"] == 1 and stats["max_count"] == 2
    assert stats["groups"] == {"D-Many": 0, "D-Medium": 0, "D-Few": 3}
    assert stats["duplicates"] == {}
    assert manifest.read_text().splitlines()[1] == "x/0/a.jpg,2,Zea mays"


def _split_stats(*args):
    command = [sys.executable, "-m", "ltbias", "split-stats", *map(str, args)]
    return subprocess.run(command, cwd=REPO, env={"PYTHONPATH": str(REPO / "workflow")}, capture_output=True, text=True)


def test_split_stats_checks_label_ranges_and_reports_duplicates_as_the_workflow_does(tmp_path):
    (tmp_path / "classnames.txt").write_text("n0 cat\nn1 dog\n")
    (tmp_path / "train.txt").write_text("a.jpg 0\nb.jpg 1\na.jpg 1\n")
    out = _split_stats(tmp_path / "train.txt", "--classnames", tmp_path / "classnames.txt")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["duplicates"] == {"list": {"count": 1, "first": ["a.jpg"]}}
    (tmp_path / "train.txt").write_text("a.jpg 0\nb.jpg 2\n")
    out = _split_stats(tmp_path / "train.txt", "--classnames", tmp_path / "classnames.txt", "--manifest", "m.csv")
    assert out.returncode != 0
    assert "SplitValidationError" in out.stderr and "train.txt: 1 labels outside 0..1" in out.stderr
    assert "line 2: b.jpg label 2" in out.stderr


def test_a_label_too_large_for_int64_names_its_file_and_line(tmp_path):
    from ltbias import lists

    path = tmp_path / "train.txt"
    path.write_text("a.jpg 1\nb.jpg 99999999999999999999\n")
    with pytest.raises(ValueError, match=r"mine.txt:2: label 99999999999999999999 is too large"):
        lists.read_split_list(path, "mine.txt")
