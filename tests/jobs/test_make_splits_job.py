import pytest

from ltbias import validate
from ltbias.jobs import entry, make_splits


def _inputs(tmp_path, train_lines):
    (tmp_path / "data" / "x").mkdir(parents=True)
    for name in ("a.png", "b.png", "c.png"):
        (tmp_path / "data" / "x" / name).touch()
    (tmp_path / "train").write_text(train_lines)
    (tmp_path / "test").write_text("x/c.png 1\n")
    (tmp_path / "classnames").write_text("n0 cat\nn1 dog\n")
    return {key: str(tmp_path / key) for key in ("train", "test", "classnames")}


def _run(tmp_path, list_files):
    dataset = {"key": "lt", "source": "lists", "root": str(tmp_path / "data")}
    settings = {"dataset": dataset, "origins": {key: f"/home/me/{key}.txt" for key in list_files}}
    outputs = {s: tmp_path / "out" / f"{s}.csv" for s in ("train", "val", "test", "classes")}
    outputs["report"] = tmp_path / "out" / "report.json"
    inputs = {f"{key}_list": path for key, path in list_files.items()}
    entry.call(make_splits, inputs=inputs, outputs=outputs, params={"settings": settings})


def test_a_bad_line_names_the_users_file_and_line(tmp_path):
    with pytest.raises(ValueError, match=r"^/home/me/train.txt:2: expected"):
        _run(tmp_path, _inputs(tmp_path, "x/a.png 0\nx/b.png one\n"))
    assert not (tmp_path / "out").exists()


def test_a_label_out_of_range_names_the_list_line(tmp_path):
    with pytest.raises(
        validate.SplitValidationError,
        match=r"train split \(/home/me/train.txt\): 1 labels outside 0..1:\n  line 2: x/b.png label 7",
    ):
        _run(tmp_path, _inputs(tmp_path, "x/a.png 0\nx/b.png 7\n"))


def test_a_missing_image_is_named(tmp_path):
    with pytest.raises(validate.SplitValidationError, match=r"1 of 2 listed files are missing .*\n  x/z.png"):
        _run(tmp_path, _inputs(tmp_path, "x/a.png 0\nx/z.png 1\n"))
