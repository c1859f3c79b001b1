import numpy as np
import pytest

from ltbias import lists, toyworld


def test_default_world_has_at_least_30_named_classes():
    world = toyworld.ToyWorld()
    assert world.num_classes >= 30
    assert len(set(world.class_names)) == world.num_classes
    assert "striped red shape" in world.class_names


def test_render_is_seeded(small_world):
    labels = np.arange(small_world.num_classes)
    a = toyworld.render(small_world, labels, np.random.default_rng(5))
    b = toyworld.render(small_world, labels, np.random.default_rng(5))
    c = toyworld.render(small_world, labels, np.random.default_rng(6))
    assert a.shape == (9, 36, 36, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_render_in_pieces_equals_render_at_once(small_world):
    # chunks of `chunk` images draw in a fixed order: a caller's split on a chunk boundary is invisible
    labels = np.random.default_rng(0).integers(small_world.num_classes, size=40)
    whole = toyworld.render(small_world, labels, np.random.default_rng(1), chunk=16)
    rng = np.random.default_rng(1)
    pieces = [
        toyworld.render(small_world, labels[:32], rng, chunk=16),
        toyworld.render(small_world, labels[32:], rng, chunk=16),
    ]
    assert np.array_equal(whole, np.concatenate(pieces))


def test_class_colour_dominates_the_object(small_world):
    # without clutter and noise, the pixel at the object's centre has the class colour
    clean = toyworld.ToyWorld(
        colors=small_world.colors, patterns=("plain",), distractors=0, background_blobs=0, noise=0, color_jitter=0
    )
    images = toyworld.render(clean, np.arange(clean.num_classes), np.random.default_rng(0))
    palette = np.array(list(clean.colors.values()))
    for label, image in enumerate(images):
        colours = np.unique(image.reshape(-1, 3), axis=0)
        assert any((colours == palette[label]).all(axis=1)), label


def test_raw_dataset_layout(tmp_path, small_world):
    toyworld.write_raw_dataset(small_world, tmp_path, {"train": 3, "val": 2})
    ids, names = lists.read_class_names(tmp_path / "classnames.txt")
    assert names == small_world.class_names
    assert ids[1] == "striped_red_shape"
    assert len(list((tmp_path / "train" / ids[1]).iterdir())) == 3
    assert len(list((tmp_path / "val").rglob("*.png"))) == 2 * small_world.num_classes


def test_unknown_pattern_is_rejected():
    with pytest.raises(ValueError, match=r"toy_world\.patterns"):
        toyworld.ToyWorld(patterns=("plaid",))
