"""The one entry point of every rule: a job module called with the rule's named inputs,
outputs and params as keyword arguments, so that each path is spelled once in the rule and
once where the job uses it.

A job module has `run(settings, *, <the rule's names>)` and, when it takes settings, a frozen
`Settings` dataclass and `settings(config, wildcards)` that builds it from the validated
config: the rule passes it as a plain dict (`settings_params`), this module builds it back.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from .. import config

__all__ = ["UNREAD_INPUTS", "call", "canonical", "load", "settings_params"]

# inputs that exist only so that a change reruns the job: its code, a rendered dataset root
# (read through the `root` param) and a list's local file (read through its settings' source)
UNREAD_INPUTS = ("code", "raw", "local")
# what the job may take besides its files and params, from Snakemake's threads and resources
_RUNTIME = ("log", "threads", "attempt", "gpus")


def load(job: str) -> ModuleType:
    """`ltbias.jobs.<job>`."""
    return importlib.import_module(f"{__package__}.{job}")


def canonical(obj: Any) -> Any:
    """`obj` with every mapping's keys sorted and tuples as lists: a param value whose repr
    does not depend on the order of the config's keys (Snakemake compares the reprs)."""
    if isinstance(obj, Mapping):
        return {key: canonical(obj[key]) for key in sorted(obj)}
    if isinstance(obj, list | tuple):
        return [canonical(value) for value in obj]
    return obj


def settings_params(job: str, cfg: dict, wildcards: Mapping[str, str], **fixed: Any) -> tuple[dict, dict]:
    """`ltbias.jobs.<job>`'s settings for one job of the workflow, as the rule passes them:
    the plain dict Snakemake compares between runs, and the settings that cannot change a
    result (the module's `UNTRACKED`, dotted keys), which `call` merges back."""
    module = load(job)
    plain = canonical(config.as_dict(module.settings(cfg, wildcards, **fixed)))
    untracked: dict = {}
    for dotted in getattr(module, "UNTRACKED", ()):
        *parents, key = dotted.split(".")
        source, target = plain, untracked
        for parent in parents:
            source, target = source[parent], target.setdefault(parent, {})
        target[key] = source.pop(key)
    return plain, untracked


def call(
    job: ModuleType,
    *,
    inputs: Mapping[str, Any],
    outputs: Mapping[str, Any],
    params: Mapping[str, Any],
    log: str | None = None,
    threads: int = 1,
    resources: Mapping[str, Any] | None = None,
) -> None:
    """Run `job.run` with every named input (less `UNREAD_INPUTS`), output and param.

    `params["settings"]` (a dict) becomes `job.Settings`, with `params["untracked"].settings`
    (settings Snakemake must not compare, so kept out of its params) merged into it;
    `params["job"]` names the module and is not passed. A name used twice is an error.
    """
    params = dict(params)
    params.pop("job", None)
    untracked = params.pop("untracked", None)
    if "settings" in params:
        merged = config.deep_merge(params["settings"], untracked.settings if untracked else {})
        params["settings"] = config.from_dict(job.Settings, merged, f"{job.__name__} settings")
    files = {k: _paths(v) for k, v in inputs.items() if k not in UNREAD_INPUTS}
    kwargs: dict[str, Any] = {}
    for group in (files, {k: _paths(v) for k, v in outputs.items()}, params):
        twice = sorted(set(kwargs) & set(group))
        if twice:
            raise TypeError(f"{job.__name__}: {twice} named twice among the rule's inputs, outputs and params")
        kwargs |= group
    resources = resources or {}
    runtime = {"log": log, "threads": threads, "attempt": resources.get("attempt", 1), "gpus": resources.get("gpu", 0)}
    accepted = inspect.signature(job.run).parameters
    job.run(**kwargs, **{k: runtime[k] for k in _RUNTIME if k in accepted})


def _paths(value: str | list) -> str | list[str]:
    """A path, or a list of them (Snakemake's `Namedlist`), as plain strings."""
    return [str(v) for v in value] if isinstance(value, list) else str(value)
