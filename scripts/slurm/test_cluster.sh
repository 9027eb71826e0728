#!/usr/bin/env bash
# Runs a sharded sweep on a real single-machine Slurm cluster and checks
# that the merged folder equals an unsharded sweep byte for byte.
#
#   scripts/slurm/test_cluster.sh          (as root; .ci/run runs it)
#
# Starts munged, slurmctld and slurmd in the background with all their
# state in a temporary folder (one node, 127.0.0.1, this machine's CPUs),
# submits the array and the merge with submit.sh, waits with wait.sh, and
# compares. Then checks that a failing array gets its merge cancelled (not
# left pending) and that wait.sh reports it. Stops the daemons it started
# by their PIDs. Without the Slurm binaries it skips (exit 0) unless CI is
# set, where it fails. Needs: apt-get install --no-install-recommends
# slurmctld slurmd slurm-client munge. MESHSYNC=path picks the binary
# (default: the release build, built if missing).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
here="$repo/scripts/slurm"

missing=()
for b in munged slurmctld slurmd sbatch squeue scontrol sinfo; do
  command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] || missing+=("$b")
done
if [ ${#missing[@]} -gt 0 ]; then
  msg="Slurm test: missing ${missing[*]} (apt-get install --no-install-recommends slurmctld slurmd slurm-client munge)"
  if [ "${CI:-}" = true ]; then
    echo "FAIL: $msg" >&2
    exit 1
  fi
  echo "SKIP: $msg"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  msg="Slurm test: needs root (the test cluster runs its jobs as root)"
  [ "${CI:-}" = true ] && { echo "FAIL: $msg" >&2; exit 1; }
  echo "SKIP: $msg"
  exit 0
fi
PATH=$PATH:/usr/sbin

if [ -z "${MESHSYNC:-}" ]; then
  (cd "$repo" && cargo build --release --locked -q)
  MESHSYNC="${CARGO_TARGET_DIR:-$repo/target}/release/meshsync"
fi
MESHSYNC=$(cd "$(dirname "$MESHSYNC")" && pwd)/$(basename "$MESHSYNC")
export MESHSYNC

tmp=$(mktemp -d /tmp/meshsync-slurm.XXXXXX)
chmod 755 "$tmp"
pids=()
stop() {
  local status=$?
  if [ "$status" != 0 ]; then
    echo "Slurm test failed; the daemons' logs:" >&2
    tail -n 30 "$tmp"/*.out "$tmp"/*.log >&2 2>/dev/null || true
  fi
  for p in "${pids[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  for p in "${pids[@]}"; do
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap stop EXIT

# munge: its own key, socket and files.
mkdir -p "$tmp/munge" "$tmp/state" "$tmp/spool" "$tmp/work"
chmod 711 "$tmp/munge"
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$tmp/munge/munge.key"
munged --foreground --force --key-file="$tmp/munge/munge.key" \
  --socket="$tmp/munge/munge.socket" --pid-file="$tmp/munge/munged.pid" \
  --log-file="$tmp/munged.log" --seed-file="$tmp/munge/munged.seed" >"$tmp/munged.out" 2>&1 &
pids+=($!)

host=$(hostname -s)
ctld_port=${SLURMCTLD_PORT:-6817}
slurmd_port=${SLURMD_PORT:-6818}
export SLURM_CONF="$tmp/slurm.conf"
cat >"$SLURM_CONF" <<CONF
ClusterName=meshsync-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$tmp/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
MinJobAge=600
NodeName=meshsync-node NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF

for _ in $(seq 50); do [ -S "$tmp/munge/munge.socket" ] && break; sleep 0.1; done
slurmctld -D -f "$SLURM_CONF" >"$tmp/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" -N meshsync-node >"$tmp/slurmd.out" 2>&1 &
pids+=($!)

start=$SECONDS
until [ "$(sinfo -h -o %T 2>/dev/null)" = idle ]; do
  if [ $((SECONDS - start)) -ge 60 ]; then
    echo "FAIL: the test cluster is not idle after 60 s" >&2
    sinfo >&2 || true
    tail -20 "$tmp/slurmctld.log" "$tmp/slurmd.log" >&2 || true
    exit 1
  fi
  sleep 0.5
done
echo "Slurm test: cluster idle after $((SECONDS - start)) s ($(nproc) CPUs)"

# A small sweep: 2 points x 2 strategies x 3 seeds = 12 runs of 5 minutes
# of the quickstart world (a few seconds of CPU in all).
cd "$tmp/work"
cat >sweep.json <<JSON
{
  "name": "slurm-test",
  "scenario": "$repo/scenarios/quickstart.json",
  "grid": { "link.loss": [0.0, 0.2] },
  "strategies": ["bsp-interactive", "mvds"],
  "seeds": 3,
  "overrides": { "duration_s": 300 }
}
JSON
"$MESHSYNC" sweep sweep.json --out unsharded --quiet

# Each shard takes its threads from its allocation (--cpus-per-task).
cpus=$(( $(nproc) >= 2 ? 2 : 1 ))
read -r array merge < <("$here/submit.sh" sweep.json cluster 3 "$cpus")
echo "Slurm test: submitted array $array (3 shards, $cpus CPUs each) and merge $merge"
"$here/wait.sh" "$array" "$merge" --timeout 300
diff -r --exclude=provenance.json unsharded cluster/merged
grep -q '"command": "meshsync merge' cluster/merged/provenance.json
for i in 0 1 2; do
  grep -q "\"command\": \"meshsync sweep sweep.json --shard $i/3 --out cluster/shard-$i --threads $cpus --quiet\"" \
    cluster/merged/provenance.json
done
echo "Slurm test: the merged folder equals the unsharded sweep byte for byte ($(find unsharded -type f | wc -l) files)"

# One shard run again alone (as after a node failure): it resumes, and a
# new merge gives the same folder.
rm -rf cluster/merged cluster/shard-1/runs.csv
rm -f "$(ls cluster/shard-1/runs/*.json | head -n 1)"
shard=$(sbatch --parsable --array=1 --cpus-per-task="$cpus" --output=cluster/logs/rerun-%a.out \
  "$here/sweep.sbatch" sweep.json cluster 3)
shard=${shard%%;*}
merge=$(sbatch --parsable --dependency="afterok:$shard" --kill-on-invalid-dep=yes \
  --output=cluster/logs/merge-again.out "$here/merge.sbatch" cluster 3)
merge=${merge%%;*}
"$here/wait.sh" "$shard" "$merge" --timeout 300
diff -r --exclude=provenance.json unsharded cluster/merged
echo "Slurm test: shard 1 of 3 run again alone resumed, and merged to the same bytes"

# A failing array: its merge is cancelled, never left pending, and
# wait.sh fails.
read -r array merge < <("$here/submit.sh" missing.json broken 2 1)
if "$here/wait.sh" "$array" "$merge" --timeout 120; then
  echo "FAIL: wait.sh reported success for a failed array" >&2
  exit 1
fi
scontrol -o show job "$merge" | grep -q 'JobState=CANCELLED' || {
  echo "FAIL: the merge of a failed array is not CANCELLED" >&2
  scontrol show job "$merge" >&2
  exit 1
}
test ! -e broken/merged
echo "Slurm test: a failed shard cancels the merge, and wait.sh fails"
echo "Slurm test passed"
