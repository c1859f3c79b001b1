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


def _rename_backbone(new):
    def edit(c):
        c["backbones"][new] = c["backbones"].pop("toy_c")
        c["datasets"]["toy"]["backbones"] = ["toy_a", "toy_b", new]

    return edit


@pytest.mark.parametrize("name", ["..", "a+b", "x*", "(y", "{z}", "toy c"])
def test_unsafe_backbone_names_are_refused(checkout, name):
    _fails_with(checkout, _rename_backbone(name), f"'{name}' does not match '^[A-Za-z0-9_-]+$'", "backbones")


def test_unsafe_dataset_names_are_refused(checkout):
    _fails_with(
        checkout, lambda c: c["datasets"].update({"../toy": c["datasets"].pop("toy")}), "'../toy' does not match"
    )


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda c: c.update(prior={"many_fraction": 0.7, "few_fraction": 0.5}), "prior.many_fraction: many_fraction +"),
        (lambda c: c["datasets"]["toy"]["split"].update(min_count=200), "datasets.toy.split.min_count: 200 exceeds"),
        (lambda c: c["finetune"].update(device="gpu"), "finetune.device: 'gpu' is not"),
        (lambda c: c.update(evaluation={"device": "gpu"}), "evaluation.device: 'gpu' is not"),
        (
            lambda c: c["finetune"].update(crop_scale=[0.9, 0.2]),
            "finetune.crop_scale: the range [0.9, 0.2] is reversed",
        ),
        (
            lambda c: c["backbones"]["toy_b"].update(finetune={"crop_ratio": [2.0, 1.0]}),
            "backbones.toy_b.finetune.crop_ratio: the range [2.0, 1.0] is reversed",
        ),
    ],
)
def test_contradictory_values_are_refused_at_start(checkout, edit, message):
    _fails_with(checkout, edit, message)
