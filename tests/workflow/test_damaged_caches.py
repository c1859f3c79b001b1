"""A damaged cache on disk stops the job that reads it, with the file named."""

import zipfile

from smk import snakemake

MICRO = "tests/config/micro.yaml"


def _flip_a_logit(path):
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("logits.npy")
    data[info.header_offset + info.compress_size // 2] ^= 0x10
    path.write_bytes(bytes(data))


def test_one_flipped_byte_in_cached_logits_stops_the_ensemble(finished_copy):
    cache = finished_copy / "results/toy/logits/toy_b/test.npz"
    _flip_a_logit(cache)
    result = snakemake(finished_copy, "--configfile", MICRO, "--forcerun", "ensemble")
    assert result.returncode != 0
    log = (finished_copy / "logs/ensemble/toy.log").read_text()
    assert "InconsistentLogitsError" in log and "logits.npy fails its CRC-32 check" in log
    assert "results/toy/logits/toy_b/test.npz (vs split manifest results/toy/splits/test.csv)" in log


def test_zero_shot_logits_with_an_extra_row_stop_the_prior_estimate(finished_copy):
    from ltbias import caches

    cache = finished_copy / "results/toy/zeroshot/toy_a/val.npz"
    logits, labels = caches.load_logits(cache, finished_copy / "results/toy/splits/val.csv", 9)
    caches.save_logits(cache, [*logits, logits[0]], [*labels, labels[0]])
    result = snakemake(finished_copy, "--configfile", MICRO, "--forcerun", "estimate_prior")
    assert result.returncode != 0
    log = (finished_copy / "logs/estimate_prior/toy/toy_a.log").read_text()
    assert "zeroshot/toy_a/val.npz (vs split manifest results/toy/splits/val.csv)" in log
    assert "rows, the manifest has" in log


def test_a_deleted_output_that_nothing_reads_is_planned_again(finished_copy):
    """Every output of a job in the results' lineage is requested: deleting one that no
    downstream job reads (a prior's fit info, a provenance record, the adjustments)
    plans its job again, and what follows it."""
    from smk import planned_jobs

    for deleted, job in [
        ("results/toy/prior/toy_a.json", "estimate_prior"),
        ("results/toy/ensembles/adjustments.json", "ensemble"),
        ("results/toy/logits/toy_c/provenance.json", "logits"),
        ("results/backbones/toy_b/pretrain_history.json", "pretrain_toy"),
        ("results/toy/splits/report.json", "make_splits"),
    ]:
        (finished_copy / deleted).rename(finished_copy / (deleted + ".kept"))
        plan = planned_jobs(snakemake(finished_copy, "--configfile", MICRO, "-n"))
        assert plan.get(job) == 1 and "tables" in plan, (deleted, plan)
        (finished_copy / (deleted + ".kept")).rename(finished_copy / deleted)
