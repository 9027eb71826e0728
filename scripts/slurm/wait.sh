#!/usr/bin/env bash
# Waits for Slurm jobs to leave the queue, then exits 0 only if every one
# of them (every task of an array) ended COMPLETED.
#
#   scripts/slurm/wait.sh JOB_ID… [--timeout SECONDS]
#
# `sbatch --wait` is not enough: it returns 0 for a job cancelled because
# its dependency failed. This polls squeue, then reads each job's JobState.
set -euo pipefail
timeout=3600
jobs=()
while [ $# -gt 0 ]; do
  case $1 in
    --timeout) timeout=$2; shift 2 ;;
    *) jobs+=("$1"); shift ;;
  esac
done
[ ${#jobs[@]} -gt 0 ] || { echo "usage: $0 JOB_ID… [--timeout SECONDS]" >&2; exit 2; }
ids=$(IFS=,; echo "${jobs[*]}")
start=$SECONDS
while [ -n "$(squeue -h -j "$ids" -o %i 2>/dev/null)" ]; do
  if [ $((SECONDS - start)) -ge "$timeout" ]; then
    echo "wait.sh: jobs $ids still queued or running after ${timeout} s" >&2
    squeue -j "$ids" >&2 || true
    exit 1
  fi
  sleep 1
done
status=0
for j in "${jobs[@]}"; do
  # One JobState per job, or per task of an array.
  states=$(scontrol -o show job "$j" | grep -o 'JobState=[A-Z_]*' | cut -d= -f2 | sort | uniq -c | tr -s ' ')
  echo "job $j:$states"
  if [ -z "$states" ] || scontrol -o show job "$j" | grep -o 'JobState=[A-Z_]*' | grep -qv 'JobState=COMPLETED$'; then
    scontrol -o show job "$j" | grep -o 'JobId=[0-9_]* .*JobState=[A-Z_]* Reason=[^ ]*' | sed 's/ .*JobState=/: /' >&2 || true
    status=1
  fi
done
exit $status
