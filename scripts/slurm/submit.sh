#!/usr/bin/env bash
# Runs a meshsync sweep on a Slurm cluster: an array of N shards, then the
# merge, which starts only if every shard succeeded (and is cancelled, not
# left pending, if one failed).
#
#   scripts/slurm/submit.sh SWEEP_FILE OUT_DIR N [CPUS_PER_SHARD]
#
# prints the two job ids (array, merge); scripts/slurm/wait.sh waits for
# them and fails unless both completed. Results: OUT_DIR/merged; logs:
# OUT_DIR/logs/. meshsync must be on PATH on the compute nodes (or
# MESHSYNC=/path/to/meshsync, exported to the jobs); OUT_DIR must be on a
# file system the nodes share. Extra sbatch options (a partition, a time
# limit) go in SBATCH_* variables, e.g. SBATCH_PARTITION=short.
set -euo pipefail
usage="usage: $0 SWEEP_FILE OUT_DIR N [CPUS_PER_SHARD]"
sweep=${1:?$usage}
out=${2:?$usage}
n=${3:?$usage}
cpus=${4:-1}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out/logs"
array=$(sbatch --parsable --array="0-$((n - 1))" --cpus-per-task="$cpus" \
  --output="$out/logs/shard-%a.out" "$here/sweep.sbatch" "$sweep" "$out" "$n")
array=${array%%;*}
merge=$(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes \
  --output="$out/logs/merge.out" "$here/merge.sbatch" "$out" "$n")
merge=${merge%%;*}
echo "$array $merge"
