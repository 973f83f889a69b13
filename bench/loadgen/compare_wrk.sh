#!/usr/bin/env bash
# Runs wrk and loadgen one after the other against one pollserver and prints each run's
# requests/s, the medians and the loadgen/wrk ratio: the check that loadgen, with one thread
# and 100 connections, is at least as fast a closed-loop client as `wrk -t1 -c100`.
#
#   bench/loadgen/compare_wrk.sh [--build DIR] [--backend NAME] [--rounds N] [--duration S]
#                                [--connections C] [--pin]
#
# --pin puts pollserver on the first allowed CPU and the client on the last (taskset), so
# the two never share a core. Needs wrk (Debian package wrk).
set -euo pipefail

build=build/release backend=epoll_lt rounds=3 duration=3 connections=100 pin=0
usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift ;;
    --backend) backend=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --duration) duration=$2; shift ;;
    --connections) connections=$2; shift ;;
    --pin) pin=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "error: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
cd "$(dirname "$0")/../.."
for tool in "$build/bin/pollserver" "$build/bin/loadgen"; do
  [ -x "$tool" ] || { echo "error: $tool not built (cmake --build $build --target pollserver loadgen)" >&2; exit 2; }
done
command -v wrk >/dev/null || { echo "error: wrk is not installed (apt-get install wrk)" >&2; exit 2; }

server_cpu=() client_cpu=()
if [ "$pin" = 1 ]; then
  cpus=$(taskset -pc $$ | sed 's/.*: //')
  first=$(echo "$cpus" | tr ',-' '\n\n' | head -1)
  last=$(echo "$cpus" | tr ',-' '\n\n' | tail -1)
  server_cpu=(taskset -c "$first") client_cpu=(taskset -c "$last")
fi

out=$(mktemp -d)
trap 'kill "$server_pid" 2>/dev/null || true; rm -rf "$out"' EXIT
"${server_cpu[@]}" "$build/bin/pollserver" --backend "$backend" --port 0 >"$out/server.json" 2>"$out/server.err" &
server_pid=$!
for _ in $(seq 50); do grep -q '^listening on' "$out/server.json" 2>/dev/null && break; sleep 0.1; done
address=$(sed -n 's/^listening on //p' "$out/server.json")
[ -n "$address" ] || { echo "error: pollserver did not start: $(cat "$out/server.err")" >&2; exit 1; }
echo "pollserver --backend $backend on $address; $rounds rounds of ${duration}s, $connections connections, 1 thread"

wrk_rates=() loadgen_rates=()
for round in $(seq "$rounds"); do
  wrk_out=$("${client_cpu[@]}" wrk -t1 -c"$connections" -d"${duration}s" "http://$address/")
  wrk_rps=$(echo "$wrk_out" | awk '/^Requests\/sec:/ {print $2}')
  wrk_errors=$(echo "$wrk_out" | grep -E 'Socket errors|Non-2xx' || true)
  lg_json=$("${client_cpu[@]}" "$build/bin/loadgen" --target "$address" --idle 0 --active "$connections" \
            --threads 1 --duration "$duration" 2>/dev/null)
  lg_rps=$(echo "$lg_json" | sed -n 's/.*"requests_per_sec": \([0-9.e+]*\).*/\1/p')
  lg_errors=$(echo "$lg_json" | sed -n 's/.*"errors_total": \([0-9]*\).*/\1/p')
  printf 'round %d: wrk %10.0f req/s %s| loadgen %10.0f req/s (errors %s)\n' "$round" "$wrk_rps" \
         "${wrk_errors:+($wrk_errors) }" "$lg_rps" "$lg_errors"
  wrk_rates+=("$wrk_rps") loadgen_rates+=("$lg_rps")
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
wrk_median=$(median "${wrk_rates[@]}")
lg_median=$(median "${loadgen_rates[@]}")
awk -v w="$wrk_median" -v l="$lg_median" \
  'BEGIN {printf "median: wrk %.0f req/s, loadgen %.0f req/s, loadgen/wrk = %.3f\n", w, l, l / w}'
