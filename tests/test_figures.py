import pandas as pd

from ltbias import figures


def test_members_figure_takes_equal_values_whose_mean_rounds_above_them(tmp_path):
    # 0.1 three times averages to 0.10000000000000002: a negative error bar unless clipped
    metrics = pd.DataFrame(
        {
            "size": [1, 1, 1, 2],
            "d_many": [0.1, 0.1, 0.1, 0.5],
            "d_medium": [0.2, 0.3, 0.4, 0.5],
            "d_few": [0.1, 0.1, 0.1, 0.5],
            "all": [0.1, 0.1, 0.1, 0.5],
        }
    )
    assert metrics.groupby("size")["all"].mean()[1] > 0.1
    figures.accuracy_vs_members(metrics, tmp_path / "members.svg")
    assert (tmp_path / "members.svg").read_text().startswith("<?xml")


def test_cost_figure_takes_an_interval_that_misses_its_estimate(tmp_path):
    subsets = pd.DataFrame(
        {
            "mflops_per_image": [3.8, 7.6],
            "all": [60.0, 70.0],
            "all_lo": [60.5, 65.0],  # a percentile interval need not contain the point estimate
            "all_hi": [64.0, 74.0],
            "frontier": [False, True],
        }
    )
    figures.accuracy_vs_cost(subsets, ["A", "A + B"], tmp_path / "cost.svg")
    assert (tmp_path / "cost.svg").read_text().startswith("<?xml")


def test_labels_of_points_at_one_cost_are_stacked_apart_in_accuracy_order():
    from ltbias.figures import _label_rises

    x = pd.Series([3.8, 3.8, 7.6, 3.8])
    y = pd.Series([60.1, 62.9, 70.0, 63.6])
    rises = _label_rises(x, y)
    assert rises == [-10.0, 0.0, 0.0, 10.0]  # the three single members, lowest to highest


def test_the_report_captions_say_what_the_variant_registry_computes():
    """A caption that names a way of combining members (Table 8's P(c), Table 3's GLA
    post-hoc) writes that variant's formula as the registry has it; Table 8's names all."""
    from helpers import REPO
    from ltbias.variants import VARIANTS

    captions = {p.name: " ".join(p.read_text().split()) for p in (REPO / "workflow" / "report").glob("*.rst")}
    for variant in VARIANTS.values():
        label = variant.label.replace("{fitted_on}", "val")  # "fitted on val"
        for name, caption in captions.items():
            if label in caption and variant.name != "uniform":  # "uniform P(c)" is no formula
                assert f"{label} {variant.formula}" in caption, (name, variant.name)
        assert f"{label} {variant.formula}" in captions["table8.rst"], variant.name
