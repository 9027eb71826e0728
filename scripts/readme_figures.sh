#!/usr/bin/env bash
# Prints every protocol figure README.md quotes, from the current release binary.
#   scripts/readme_figures.sh            # all tables (the baseline compare runs ~1 min)
#   SKIP_COMPARE=1 scripts/readme_figures.sh
# Runs write to a temporary folder; the compare table is read from results/baseline/,
# which it regenerates with the README's command unless SKIP_COMPARE=1.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
BIN=target/release/meshsync
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
STRATS="bsp-batch bsp-interactive mvds mvds-vac epidemic mailserver-only"

run() { # scenario strategy -> summary.json path
  local out="$TMP/$1-$2"
  "$BIN" run "scenarios/$1.json" --strategy "$2" --out "$out" -q >/dev/null
  echo "$out/summary.json"
}

echo "## What you get: meshsync run scenarios/quickstart.json"
"$BIN" run scenarios/quickstart.json --out "$TMP/qs" | sed "s#$TMP/qs#results/quickstart#"
echo
echo "## quickstart, both BSP modes (strategy_config.bsp.batch.max_latency_s as in the file)"
for s in bsp-interactive bsp-batch; do
  jq -r --arg s "$s" '"\($s): ratio \(.delivery_ratio) mean \(.latency_mean_s) bytes \(.bytes_sent_total) payloads \(.payloads_sent) dup \(.duplicate_messages_received)"' "$(run quickstart $s)"
done
echo
echo "## Strategies side by side (seed 1)"
echo "| scenario | strategy | delivery ratio | p50 latency | p90 latency | bytes / delivery | mailserver bytes | convergence_s |"
echo "|---|---|---|---|---|---|---|---|"
f3() { jq -r 'def f: if . == null then "-" else (. * 1000 | round / 1000 | tostring | if test("\\.") then (split(".") | .[0] + "." + (.[1] + "000")[0:3]) else . + ".000" end) end;
  "| \(.scenario) | \(.strategy) | \(.delivery_ratio | f) | \(.latency_p50_s | f) | \(.latency_p90_s | f) | \(.bytes_per_delivery | f) | \(.mailserver_bytes) | \(.convergence_s | f) |"' "$1"; }
for sc in mailserver-on mailserver-off partition-heal contact-trace; do
  for s in $STRATS; do f3 "$(run $sc $s)"; done
done
echo
echo "## Faults (meshsync run scenarios/faults.json --strategy S)"
echo "| strategy | payloads_duplicated | blocked_deliveries | causal_violations | delivered_before_parent | crashes | messages_lost | deliveries_without_parents | undelivered_missing_parents | spam_bytes | spam_bytes_relayed | bytes_sent_total | unauthorized_accepted | delivery_ratio |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for s in $STRATS; do
  jq -r '"| \(.strategy) | \(.payloads_duplicated) | \(.blocked_deliveries) | \(.causal_violations) | \(.delivered_before_parent) | \(.crashes) | \(.messages_lost) | \(.deliveries_without_parents) | \(.undelivered_missing_parents) | \(.spam_bytes) | \(.spam_bytes_relayed) | \(.bytes_sent_total) | \(.unauthorized_accepted) | \(.delivery_ratio) |"' "$(run faults $s)"
done
echo
echo "## Helsinki (meshsync run scenarios/helsinki.json, epidemic)"
"$BIN" run scenarios/helsinki.json --out "$TMP/helsinki" | sed "s#$TMP/helsinki#results/helsinki#"
echo
if [ -z "${SKIP_COMPARE:-}" ]; then
  echo "## Comparing strategies: cargo run --release -- compare scenarios/mobile-churn.json --seeds 5 --out results/baseline"
  "$BIN" compare scenarios/mobile-churn.json --seeds 5 --out results/baseline
else
  echo "## Comparing strategies (results/baseline/comparison.csv, not rerun)"
  cat results/baseline/comparison.csv
fi
