#!/usr/bin/env bash
# The micro config through a real one-node Slurm cluster (.ci/slurm-cluster.sh) with the
# SLURM profile, only its placeholders filled in, compared file by file with a local run of
# the same config; one fine-tune is sent SIGTERM mid-run, as Slurm does before a time limit
# (`--signal=TERM@300`), and must resume in a new job and end with the same weights.
#
#   .ci/slurm-test.sh    # from an environment with the workflow's requirements; needs root
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
chmod 755 "$work"  # the munge daemon runs as its own user
cluster=$work/cluster
trap '"$repo/.ci/slurm-cluster.sh" stop "$cluster"; cd /; rm -rf "$work"' EXIT
"$repo/.ci/slurm-cluster.sh" start "$cluster"

checkout() {
    mkdir -p "$1/tests"
    cp -r "$repo"/{Snakefile,workflow,config,envs,profiles} "$1/"
    cp -r "$repo/tests/config" "$1/tests/"
    cp "$repo/.ci/slurm-micro.yaml" "$1/"
}
configs=(--configfile tests/config/micro.yaml slurm-micro.yaml)

checkout "$work/local"
started=$(date +%s)
(cd "$work/local" && snakemake --cores 2 --workflow-profile none "${configs[@]}" > run.log 2>&1) ||
    { tail -50 "$work/local/run.log"; exit 1; }
echo "local run: $(($(date +%s) - started)) s"

checkout "$work/slurm"
sed -i 's/CHANGE_ME_account/ci/; s/CHANGE_ME_cpu_partition/ci/; s/CHANGE_ME_gpu_partition/ci/' \
    "$work/slurm/profiles/slurm/profile.yaml"
cd "$work/slurm"
started=$(date +%s)
# no conda here: the software comes from this environment (docs/cluster.md: "Without conda");
# no slurmdbd here: job states come from squeue (docs/cluster.md: "Without Slurm accounting")
# first status check after 5 s, not the plugin's 40: jobs here take seconds
snakemake --workflow-profile profiles/slurm "${configs[@]}" --sdm env-modules \
    --slurm-status-command squeue --slurm-init-seconds-before-status-checks 5 > run.log 2>&1 &
run=$!
job=""
for _ in $(seq 1800); do  # until Toy-A's fine-tune is part-way through its 40 epochs
    job=$(grep -o 'rule_finetune/[^/]*toy_a/[0-9]*\.log' run.log | head -1 | grep -o '[0-9]*\.log' | cut -d. -f1 || true)
    if [ -n "$job" ] && grep -q "epoch 3 step" logs/finetune/toy/toy_a.log 2> /dev/null; then
        scancel --signal=TERM "$job"
        echo "sent SIGTERM to Slurm job $job (finetune toy_a) at epoch 3"
        break
    fi
    sleep 0.2
done
wait "$run" || { tail -80 run.log; exit 1; }
echo "Slurm run: $(($(date +%s) - started)) s"
[ -n "$job" ] || { echo "the fine-tune was never signalled" >&2; exit 1; }
attempts=$(find logs/slurm/rule_finetune -path '*toy_a*' -name '*.log' | wc -l)
grep -q "stopped by signal" logs/finetune/toy/toy_a.attempt1.log ||
    { echo "no trace of the stop in logs/finetune/toy/toy_a.attempt1.log" >&2; exit 1; }
grep -q "resuming from" logs/finetune/toy/toy_a.attempt2.log || { echo "the retry did not resume" >&2; exit 1; }
python -c "import json, sys; r = json.load(open(sys.argv[1]))['resumes']; assert len(r) == 1, r" \
    results/toy/finetune/toy_a/provenance.json
[ "$attempts" -eq 2 ] || { echo "expected 2 Slurm jobs for finetune toy_a, found $attempts" >&2; exit 1; }
echo "finetune toy_a: stopped, resumed in a second Slurm job"
python "$repo/.ci/compare_results.py" "$work/local/results" "$work/slurm/results"
# switching from the cluster (env-modules) back to a plain local run reruns nothing
snakemake -n --cores 2 --workflow-profile none "${configs[@]}" 2>&1 | grep -q "Nothing to be done" ||
    { echo "a local dry run after the Slurm run plans jobs" >&2; exit 1; }
echo "a local dry run in the Slurm run's folder: nothing to be done"
