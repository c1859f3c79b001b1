import pytest

from ltbias import subsets


def test_every_non_empty_subset_in_table_order():
    found = subsets.subsets(["clip", "openclip", "metaclip"])
    assert [subsets.subset_name(s) for s in found] == [
        "clip", "openclip", "metaclip", "clip+openclip", "clip+metaclip", "openclip+metaclip", "clip+openclip+metaclip"
    ]  # fmt: skip
    assert len(subsets.subsets([f"b{i}" for i in range(8)])) == 255
    with pytest.raises(ValueError, match="at least one"):
        subsets.subsets([])
    with pytest.raises(ValueError, match="listed twice"):
        subsets.subsets(["a", "a"])
