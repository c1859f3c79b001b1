"""tools/paste_results.py fills each results block from its file and refuses a missing one."""

import importlib.util

import pytest

from helpers import REPO

spec = importlib.util.spec_from_file_location("paste_results", REPO / "tools" / "paste_results.py")
paste_results = importlib.util.module_from_spec(spec)
spec.loader.exec_module(paste_results)


def test_a_block_is_replaced_by_its_file_and_the_rest_is_kept(tmp_path):
    (tmp_path / "toy").mkdir()
    (tmp_path / "toy" / "t.md").write_text("| a |\n|---|\n| 1 |\n")
    text = "before\n<!-- BEGIN results/toy/t.md -->\nold\n<!-- END results/toy/t.md -->\nafter\n"
    filled = paste_results.pasted(text, tmp_path)
    table = "| a |\n|---|\n| 1 |\n"
    assert filled == f"before\n<!-- BEGIN results/toy/t.md -->\n{table}<!-- END results/toy/t.md -->\nafter\n"
    assert paste_results.pasted(filled, tmp_path) == filled


def test_a_block_whose_file_is_missing_stops_with_its_path(tmp_path):
    with pytest.raises(SystemExit, match=r"toy/missing\.md does not exist"):
        paste_results.pasted("<!-- BEGIN results/toy/missing.md -->\n<!-- END results/toy/missing.md -->", tmp_path)
