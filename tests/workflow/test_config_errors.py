"""Bad input stops the workflow at start, with the offending key named."""

import pytest

from smk import edit_yaml, snakemake

MICRO = "tests/config/micro.yaml"


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    from smk import copy_checkout

    return copy_checkout(tmp_path_factory.mktemp("errors") / "ltbias")


def _fails_with(checkout, edit, *expected):
    original = (checkout / MICRO).read_text()
    try:
        edit_yaml(checkout / MICRO, edit)
        result = snakemake(checkout, "--configfile", MICRO, "--dry-run")
    finally:
        (checkout / MICRO).write_text(original)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    for text in expected:
        assert text in output, output[-3000:]
    assert not (checkout / "results").exists()


def test_misspelled_key_is_named(checkout):
    _fails_with(checkout, lambda c: c["finetune"].update(learning_rate=0.1), "learning_rate", "finetune")


def test_string_learning_rate_is_named(checkout):
    _fails_with(checkout, lambda c: c["finetune"].update(lr="1e-3"), "'1e-3' is not of type 'number'", "lr")


def test_unknown_backbone_is_named(checkout):
    _fails_with(
        checkout, lambda c: c["datasets"]["toy"].update(backbones=["toy_a", "toy_x"]), "datasets.toy.backbones", "toy_x"
    )


def test_empty_backbone_list_is_refused(checkout):
    _fails_with(checkout, lambda c: c["datasets"]["toy"].update(backbones=[]), "backbones", "should be non-empty")


def test_unknown_finetune_override_is_named(checkout):
    _fails_with(
        checkout, lambda c: c["backbones"]["toy_a"].update(finetune={"lrr": 1.0}), "backbones.toy_a.finetune", "lrr"
    )


def test_wrongly_typed_finetune_override_is_named(checkout):
    _fails_with(
        checkout,
        lambda c: c["backbones"]["toy_b"].update(finetune={"lr": "1e-3"}),
        "backbones.toy_b.finetune.lr: '1e-3' is not of type 'number'",
    )
