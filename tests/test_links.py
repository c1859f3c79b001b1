"""Every relative link and anchor in the README and docs/ resolves, and the README leads to
every page of docs/."""

import re
from pathlib import Path

import pytest

from helpers import REPO

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
PAGES += [REPO / "config" / "README.md", REPO / "results" / "README.md"]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^\s*```.*?^\s*```", flags=re.MULTILINE | re.DOTALL)


def anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens, a
    repeated heading numbered."""
    seen: dict[str, int] = {}
    found = set()
    for heading in re.findall(r"^#{1,6} +(.+?) *$", FENCE.sub("", page.read_text()), flags=re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        found.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
        seen[slug] = seen.get(slug, 0) + 1
    return found


def links(page: Path) -> list[str]:
    return [t for t in LINK.findall(FENCE.sub("", page.read_text())) if not re.match(r"[a-z]+:", t)]


def test_the_anchor_rules_follow_github():
    page = REPO / "docs" / "cluster.md"
    assert "running-on-a-cluster" in anchors(page)
    assert anchors(REPO / "README.md") >= {"quick-start", "your-own-dataset", "running-on-a-cluster"}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_and_anchor_resolves(page):
    broken = []
    for target in links(page):
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(f"{target} (no such file)")
        elif anchor and (linked.suffix != ".md" or anchor not in anchors(linked)):
            broken.append(f"{target} (no such heading)")
    assert not broken, f"{page.relative_to(REPO)}: {broken}"


def test_the_readme_leads_to_every_page_of_the_docs():
    linked = {(REPO / target.partition("#")[0]).resolve() for target in links(REPO / "README.md")}
    assert not [p.name for p in (REPO / "docs").glob("*.md") if p.resolve() not in linked]


def test_the_readme_stays_a_front_door():
    assert len((REPO / "README.md").read_text().splitlines()) <= 250


def _commands(text: str) -> list[str]:
    """The shell commands of a page: its lines (a config's comment lines too) and inline code,
    continuations joined, trailing comments dropped, runs of spaces as one."""
    lines = re.sub(r"\\\n\s*#?", " ", text).splitlines() + re.findall(r"`([^`\n]+)`", text)
    commands = [" ".join(line.lstrip(" #").split(" # ")[0].split()) for line in lines]
    return [c for c in commands if re.match(r"(snakemake|\$run|run=|root=|CONDA_OVERRIDE_CUDA)", c)]


def test_the_readmes_commands_are_those_the_docs_and_examples_show():
    """The README repeats commands whose sources the tests run as written (the examples'
    headers in tests/workflow/test_examples.py, docs/cluster.md's steps in
    test_paper_configs.py) or that docs/paper.md details: they must not drift apart."""
    blocks = "\n".join(re.findall(r"```bash\n(.*?)```", (REPO / "README.md").read_text(), flags=re.DOTALL))
    sources = [*(REPO / "config" / "examples").glob("*.yaml"), REPO / "docs" / "cluster.md", REPO / "docs" / "paper.md"]
    shown = {command for source in sources for command in _commands(source.read_text())}
    readme = _commands(blocks)
    assert len(readme) >= 10
    assert [c for c in readme if c not in shown] == []
