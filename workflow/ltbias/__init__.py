"""ltbias: long-tailed fine-tuning of foundation models and backdoor-adjusted ensembles.

Plain Python that knows nothing of Snakemake: every function takes paths or arrays and
returns values; the rule scripts in `workflow/scripts/` are thin wrappers around it.
"""

__version__ = "0.1.0"
