"""Config validation, path conventions and input/param helpers. No rules here.

Every rule runs `ltbias.jobs.<job>` through one script and names its job in `job_params`;
the job module builds its own settings from the config (`settings(config, wildcards)`).
"""

import os
import re
import sys
from types import SimpleNamespace

from snakemake.io import is_flagged
from snakemake.logging import logger
from snakemake.utils import validate

sys.path.insert(0, os.path.join(workflow.basedir, "workflow"))
from ltbias import experiment, layout, preflight
from ltbias.config import LOSSES, PEFTS, finetune_block, resolve, weights_kind
from ltbias.importgraph import module_closure
from ltbias.jobs import entry
from ltbias.lineage import missing_intermediates
from ltbias.lists import LIST_SUFFIX
from ltbias.log import clear_fatal

config.update(resolve(config))
validate(config, schema="../schemas/config.schema.yaml")

DATASETS = list(config["datasets"])
BACKBONES = list(config["backbones"])
# Ready jobs start in order of the work still behind them, the longest chain first: the
# weights with the data unblock fine-tuning, then logits; zero-shot logits, priors and
# reports fill the gaps (on 2 cores the toy run idled 11.5 s, then 4.5 s).
PRIORITY = {"lists": 50, "weights": 40, "data": 30, "finetune": 20, "logits": 10}


for warning in preflight.check(config):
    logger.warning(f"Warning: {warning}")


def profile_placeholders():
    """The profile's resources still set to its `CHANGE_ME` placeholders, in a sentence
    (or None): a dry run warns, a real run refuses them before any job (`onstart`)."""
    settings = workflow.resource_settings
    defaults = settings.default_resources.args if settings.default_resources else []
    overwritten = (settings.overwrite_resources or {}).items()
    overrides = {name: {key: value.raw for key, value in resources.items()} for name, resources in overwritten}
    return preflight.placeholder_message(preflight.placeholders(defaults or [], overrides))


def refuse_placeholders():
    if found := profile_placeholders():
        fill = "fill in profiles/slurm/profile.yaml's CHANGE_ME values for your cluster"
        raise ValueError(f"{found}: {fill}")


if found := profile_placeholders():
    logger.warning(f"Warning: {found}: a real run refuses them")


wildcard_constraints:
    dataset="|".join(map(re.escape, DATASETS)),
    backbone="|".join(map(re.escape, BACKBONES)),
    point="|".join(map(re.escape, experiment.recovery_points(config))),


JOB_SCRIPT = "../scripts/job.py"  # every rule's script: runs `ltbias.jobs.<job>`


def job_code(job):
    """The job script and the library files that running `ltbias.jobs.<job>` through it
    imports, transitively (the import graph, on every parse): an edit reruns the rule, a touch
    not. The profiles turn off Snakemake's `code` trigger, which reruns every rule once the
    script is newer than an output (docs/reruns.md); the script's checksum stands in for it."""
    workflow_dir = os.path.join(workflow.basedir, "workflow")
    script = os.path.join(workflow_dir, "scripts", "job.py")
    closure = module_closure(script, os.path.join(workflow_dir, "ltbias"), modules=(f"ltbias.jobs.{job}",))
    return [os.path.relpath(path) for path in (script, *closure)]


def job_params(job, **fixed):
    """The params that run `ltbias.jobs.<job>` in a rule. They hold the job's name and,
    when it takes settings, those its `settings(config, wildcards, **fixed)` builds: as a
    key-sorted dict Snakemake compares between runs, and those that cannot change a result
    in an object it does not compare (`entry.settings_params`), so editing them reruns
    nothing."""
    if not hasattr(entry.load(job), "settings"):
        return {"job": job}
    split = lambda wildcards: entry.settings_params(job, config, wildcards, **fixed)
    return {
        "job": job,
        "settings": lambda wildcards: split(wildcards)[0],
        "untracked": lambda wildcards: SimpleNamespace(settings=split(wildcards)[1]),
    }


def check_settings():
    """Build the settings of every job the config can plan (its rule's wildcard constraints
    hold), before any job runs: a value a job would refuse stops the workflow here, naming
    its key."""
    for planned in workflow.rules:
        if "settings" not in planned.params.keys():
            continue
        names, constraints = planned.wildcard_names, planned.wildcard_constraints
        for wildcards in preflight.wildcard_values(config, names, constraints):
            planned.params.settings(wildcards)


def dataset_root(wildcards):
    return experiment.dataset_root(config, wildcards.dataset)


def raw_input(wildcards):
    """The rendered toy dataset is a workflow output; real roots are validated, not tracked."""
    if config["datasets"][wildcards.dataset]["source"] == "toy":
        return f"results/{wildcards.dataset}/raw"
    return []


def list_inputs(wildcards):
    """The staged copies of the dataset's lists, as `<key>_list`."""
    staged = layout.list_files(config, wildcards.dataset)
    return {key + LIST_SUFFIX: path for key, path in staged.items()}


def local_list(wildcards):
    """A list given as a local file is a real input of its staging: an edit reruns it."""
    dataset, name = wildcards.listed.split("/", 1)
    return experiment.list_sources(config, dataset)[name].get("path") or []


def class_names_file(wildcards):
    """A folder dataset's class-name file, tracked by content like any input."""
    return config["datasets"][wildcards.dataset]["class_names"] or []


def weights_file(wildcards):
    """Fetched tags and local files are tracked by name only (`ancient`): a re-download or
    a copy never retrains. Toy weights are a workflow output like any other."""
    weights = config["backbones"][wildcards.backbone]["weights"]
    kind = weights_kind(weights)
    if kind == "tag":
        return ancient(layout.staged_weights(config, wildcards.backbone))
    if kind == "file":
        return ancient(weights["file"])
    return f"results/backbones/{wildcards.backbone}/weights.pt"


def stage_inputs(wildcards):
    """What `snakemake stage` stages and prints: the weights of every backbone a dataset
    uses that come from outside (fetched tags, local files) and every list."""
    used = experiment.used_backbones(config)
    outside = [b for b in used if weights_kind(config["backbones"][b]["weights"]) != "toy"]
    return {
        "weights": [weights_file(SimpleNamespace(backbone=b)) for b in outside],
        "lists": [p for d in DATASETS for p in layout.list_files(config, d).values()],
    }


def finetune_inputs(wildcards, loss=None):
    """What a fine-tune reads; with the GLA-Train loss also the backbone's estimated prior."""
    inputs = {
        "weights": weights_file(wildcards),
        "train": f"results/{wildcards.dataset}/splits/train.csv",
        "classes": f"results/{wildcards.dataset}/splits/classes.csv",
        "raw": raw_input(wildcards),
        "code": job_code("finetune"),
    }
    if finetune_block(config, wildcards.backbone, loss=loss)["loss"] == "gla":
        inputs["prior"] = f"results/{wildcards.dataset}/prior/{wildcards.backbone}.csv"
    return inputs


def logits_inputs(checkpoint):
    """An input function: what caching the logits of the model fine-tuned into `checkpoint`
    (a pattern of the wildcards) reads."""
    return lambda wildcards: {
        "checkpoint": checkpoint.format(**dict(wildcards.items())),
        "weights": weights_file(wildcards),
        "val": f"results/{wildcards.dataset}/splits/val.csv",
        "test": f"results/{wildcards.dataset}/splits/test.csv",
        "raw": raw_input(wildcards),
        "code": job_code("logits"),
    }


def compute(family, key):
    return config["compute"][family][key]


def members(wc):
    return experiment.dataset_backbones(config, wc.dataset)


def member_files(template):
    """An input function: `template` for each of the dataset's backbones, in ensemble order."""
    return lambda wc: expand(template, dataset=wc.dataset, backbone=members(wc))


def lift_file(template):
    """An input function: `template` formatted with the dataset and its LIFT backbone."""
    lift = lambda wc: experiment.lift_backbone(config, wc.dataset)
    return lambda wc: template.format(dataset=wc.dataset, backbone=lift(wc))


def analysis_files(paths, target):
    """`paths`, outputs of the extra analysis `target` (`snakemake fig3`, ...), when it is
    requested or has run (all of them exist); else none: a job that reads them when they
    are there reruns once they appear (its set of inputs changes)."""
    requested = target in (workflow.dag_settings.targets or ())
    return list(paths) if requested or all(map(os.path.exists, paths)) else []


def producer_files(path):
    """The inputs and outputs of the job that makes `path`, or None when no rule makes it.
    Ancient inputs (fetched or local weights) are left out: a re-fetched file never
    retrains."""
    for producer in workflow.rules:
        if producer.output and producer.is_producer(path):
            wildcards = producer.get_wildcards(path)
            inputs = [f for f in producer.expand_input(wildcards)[0] if not is_flagged(f, "ancient")]
            return list(map(str, inputs)), list(map(str, producer.expand_output(wildcards)[0]))
    return None


def with_missing_intermediates(targets):
    """An input function: `targets` and every missing file the results among them were built
    from (`ltbias.lineage`): a failed or killed job is planned again with all that follows."""
    return lambda wildcards: targets + missing_intermediates(targets, producer_files)


def table_output(table, ext):
    return report(
        f"results/{{dataset}}/tables/{table}.{ext}",
        caption=f"../report/{table}.rst",
        category="Tables",
        subcategory="{dataset}",
        labels={"dataset": "{dataset}", "table": table.removeprefix("table"), "format": ext},
    )


def figure_output(figure):
    return report(
        f"results/{{dataset}}/figures/{figure}.svg",
        caption=f"../report/{figure}.rst",
        category="Figures",
        subcategory="{dataset}",
        labels={"dataset": "{dataset}", "figure": figure.replace("_", " ")},
    )
