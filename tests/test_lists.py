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
    (tmp_path / "classnames.txt").write_text("0 cat\n1 dog\n")
    (tmp_path / "train.txt").write_text("a.jpg 0\nb.jpg 1\na.jpg 0\n")
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


def _labelled(tmp_path, classnames, train):
    (tmp_path / "classnames.txt").write_text(classnames)
    (tmp_path / "train.txt").write_text(train)
    where = {"train": "train.txt", "classnames": "classnames.txt"}
    return lists.read_labelled("plain", tmp_path / "classnames.txt", {"train": tmp_path / "train.txt"}, where)


def test_integer_class_ids_are_the_labels_whatever_the_line_order(tmp_path):
    _, names = _labelled(tmp_path, "1 dog\n0 cat\n", "a.jpg 0\nb.jpg 1\n")
    assert names == ["cat", "dog"]


def test_folder_class_ids_name_the_labels_by_the_lists_folders(tmp_path):
    """ImageNet-LT's `<wnid> <name>`: two lines swapped still give label 0 its own name."""
    _, names = _labelled(tmp_path, "n02 dog\nn01 cat\n", "train/n01/a.jpg 0\ntrain/n02/b.jpg 1\n")
    assert names == ["cat", "dog"]


@pytest.mark.parametrize(
    ("classnames", "train", "message"),
    [
        ("0 cat\n1 dog\n0 cow\n", "a.jpg 0\n", r"classnames.txt:3: class id '0' is also on line 1"),
        ("0 cat\n1 dog\n3 cow\n", "a.jpg 0\n", r"class ids are labels 0..2, but 3 is among them"),
        ("n01 cat\nn02 dog\nn03 cow\n", "t/n01/a.jpg 0\nt/n02/b.jpg 1\n", r"class 'n03' has no image in any split"),
        ("n01 cat\nn02 dog\n", "t/n01/a.jpg 0\nt/n03/b.jpg 1\n", r"train.txt:2: t/n03/b.jpg lies in no class folder"),
        ("n01 cat\nn02 dog\n", "t/n01/a.jpg 0\nt/n02/b.jpg 0\n", r"train.txt:2: label 0 is in folder 'n02', elsewhere"),
        ("0 cat\nx dog\n", "a.jpg 0\nb.jpg 1\n", r"train.txt:1: a.jpg lies in no class folder"),
    ],
    ids=["duplicate id", "id out of range", "extra class", "unknown folder", "two folders", "non-integer id"],
)
def test_class_ids_that_do_not_name_the_labels_are_refused(tmp_path, classnames, train, message):
    with pytest.raises(ValueError, match=message):
        _labelled(tmp_path, classnames, train)


@pytest.mark.parametrize("path", ["../../../../etc/passwd", "/etc/passwd", "a/../../b.jpg"])
def test_a_path_that_leaves_the_root_is_refused_with_its_line(tmp_path, path):
    (tmp_path / "train.txt").write_text(f"a.jpg 0\n{path} 0\n")
    with pytest.raises(ValueError, match=r"train.txt:2: .* is not a path inside the dataset root"):
        lists.read_split_list(tmp_path / "train.txt")


def test_a_path_listed_with_two_labels_is_refused_naming_both_places(tmp_path):
    from ltbias import validate

    with pytest.raises(
        validate.SplitValidationError,
        match=r"a.jpg is listed with different labels \(train.txt:1 label 0; train.txt:3 label 1\)",
    ):
        _labelled(tmp_path, "0 cat\n1 dog\n", "a.jpg 0\nb.jpg 1\na.jpg 1\n")
