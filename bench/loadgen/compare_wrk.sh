#!/usr/bin/env bash
# Runs wrk and loadgen one after the other against one pollserver and prints each run's
# requests/s, the medians and the loadgen/wrk ratio: the check that loadgen, with one thread
# and 100 connections, is at least as fast a closed-loop client as `wrk -t1 -c100`.
#
#   bench/loadgen/compare_wrk.sh [--build DIR] [--backend NAME] [--rounds N] [--duration S]
#                                [--connections C] [--pin]
#
# --pin puts pollserver on the last CPU this process may use and the client on the first
# (taskset), so the two never share a core. Needs wrk (Debian package wrk).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/lib/options.sh
. "$repo/scripts/lib/options.sh"
# shellcheck source=scripts/lib/rig.sh
. "$repo/scripts/lib/rig.sh"
pb_prog=bench/loadgen/compare_wrk.sh

build=build/release backend=epoll_lt rounds=3 duration=3 connections=100 pin=0
usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; }
pb_parse_options --build=build --backend=backend --rounds=rounds --duration=duration --connections=connections \
  --pin:pin -- "$@"
for value in "$rounds" "$duration" "$connections"; do
  [[ "$value" =~ ^[1-9][0-9]*$ ]] || pb_usage_error "--rounds, --duration and --connections take whole numbers from 1, not '$value'"
done
cd "$repo"
for tool in "$build/bin/pollserver" "$build/bin/loadgen"; do
  [ -x "$tool" ] || pb_usage_error "$tool not built (cmake --build $build --target pollserver loadgen)"
done
command -v wrk >/dev/null || pb_usage_error "wrk is not installed (apt-get install wrk)"

rig_init compare_wrk "$pin"
rig_start_server "$build/bin/pollserver" "$backend" || exit 1
echo "pollserver --backend $backend on $rig_address; $rounds rounds of ${duration}s, $connections connections, 1 thread"

wrk_rates=() loadgen_rates=()
for round in $(seq "$rounds"); do
  wrk_out=$(rig_wrk "$duration" "$connections")
  wrk_rps=$(rig_rps <<<"$wrk_out")
  wrk_errors=$(echo "$wrk_out" | grep -E 'Socket errors|Non-2xx' || true)
  lg_json=$("${rig_client[@]}" "$build/bin/loadgen" --target "$rig_address" --idle 0 --active "$connections" \
            --threads 1 --duration "$duration" 2>/dev/null)
  read -r lg_rps lg_errors < <(python3 -c 'import json, sys
r = json.load(sys.stdin)
print(r["requests_per_sec"], r["errors_total"])' <<<"$lg_json")
  printf 'round %d: wrk %10.0f req/s %s| loadgen %10.0f req/s (errors %s)\n' "$round" "$wrk_rps" \
         "${wrk_errors:+($wrk_errors) }" "$lg_rps" "$lg_errors"
  wrk_rates+=("$wrk_rps") loadgen_rates+=("$lg_rps")
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
wrk_median=$(median "${wrk_rates[@]}")
lg_median=$(median "${loadgen_rates[@]}")
awk -v w="$wrk_median" -v l="$lg_median" \
  'BEGIN {printf "median: wrk %.0f req/s, loadgen %.0f req/s, loadgen/wrk = %.3f\n", w, l, l / w}'
