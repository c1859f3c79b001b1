import pytest

from ltbias import validate
from ltbias.jobs import entry, make_splits


def _inputs(tmp_path, train_lines):
    (tmp_path / "data" / "x").mkdir(parents=True)
    for name in ("a.png", "b.png", "c.png"):
        (tmp_path / "data" / "x" / name).touch()
    (tmp_path / "train").write_text(train_lines)
    (tmp_path / "test").write_text("x/c.png 1\n")
    (tmp_path / "classnames").write_text("0 cat\n1 dog\n")
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
        match=r"^/home/me/train.txt: 1 labels outside 0..1:\n  line 2: x/b.png label 7",
    ):
        _run(tmp_path, _inputs(tmp_path, "x/a.png 0\nx/b.png 7\n"))


def test_a_missing_image_is_named(tmp_path):
    with pytest.raises(validate.SplitValidationError, match=r"1 of 2 listed files are missing .*\n  x/z.png"):
        _run(tmp_path, _inputs(tmp_path, "x/a.png 0\nx/z.png 1\n"))


def test_huge_labels_without_a_val_list_are_named_before_the_val_draw(tmp_path):
    """Without a val list, val is drawn from train: a label of 1e10 must not reach the draw."""
    with pytest.raises(validate.SplitValidationError, match=r"^/home/me/train.txt: 1 labels outside 0..1"):
        _run(tmp_path, _inputs(tmp_path, "x/a.png 0\nx/b.png 10000000000\n"))


def test_a_staged_list_cut_short_is_refused_against_its_pin_and_its_record(tmp_path):
    """A copy cut at a line boundary parses; only its digest tells it from the real list."""
    from ltbias import files, staging

    list_files = _inputs(tmp_path, "x/a.png 0\nx/b.png 1\n")
    whole = files.sha256(list_files["train"])
    pinned = {"dataset": {"key": "lt", "source": "lists", "root": str(tmp_path / "data")}, "pins": {"train": whole}}
    staging.write_record(list_files["train"], {"url": "https://example.org/train.txt"}, list_files["train"])
    (tmp_path / "train").write_text("x/a.png 0\n")
    for settings in (pinned, pinned | {"pins": {}}):  # the pin, then the record alone
        settings = settings | {"origins": {key: f"/home/me/{key}.txt" for key in list_files}}
        outputs = {s: tmp_path / "out" / f"{s}.csv" for s in ("train", "val", "test", "classes", "report")}
        inputs = {f"{key}_list": path for key, path in list_files.items()}
        with pytest.raises(staging.StagedFileError, match=r"^datasets.lt.lists.train: .*train has sha256"):
            entry.call(make_splits, inputs=inputs, outputs=outputs, params={"settings": settings})


def test_a_val_drawn_from_train_is_said_once_not_again_as_duplicates(tmp_path):
    import json

    _run(tmp_path, _inputs(tmp_path, "x/a.png 0\nx/b.png 1\n"))
    assert "train&val" not in json.loads((tmp_path / "out" / "report.json").read_text())["duplicates"]
