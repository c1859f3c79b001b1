"""Missing intermediates below existing results are found, sources and missing targets are not."""

from ltbias.lineage import missing_intermediates

# table <- metrics <- logits <- checkpoint <- weights (ancient: left out by the workflow) ; code is a source
GRAPH = {
    "table": ["metrics", "code.py"],
    "metrics": ["logits_a", "logits_b", "code.py"],
    "logits_a": ["checkpoint_a"],
    "logits_b": ["checkpoint_b"],
    "checkpoint_a": ["splits"],
    "checkpoint_b": ["splits"],
    "splits": [],
}


def _missing(existing, targets=("table",)):
    return missing_intermediates(list(targets), GRAPH.get, lambda path: path in existing)


def test_a_missing_file_below_an_existing_result_is_found():
    everything = set(GRAPH) | {"code.py"}
    assert _missing(everything - {"checkpoint_b"}) == ["checkpoint_b"]
    assert _missing(everything - {"metrics"}) == ["metrics"]


def test_the_walk_stops_at_a_missing_file():
    """Below a missing file its job runs anyway, and Snakemake plans what that job needs."""
    everything = set(GRAPH) | {"code.py"}
    assert _missing(everything - {"logits_a", "checkpoint_a"}) == ["logits_a"]


def test_nothing_is_missing_on_a_complete_run_or_without_results():
    assert _missing(set(GRAPH) | {"code.py"}) == []
    assert _missing(set()) == []  # a missing target is Snakemake's to build


def test_source_files_are_never_requested():
    assert _missing(set(GRAPH)) == []  # code.py is missing but no job makes it
