import numpy as np
import pandas as pd
import pytest
from scipy.special import softmax

from helpers import REPO
from ltbias import prior
from ltbias.importgraph import module_closure

PACKAGE = REPO / "workflow" / "ltbias"


def _gaussian_world(pi, per_class=400, dim=6, separation=1.0, seed=0):
    """Logits = exact class log-likelihoods + log pi (a model trained under prior pi)."""
    rng = np.random.default_rng(seed)
    n_classes = len(pi)
    means = rng.normal(0, separation, (n_classes, dim))
    labels = np.repeat(np.arange(n_classes), per_class)
    x = means[labels] + rng.normal(size=(len(labels), dim))
    loglik = -0.5 * ((x[:, None, :] - means[None]) ** 2).sum(-1)
    return loglik + np.log(pi), labels


def test_recovers_a_known_skewed_prior():
    pi = 0.95 ** np.arange(20) * np.array([1, 3] * 10)
    pi /= pi.sum()
    logits, labels = _gaussian_world(pi)
    estimate, info = prior.estimate_prior(logits, labels, calibrate=False)
    assert estimate.sum() == pytest.approx(1.0)
    assert np.corrcoef(np.log(estimate), np.log(pi))[0, 1] > 0.97
    assert np.abs(np.log(estimate / pi)).max() < 0.35
    assert info["gradient_norm"] < 1e-5


def test_uniform_prior_gives_uniform_estimate():
    pi = np.full(10, 0.1)
    logits, labels = _gaussian_world(pi, per_class=800)
    estimate, _ = prior.estimate_prior(logits, labels, calibrate=False)
    assert np.abs(estimate / 0.1 - 1).max() < 0.2


def test_temperature_calibration_matches_confidence_to_accuracy():
    logits, labels = _gaussian_world(np.full(8, 1 / 8), separation=2.0)
    temperature = prior.calibrate_temperature(3 * logits, labels)  # an over-confident model
    confidence = softmax(3 * logits / temperature, axis=1).max(axis=1).mean()
    accuracy = (logits.argmax(axis=1) == labels).mean()
    assert confidence == pytest.approx(accuracy, abs=1e-6)
    assert 2.0 < temperature < 4.5


def test_p_groups_by_rank_thirds():
    groups = prior.p_groups(np.array([0.05, 0.3, 0.1, 0.2, 0.15, 0.02, 0.08, 0.06, 0.04]))
    assert groups.tolist() == [
        "P-Few", "P-Many", "P-Medium", "P-Many", "P-Many", "P-Few", "P-Medium", "P-Medium", "P-Few"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("classes", "sizes"),
    [(40, [13, 13, 14]), (365, [121, 121, 123]), (1000, [333, 333, 334]), (8142, [2714, 2714, 2714])],
)
def test_p_groups_split_as_gla_does(classes, sizes):
    groups = prior.p_groups(np.random.default_rng(0).dirichlet(np.ones(classes)))
    assert [(groups == g).sum() for g in prior.P_GROUPS] == sizes  # C//3, C//3, the rest


def test_p_groups_of_other_fractions_take_the_floor_of_many_and_medium():
    groups = prior.p_groups(np.linspace(2, 1, 10), many_fraction=0.25, few_fraction=0.25)
    assert [(groups == g).sum() for g in prior.P_GROUPS] == [2, 5, 3]  # floor(2.5), floor(5), rest
    assert groups[:2].tolist() == ["P-Many"] * 2 and groups[-3:].tolist() == ["P-Few"] * 3


def test_load_prior_checks_the_classes_and_the_simplex(tmp_path):
    classes = pd.DataFrame({"label": [0, 1, 2], "class_name": ["a", "b", "c"]})
    path = tmp_path / "prior.csv"
    classes.assign(prior=[0.5, 0.3, 0.2]).to_csv(path, index=False)
    assert prior.load_prior(path, classes).tolist() == [0.5, 0.3, 0.2]
    classes.iloc[:2].assign(prior=[0.5, 0.5]).to_csv(path, index=False)
    with pytest.raises(prior.InconsistentPriorError, match="2 rows for the dataset's 3 classes"):
        prior.load_prior(path, classes)
    classes.assign(prior=[0.5, 0.5, 0.5]).to_csv(path, index=False)
    with pytest.raises(prior.InconsistentPriorError, match=r"prior.csv: the prior does not sum to 1"):
        prior.load_prior(path, classes)


def test_a_non_numeric_prior_names_its_file_and_line(tmp_path):
    classes = pd.DataFrame({"label": [0, 1, 2], "class_name": ["a", "b", "c"]})
    path = tmp_path / "prior.csv"
    classes.assign(prior=["0.5", "oops", "0.25"]).to_csv(path, index=False)
    with pytest.raises(
        prior.InconsistentPriorError, match=rf"{path}:3: the prior of label 1 is oops, not a positive number"
    ):
        prior.load_prior(path, classes)


def test_the_reference_solver_has_the_released_step_count_and_learning_rate():
    assert prior.REFERENCE_ITERATIONS == 1000
    assert prior.reference_lr(20_000, 1000) == pytest.approx(4e-6)  # 1e-5 (N / C) / 50, ImageNet-LT val


def test_both_solvers_reach_the_same_prior_where_the_reference_converges():
    # two classes and many images: the released learning rate, 1e-5 (N / C) / 50, is 0.004 here
    rng = np.random.default_rng(5)
    true = np.array([0.7, 0.3])
    labels = np.repeat([0, 1], 20_000)
    logits = rng.normal(size=(40_000, 2)) + 1.5 * np.eye(2)[labels] + np.log(true)
    exact, _ = prior.estimate_prior(logits, labels, calibrate=False)
    reference, reference_info = prior.estimate_prior(logits, labels, calibrate=False, solver="reference")
    assert reference_info["iterations"] == 1000 and reference_info["lr"] == pytest.approx(0.004)
    assert reference == pytest.approx(exact, abs=3e-3) and exact == pytest.approx(true, abs=0.02)
    agreement = prior.solver_agreement(np.array([0.5, 0.3, 0.2]), np.array([0.4, 0.35, 0.25]), 1 / 3, 1 / 3)
    assert agreement == {"spearman": pytest.approx(1.0), "p_group_agreement": 1.0}


def test_the_reference_temperature_stops_within_a_tenth_of_a_point():
    rng = np.random.default_rng(6)
    labels = rng.integers(0, 10, 5000)
    logits = 4 * (rng.normal(size=(5000, 10)) + 2.0 * np.eye(10)[labels])  # over-confident
    t = prior.reference_temperature(logits, labels)
    confidence = softmax(logits / t, axis=1).max(axis=1).mean()
    assert abs(confidence - (logits.argmax(axis=1) == labels).mean()) <= 1e-3
    assert t > 1


def test_the_estimator_and_its_jobs_know_nothing_of_the_toy_world(tmp_path):
    """The estimate the P-groups come from is the paper path's code: neither the estimator
    nor the jobs that feed it (zero-shot logits) and run it import the toy world's modules."""
    toy_modules = {"toyworld.py", "pretrain.py", "recovery.py"}
    script = tmp_path / "uses_prior.py"
    script.write_text("import ltbias.prior\n")
    assert not toy_modules & {p.name for p in module_closure(script, PACKAGE)}
    assert "toy" not in (PACKAGE / "prior.py").read_text().lower()
    job_script = REPO / "workflow" / "scripts" / "job.py"
    for job in ("zeroshot_logits", "estimate_prior"):
        closure = {p.name for p in module_closure(job_script, PACKAGE, (f"ltbias.jobs.{job}",))}
        assert not toy_modules & closure, job
