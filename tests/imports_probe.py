"""What a fresh interpreter reads from the package when the job script loads each job.

    python tests/imports_probe.py SCRIPT PACKAGE_DIR JOB [JOB ...]

For each JOB, a forked child runs SCRIPT with a stand-in `snakemake` object whose `job`
param is JOB and that stops it at the first use of anything but `scriptdir` and
`params["job"]`, i.e. once the job's module is imported. The child reports the package
files it read: the file of every package module it loaded, and every other file it opened
under PACKAGE_DIR (data such as model configs). The parent imports the heavy third-party
packages first, so that each child loads only the package; it prints `{job: [files]}` as
JSON. This derives a rule's code dependencies by running Python, independently of
`ltbias.importgraph`, which reads them with `ast`.
"""

import builtins
import contextlib
import importlib
import json
import os
import runpy
import sys
from pathlib import Path

script, package_dir, jobs = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve(), sys.argv[3:]
THIRD_PARTY = ("numpy", "pandas", "scipy.optimize", "scipy.stats", "scipy.special", "PIL.Image", "yaml")


class Stop(Exception):
    pass


class Snakemake:
    scriptdir = str(script.parent)

    def __init__(self, job: str) -> None:
        self.params = {"job": job}

    def __getattr__(self, name):
        raise Stop(name)


def probe(job: str) -> list[str]:
    """In a fresh child process: the package files loading `job` reads."""
    opened = set()

    def audit(event, args):
        if event == "open" and isinstance(args[0], str | Path):
            opened.add(Path(args[0]).resolve())

    sys.addaudithook(audit)
    builtins.snakemake = Snakemake(job)
    with contextlib.suppress(Stop):
        runpy.run_path(str(script))
    modules = {Path(m.__file__).resolve() for m in list(sys.modules.values()) if getattr(m, "__file__", None)}
    data = {p for p in opened if p.suffix not in (".py", ".pyc")}
    return sorted(
        str(p.relative_to(package_dir)) for p in modules | data if p.is_relative_to(package_dir) and p.is_file()
    )


for name in THIRD_PARTY:
    importlib.import_module(name)
found = {}
for job in jobs:
    read, write = os.pipe()
    if os.fork() == 0:
        os.close(read)
        with os.fdopen(write, "w") as out:
            json.dump(probe(job), out)
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as answer:
        found[job] = json.load(answer)
    os.wait()
print(json.dumps(found))
