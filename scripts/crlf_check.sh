#!/usr/bin/env bash
# What a CR LF flood costs pollserver's legitimate clients, measured one window after another.
# The flooder is a client process: on a 2-core machine it has to share a core with wrk, and a
# naive "clean vs flood" comparison then charges the attacker's own CPU to the server. So each
# round times wrk three ways on the same core: alone, beside a busy loop (the same CPU share
# the flooder takes), and beside the flooder. The server has the other core to itself.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: scripts/crlf_check.sh [--backend NAME] [--rounds R] [--window S] [--build DIR] [--out FILE] [--help]

Starts build/release/bin/pollserver on CPU 1 and, per round, measures wrk -t1 -c10 on CPU 0
for one window each:
  clean     wrk alone
  matched   wrk beside a busy loop (one process spinning on wrk's core)
  flood     wrk beside scripts/hostile_clients.py --crlf 1 (one connection sending CR LF as
            fast as the server takes it; refused with 431 at the header limit, then again)
Prints each round, then the medians of flood/matched (what the flood costs through the
server) and flood/clean (that plus the flooder's CPU on wrk's core), the flood's rate
(connections/s, MB/s sent), the server's CPU seconds per window and its peak RSS.

  --backend NAME  the server's backend (default epoll_lt)
  --rounds R      rounds (default 5)
  --window S      seconds per wrk window (default 5)
  --build DIR     where pollserver is (default build/release/bin)
  --out FILE      also write the result as one JSON object there

Needs 2 CPUs, wrk and python3. Loopback only. Everything it starts stops with it.
USAGE
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib/options.sh
. "$here/lib/options.sh"
# shellcheck source=scripts/lib/rig.sh
. "$here/lib/rig.sh"
pb_prog=scripts/crlf_check.sh

backend=epoll_lt rounds=5 window=5 build=build/release/bin out=""
pb_parse_options --backend=backend --rounds=rounds --window=window --build=build --out=out -- "$@"
[[ "$rounds" =~ ^[0-9]+$ ]] && [ "$rounds" -ge 1 ] && [ "$rounds" -le 100 ] ||
  pb_usage_error "--rounds takes a whole number from 1 to 100, not '$rounds'"
[[ "$window" =~ ^[0-9]+$ ]] && [ "$window" -ge 1 ] && [ "$window" -le 600 ] ||
  pb_usage_error "--window takes whole seconds from 1 to 600, not '$window'"

cd "$here/.."
pollserver=$build/pollserver
[ -x "$pollserver" ] || pb_usage_error "no pollserver at '$pollserver' (build it: cmake --build --preset release --target pollserver)"
command -v wrk >/dev/null || pb_usage_error "wrk is not installed (apt-get install wrk)"
python=$(command -v python3) || pb_usage_error "python3 is not installed"
[ "$(nproc)" -ge 2 ] || pb_usage_error "needs 2 CPUs (the server on one, the clients on the other); this machine has $(nproc)"

rig_init crlf_check 1
work=$rig_work
rig_start_server "$pollserver" "$backend" || exit 1
port=$rig_port

# One wrk window on the client CPU; prints "requests/s server-cpu-seconds".
measure() {
  local t0 t1 rps
  t0=$(rig_cpu_ticks "$rig_server_pid")
  rps=$(rig_wrk "$window" 10 | rig_rps)
  t1=$(rig_cpu_ticks "$rig_server_pid")
  echo "$rps $(awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", d / hz}')"
}
# A side process on the client CPU outlives the window by a second at each end.
side_seconds=$((window + 2))
start_busy() { rig_busy "$side_seconds"; sleep 1; }
start_flood() {
  "${rig_client[@]}" "$python" scripts/hostile_clients.py --target "127.0.0.1:$port" --seconds "$side_seconds" \
      --slowloris 0 --crlf 1 --pipeliners 0 --resets 0 >"$work/flood.json" 2>"$work/flood.err" &
  rig_side $!
  sleep 1
}
finish_side() { rig_side_done || { echo "crlf_check.sh: side process failed: $(cat "$work/flood.err" 2>/dev/null)" >&2; exit 1; }; }

echo "crlf_check: pollserver --backend $backend on CPU $rig_server_cpu; wrk -t1 -c10 on CPU $rig_client_cpu, ${window}s windows, $rounds rounds"
results=$work/rounds.txt
for round in $(seq "$rounds"); do
  read -r clean clean_cpu < <(measure)
  start_busy; read -r matched matched_cpu < <(measure); finish_side
  start_flood; read -r flood flood_cpu < <(measure); finish_side
  rate=$("$python" -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(round(d["opened"] / d["seconds"]), round(d["bytes_sent"] / d["seconds"] / 1e6), d["refused_431"])' "$work/flood.json")
  echo "$round $clean $clean_cpu $matched $matched_cpu $flood $flood_cpu $rate" >>"$results"
  read -r conns mbs refused <<<"$rate"
  echo "round $round: clean $clean req/s, matched $matched, flood $flood" \
       "(flood/matched $(awk -v a="$flood" -v b="$matched" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'));" \
       "server CPU ${clean_cpu}/${matched_cpu}/${flood_cpu} s; flood $conns conn/s, $mbs MB/s, $refused refused with 431"
done
peak_rss=$(rig_status_kb "$rig_server_pid" VmHWM)

"$python" - "$backend" "$window" "$peak_rss" "$results" "$out" <<'PY'
import json, statistics, sys
backend, window, peak_rss, path, out = sys.argv[1:6]
rows = [list(map(float, line.split())) for line in open(path)]
keys = ("round", "clean_rps", "clean_server_cpu_s", "matched_rps", "matched_server_cpu_s",
        "flood_rps", "flood_server_cpu_s", "flood_connections_per_s", "flood_mb_per_s", "refused_431")
rounds = [dict(zip(keys, r)) for r in rows]
def ratio(a, b):
    return [r[a] / r[b] if r[b] else 0.0 for r in rounds]
result = {
    "backend": backend, "window_s": int(window), "rounds": rounds, "peak_rss_kb": int(peak_rss),
    "flood_over_matched_median": round(statistics.median(ratio("flood_rps", "matched_rps")), 3),
    "flood_over_clean_median": round(statistics.median(ratio("flood_rps", "clean_rps")), 3),
    "flood_connections_per_s_median": round(statistics.median(r["flood_connections_per_s"] for r in rounds)),
    "flood_mb_per_s_median": round(statistics.median(r["flood_mb_per_s"] for r in rounds)),
}
print(f"{backend}: median flood/matched {result['flood_over_matched_median']:.2f}, "
      f"flood/clean {result['flood_over_clean_median']:.2f} over {len(rounds)} rounds; the flood ran at a median "
      f"{result['flood_connections_per_s_median']} connections/s and {result['flood_mb_per_s_median']} MB/s; "
      f"server peak RSS {int(peak_rss) / 1024:.1f} MiB")
if out:
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
PY
