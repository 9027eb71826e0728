#!/usr/bin/env bash
# Side by side: two meshsync binaries on the same scenarios, run by run in
# turn (A, B, A, B, …) so drift on a shared VM hits both alike; prints each
# binary's median wall time (whole `meshsync run -q`, writing included) and
# the ratio B/A. Works from any folder.
#   scripts/ab_bench.sh OLD_BINARY NEW_BINARY RUNS SCENARIO...
# e.g. scripts/ab_bench.sh /tmp/old/meshsync target/release/meshsync 7 \
#        scenarios/helsinki.json scenarios/scale-1k.json
set -euo pipefail
if [ $# -lt 4 ]; then
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
a=$1 b=$2 runs=$3
shift 3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
wall() { # binary scenario out -> seconds
  local t0 t1
  t0=$(date +%s.%N)
  "$1" run "$2" --out "$3" -q >/dev/null
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
}
printf '%-32s %10s %10s %8s\n' scenario "A median s" "B median s" "B/A"
for s in "$@"; do
  : >"$tmp/a" ; : >"$tmp/b"
  for i in $(seq "$runs"); do
    wall "$a" "$s" "$tmp/out-a-$i" >>"$tmp/a"
    wall "$b" "$s" "$tmp/out-b-$i" >>"$tmp/b"
    rm -rf "$tmp"/out-*
  done
  ma=$(median <"$tmp/a") mb=$(median <"$tmp/b")
  printf '%-32s %10.3f %10.3f %8.3f\n' "$(basename "$s")" "$ma" "$mb" "$(awk -v a="$ma" -v b="$mb" 'BEGIN { print b / a }')"
done
