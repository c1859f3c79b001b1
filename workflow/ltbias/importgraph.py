"""The package files a script depends on: its imports within one package, transitively.

The workflow makes these files checksummed inputs of the script's rule, so that editing a
module reruns exactly the rules whose scripts import it (directly or through other
modules) and nothing else. Imports are read with `ast`, never executed, so computing them
is cheap enough for every parse of the Snakefile. Imports inside functions count too:
a module that a job may import is a module whose edit may change the job's output (the jobs
import torch's side of the library inside `run`, so that the workflow can build their
settings at parse time without loading torch).

Besides modules, a package data folder belongs to the modules that name it: a string
literal equal to the name of a sub-folder of the package (`"model_configs"`) adds every
file in that folder.
"""

from __future__ import annotations

import ast
import functools
import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["module_closure"]


def _module_file(package_dir: Path, name: str) -> Path | None:
    """The file of dotted module `name` (`ltbias.files`) inside the package, if any."""
    parts = name.split(".")[1:]
    base = package_dir.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _module_name(package_dir: Path, path: Path) -> str:
    parts = [package_dir.name, *path.relative_to(package_dir).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _loaded_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """The nodes Python runs when it loads the module: not function bodies, nor the imports
    of `if TYPE_CHECKING:` blocks."""
    pending = list(ast.iter_child_nodes(tree))
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            pending += node.orelse
            continue
        yield node
        pending += ast.iter_child_nodes(node)


def _imports(tree: ast.AST, package: str, current: str | None, is_package: bool, deferred: bool) -> set[str]:
    """Dotted names of the package's modules that `tree` imports (or may import: with
    `deferred`, also those imported inside functions)."""
    found = set()
    for node in ast.walk(tree) if deferred else _loaded_nodes(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if current is None:
                    continue  # a relative import outside the package cannot reach it
                anchor = current.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}  # `from pkg import module`
    return {name for name in found if name == package or name.startswith(package + ".")}


def _data_folders(tree: ast.AST, package_dir: Path) -> set[Path]:
    folders = {p.name: p for p in package_dir.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))}
    return {
        folders[node.value]
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in folders
    }


def module_closure(
    script: str | os.PathLike, package_dir: str | os.PathLike, modules: tuple[str, ...] = (), deferred: bool = True
) -> list[Path]:
    """Every file of the package at `package_dir` that `script` imports, transitively, and
    the files of `modules` (dotted names the script imports by name at run time) with theirs;
    without `deferred`, only what loading them reads (no imports inside functions).

    Parent packages come with their modules (`ltbias/__init__.py` with `ltbias.files`).
    Returns sorted absolute paths; the script itself is not included.
    """
    package_dir = Path(package_dir).resolve()
    seen: set[Path] = set()
    pending: list[tuple[Path, str | None]] = [(Path(script).resolve(), None)]
    for name in modules:
        _add(package_dir, name, seen, pending)
    while pending:
        path, name = pending.pop()
        data, imports = _read(path, package_dir, name, deferred)
        seen |= set(data)
        for imported in imports:
            _add(package_dir, imported, seen, pending)
    return sorted(seen)


@functools.cache
def _read(path: Path, package_dir: Path, name: str | None, deferred: bool) -> tuple[tuple[Path, ...], frozenset[str]]:
    """The data files and the package's modules that the module at `path` names, parsed
    once per process (the workflow asks for every rule's closure on every parse)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    data = tuple(f for folder in _data_folders(tree, package_dir) for f in folder.rglob("*") if f.is_file())
    return data, frozenset(_imports(tree, package_dir.name, name, path.name == "__init__.py", deferred))


def _add(package_dir: Path, name: str, seen: set[Path], pending: list[tuple[Path, str | None]]) -> None:
    """Queue module `name` and its parent packages (importing a.b.c runs a and a.b first)."""
    parts = name.split(".")
    for depth in range(1, len(parts) + 1):
        module = _module_file(package_dir, ".".join(parts[:depth]))
        if module is not None and module not in seen:
            seen.add(module)
            pending.append((module, _module_name(package_dir, module)))
