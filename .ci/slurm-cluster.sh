#!/usr/bin/env bash
# A one-node Slurm cluster for CI, no systemd: Debian's slurm-wlm and munge, daemons started
# by hand and stopped by pid. One node with this machine's cores and memory and two GPU GRES
# (File=/dev/null: Slurm schedules them, nothing uses them), one partition `ci`, no
# accounting database (status from squeue then, see docs/cluster.md).
#
#   .ci/slurm-cluster.sh start DIR    # install if needed, write DIR/slurm.conf, start daemons
#   .ci/slurm-cluster.sh stop DIR     # stop what start started
#
# The configuration is linked into /etc/slurm (job steps read it there, whatever the
# environment of the submitting process). Needs root; for throwaway CI machines.
set -euo pipefail
action=$1
dir=$(realpath -m "$2")

start() {
    mkdir -p "$dir"/{state,spool,log}
    if ! command -v slurmctld > /dev/null || ! command -v munged > /dev/null; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge > /dev/null
        touch "$dir/installed-here"  # stop removes them again, see there
    fi
    # munge: a fresh key, the daemon as the munge user, its socket in DIR
    install -d -o munge -g munge -m 0755 "$dir/munge" "$dir/munge/run"
    install -d -o munge -g munge -m 0700 "$dir/munge/etc"
    dd if=/dev/urandom bs=1 count=1024 status=none > "$dir/munge/etc/munge.key"
    chown munge:munge "$dir/munge/etc/munge.key" && chmod 0400 "$dir/munge/etc/munge.key"
    install -d -o munge -g munge /var/lib/munge /var/log/munge /run/munge
    runuser -u munge -- munged --key-file="$dir/munge/etc/munge.key" --socket="$dir/munge/run/munge.socket" \
        --pid-file="$dir/munge/run/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/run/seed"
    local host cpus memory
    host=$(hostname -s)
    cpus=$(nproc)
    memory=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 2048))
    cat > "$dir/slurm.conf" << CONF
ClusterName=ci
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/run/munge.socket
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
GresTypes=gpu
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
KillWait=30
NodeName=$host CPUs=$cpus RealMemory=$memory Gres=gpu:2 State=UNKNOWN
PartitionName=ci Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
    printf 'NodeName=%s Name=gpu File=/dev/null\nNodeName=%s Name=gpu File=/dev/zero\n' "$host" "$host" > "$dir/gres.conf"
    mkdir -p /etc/slurm
    ln -sf "$dir/slurm.conf" /etc/slurm/slurm.conf
    ln -sf "$dir/gres.conf" /etc/slurm/gres.conf
    slurmctld
    slurmd
    for _ in $(seq 60); do
        if sinfo -h -o %T 2> /dev/null | grep -qx idle; then
            sinfo
            return 0
        fi
        sleep 1
    done
    echo "the Slurm node did not come up; logs in $dir/log" >&2
    tail -20 "$dir"/log/*.log >&2
    return 1
}

stop() {
    for pid in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/run/munged.pid"; do
        [ -f "$pid" ] && kill "$(cat "$pid")" 2> /dev/null || true
    done
    rm -f /etc/slurm/slurm.conf /etc/slurm/gres.conf
    # Installed Slurm clients without a controller make every Snakemake start wait about
    # 10 s (the executor plugin probes sacct and squeue on import): leave the machine as found.
    if [ -f "$dir/installed-here" ]; then
        DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq --auto-remove slurm-wlm slurm-client munge > /dev/null
    fi
}

"$action"
