#!/usr/bin/env bash
# Prints the sha256 of summary.json and deliveries.csv for every bundled
# scenario under every strategy (plus scale-1k under bsp-batch), and of a
# compare and a sweep (provenance.json, which differs by invocation and
# build, left out). A refactoring must leave this listing unchanged:
#   scripts/output_hashes.sh > before.txt; ...; scripts/output_hashes.sh | diff before.txt -
# The strategies are the binary's own (`meshsync strategies`); MESHSYNC
# names another binary (an older build, to compare with).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${MESHSYNC:-target/release/meshsync}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for s in quickstart mobile-churn public-chat partition-heal mailserver-on mailserver-off contact-trace faults helsinki; do
  for st in $("$bin" strategies | awk '{ print $1 }'); do
    "$bin" run "scenarios/$s.json" --strategy "$st" --out "$tmp/$s-$st" -q
    (cd "$tmp/$s-$st" && sha256sum summary.json deliveries.csv | sed "s|  |  $s/$st/|")
  done
done
"$bin" run scenarios/scale-1k.json --out "$tmp/scale-1k" -q
(cd "$tmp/scale-1k" && sha256sum summary.json deliveries.csv | sed "s|  |  scale-1k/|")
"$bin" compare scenarios/mobile-churn.json --seeds 3 --out "$tmp/compare" --quiet
(cd "$tmp/compare" && sha256sum comparison.json comparison.csv | sed "s|  |  compare/|")
"$bin" sweep scenarios/sweeps/online-fraction.json --out "$tmp/sweep" --quiet >/dev/null
# provenance.json records the command; sweep.json and points.json the
# build (its git commit), which a refactoring changes: hashed without it.
(cd "$tmp/sweep" && for f in $(ls | grep -v '\.png$\|\.svg$\|^provenance\.json$' | sort); do
  [ -f "$f" ] && grep -v '^ *"meshsync": ' "$f" | sha256sum | sed "s|-\$|$f|"
done | sed "s|  |  sweep/|")
