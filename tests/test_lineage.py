"""Missing intermediates below existing results are found, sources and missing targets are
not, and a job in the lineage whose other output was deleted is planned again."""

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
# outputs nothing reads, beside the one the walk follows
SIBLINGS = {"metrics": ["metrics", "adjustments"], "checkpoint_a": ["checkpoint_a", "history_a"]}
OUTPUTS = {path: SIBLINGS.get(path, [path]) for path in GRAPH} | {"adjustments": SIBLINGS["metrics"]}
OUTPUTS["history_a"] = SIBLINGS["checkpoint_a"]
EVERYTHING = set(GRAPH) | {"code.py", "adjustments", "history_a"}


def _missing(existing, targets=("table",)):
    def job_of(path):
        producer = next((p for p, outputs in OUTPUTS.items() if path in outputs), None)
        return None if producer is None else (GRAPH[producer], OUTPUTS[producer])

    return missing_intermediates(list(targets), job_of, lambda path: path in existing)


def test_a_missing_file_below_an_existing_result_is_found():
    assert _missing(EVERYTHING - {"checkpoint_b"}) == ["checkpoint_b"]
    assert _missing(EVERYTHING - {"metrics"}) == ["metrics"]


def test_a_deleted_output_that_nothing_reads_is_found_beside_the_one_that_exists():
    assert _missing(EVERYTHING - {"adjustments"}) == ["adjustments"]
    assert _missing(EVERYTHING - {"history_a"}) == ["history_a"]


def test_the_walk_stops_at_a_missing_file():
    """Below a missing file its job runs anyway, and Snakemake plans what that job needs."""
    assert _missing(EVERYTHING - {"logits_a", "checkpoint_a", "history_a"}) == ["logits_a"]


def test_nothing_is_missing_on_a_complete_run_or_without_results():
    assert _missing(EVERYTHING) == []
    assert _missing(set()) == []  # a missing target is Snakemake's to build


def test_source_files_are_never_requested():
    assert _missing(EVERYTHING - {"code.py"}) == []  # code.py is missing but no job makes it
