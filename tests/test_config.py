import dataclasses

import pytest
import yaml

from helpers import REPO
from ltbias import config, toyworld

SCHEMA = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())


@pytest.mark.parametrize(
    ("block", "cls", "skip"),
    [
        ("finetune", config.FinetuneConfig, set()),
        ("evaluation", config.EvalConfig, set()),
        ("toy_pretrain", config.PretrainConfig, {"seed", "imbalance"}),  # per backbone: weights.toy
        ("prior", config.PriorConfig, set()),
    ],
)
def test_schema_defaults_equal_dataclass_defaults(block, cls, skip):
    properties = SCHEMA["properties"][block]["properties"]
    defaults = config.as_dict(cls())
    assert set(properties) == set(defaults) - skip
    for key, spec in properties.items():
        assert spec["default"] == defaults[key], key


def test_split_schema_defaults_equal_dataclass_defaults():
    properties = SCHEMA["$defs"]["dataset"]["properties"]["split"]["properties"]
    defaults = config.as_dict(config.SplitConfig())
    assert set(properties) == set(defaults)
    for key, spec in properties.items():
        assert spec["default"] == defaults[key], key


@pytest.mark.parametrize(
    ("cls", "values", "message"),
    [
        (config.PriorConfig, {"many_fraction": 0.6, "few_fraction": 0.5}, r"x\.many_fraction: .* = 1\.1 exceeds 1"),
        (config.SplitConfig, {"min_count": 50, "max_count": 10}, r"x\.min_count: 50 exceeds max_count 10"),
        (config.FinetuneConfig, {"device": "gpu"}, r"x\.device: 'gpu' is not 'auto', 'cpu', 'cuda'"),
        (config.EvalConfig, {"device": "cuda:x"}, r"x\.device: 'cuda:x'"),
        (config.FinetuneConfig, {"crop_scale": [0.9, 0.5]}, r"x\.crop_scale: the range \[0\.9, 0\.5\] is reversed"),
        (config.FinetuneConfig, {"crop_ratio": [1.3, 0.7]}, r"x\.crop_ratio: the range"),
    ],
)
def test_contradictory_values_name_their_keys(cls, values, message):
    with pytest.raises(ValueError, match=message):
        config.from_dict(cls, values, "x")


def test_toy_world_schema_defaults_equal_dataclass_defaults():
    properties = SCHEMA["properties"]["toy_world"]["properties"]
    world = dataclasses.asdict(toyworld.ToyWorld())
    assert set(properties) == set(world)
    for key, spec in properties.items():
        expected = world[key]
        if key == "colors":
            expected = {k: list(v) for k, v in expected.items()}
        elif isinstance(expected, tuple):
            expected = list(expected)
        assert spec["default"] == expected, key


def test_unknown_key_and_wrong_type_name_the_key():
    with pytest.raises(ValueError, match=r"finetune \(backbone clip\): unknown key\(s\) \['lr_rate'\]"):
        config.from_dict(config.FinetuneConfig, {"lr_rate": 0.1}, "finetune (backbone clip)")
    with pytest.raises(TypeError, match=r"finetune.lr: expected float, got '1e-3'"):
        config.from_dict(config.FinetuneConfig, {"lr": "1e-3"}, "finetune")
    assert config.from_dict(config.FinetuneConfig, {"lr": 1, "bottleneck": None}, "finetune").lr == 1


def _property_names(schema, definitions):
    """Every property name of the config schema, nested blocks and definitions included."""
    names = set()
    for key, spec in (schema.get("properties") or {}).items():
        names.add(key)
        names |= _property_names(spec, definitions)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        reference = extra.get("$ref", "").rsplit("/", 1)[-1]
        names |= _property_names(definitions.get(reference, extra), definitions)
    return names


def test_config_readme_documents_every_key():
    readme = (REPO / "config" / "README.md").read_text()
    names = _property_names(SCHEMA, SCHEMA["$defs"])
    missing = sorted(n for n in names if f"{n}`" not in readme)
    assert not missing, f"config/README.md does not document {missing}"


def test_each_variant_has_one_home_the_schema_agrees_with():
    lists = SCHEMA["$defs"]["dataset"]["properties"]["lists"]["properties"]
    assert lists["format"]["enum"] == list(config.LIST_FORMATS)
    assert set(config.LIST_FORMATS.values()) <= set(lists)
    dataset = SCHEMA["$defs"]["dataset"]["properties"]
    assert dataset["source"]["enum"] == list(config.SOURCES)
    assert dataset["decode_check"]["properties"]["mode"]["enum"] == list(config.DECODE_CHECK_MODES)
    for block in ("finetune", "evaluation"):
        properties = SCHEMA["properties"][block]["properties"]
        assert properties["precision"]["enum"] == list(config.PRECISIONS), block
        assert properties["decode"]["enum"] == list(config.DECODERS), block
    assert SCHEMA["properties"]["finetune"]["properties"]["loss"]["enum"] == list(config.LOSSES)
    assert SCHEMA["properties"]["finetune"]["properties"]["peft"]["enum"] == list(config.PEFTS)
    assert SCHEMA["properties"]["prior"]["properties"]["solver"]["enum"] == list(config.PRIOR_SOLVERS)
    weights = SCHEMA["$defs"]["backbone"]["properties"]["weights"]
    assert [option["required"][0] for option in weights["oneOf"]] == list(config.WEIGHT_KINDS)
    assert config.weights_kind({"tag": "openai"}) == "tag"
    with pytest.raises(ValueError, match="exactly one of"):
        config.weights_kind({"tag": "openai", "file": "x.pt"})


@pytest.mark.parametrize("extends", [5, ["a.yaml"], {"path": "a.yaml"}])
def test_extends_must_be_a_path(extends):
    with pytest.raises(ValueError, match=r"extends: expected the path of a config file"):
        config.resolve_extends({"extends": extends})


def test_a_missing_extends_file_is_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    with pytest.raises(ValueError, match=r"extends -> a.yaml: b.yaml does not exist"):
        config.resolve_extends({"extends": "a.yaml"})


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_numbers_are_refused(value):
    with pytest.raises(ValueError, match=r"x.lr: must be a finite number"):
        config.from_dict(config.FinetuneConfig, {"lr": value}, "x")
