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
    assert manifest.read_text().splitlines()[1] == "x/0/a.jpg,2,Zea mays"
