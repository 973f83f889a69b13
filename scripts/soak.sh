#!/usr/bin/env bash
# A hostile soak of pollserver: per backend, a clean wrk baseline, then wrk again while
# scripts/hostile_clients.py attacks the server for the given time. Reports the legitimate
# client's requests/s against its baseline, the server's peak RSS, and its fds at the end
# against the start. Not part of the default test run (it takes minutes per backend).
#
# The attackers are a process on the same machine. On two cores it takes CPU from wrk, which
# is not a cost of the server; so the server gets a core of its own, wrk and the attackers
# share the other, and the baseline is also measured beside a busy loop on wrk's core (the
# "matched" baseline, fair when the attackers keep their core busy: their CPU share is printed).
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: scripts/soak.sh [--minutes M | --seconds S] [--backend NAME]... [--build DIR]
                       [--slowloris N] [--window S] [--no-pin] [--out FILE] [--help]

For each backend: start build/release/bin/pollserver on CPU 1, measure wrk -t1 -c10 on CPU 0
clean, alone and beside a busy loop on CPU 0 (matched), a window each before the attack and
again after it (each baseline is the mean of its two windows), and run
scripts/hostile_clients.py on CPU 0 for the soak time:
  - 5,000 slowloris connections (a request line, then one header byte every 5 s)
  - an idle crowd that fills the server's fd table up to its limit, less a margin for wrk
  - 2 CR LF flooders, 20 never-reading pipeliners (64 KiB of GETs each),
    a reset storm of 200 connections a second
and measure wrk in back-to-back windows from a few seconds in until the attack ends.

  --minutes M     soak time per backend (default 10)
  --seconds S     soak time in seconds instead (a short smoke: --seconds 20)
  --backend NAME  a backend to soak; repeat for several (default: every backend that
                  DIR/backends_list --json lists as available here)
  --build DIR     where pollserver and backends_list are (default build/release/bin)
  --slowloris N   slowloris connections (default 5000)
  --window S      seconds per wrk measurement (default 5)
  --no-pin        no CPU pinning and no matched baseline (one CPU, or to see everything shared)
  --out FILE      also append one JSON line per backend there

Prints per backend: clean, matched and under-attack requests/s (mean of the windows, and the
lowest), the ratios to both baselines, the attackers' CPU share, the server's RSS at start, at
its peak (VmHWM) and after the attack, its fds at start and end, and its error counts.
Exits 1 if the server died, or did not get back to its starting fd count once the attack
ended; throughput is reported, not judged (select and poll pay for every watched fd).
Loopback only; needs wrk and python3. Everything it starts stops with it.
USAGE
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib/options.sh
. "$here/lib/options.sh"
# shellcheck source=scripts/lib/rig.sh
. "$here/lib/rig.sh"
pb_prog=scripts/soak.sh

minutes="" seconds="" backends=() build=build/release/bin slowloris=5000 window=5 no_pin=0 out=""
pb_parse_options --minutes=minutes --seconds=seconds --backend+=backends --build=build --slowloris=slowloris \
  --window=window --no-pin:no_pin --out=out -- "$@"
soak_seconds=600
if [ -n "${pb_given[--minutes]:-}" ]; then
  [[ "$minutes" =~ ^[0-9]+$ ]] && [ "$minutes" -ge 1 ] || pb_usage_error "--minutes takes a whole number from 1, not '$minutes'"
  soak_seconds=$((minutes * 60))
fi
if [ -n "${pb_given[--seconds]:-}" ]; then
  [[ "$seconds" =~ ^[0-9]+$ ]] && [ "$seconds" -ge 10 ] || pb_usage_error "--seconds takes a whole number from 10, not '$seconds'"
  soak_seconds=$seconds
fi
[[ "$slowloris" =~ ^[0-9]+$ ]] || pb_usage_error "--slowloris takes a whole number, not '$slowloris'"
[[ "$window" =~ ^[0-9]+$ ]] && [ "$window" -ge 1 ] || pb_usage_error "--window takes a whole number of seconds from 1, not '$window'"
pin=$((1 - no_pin))

cd "$here/.."
pollserver=$build/pollserver
[ -x "$pollserver" ] || pb_usage_error "no pollserver at '$pollserver' (build it: cmake --build --preset release --target pollserver)"
command -v wrk >/dev/null || pb_usage_error "wrk is not installed (apt-get install wrk)"
python=$(command -v python3) || pb_usage_error "python3 is not installed"
if [ "$pin" = 1 ] && [ "$(nproc)" -lt 2 ]; then pb_usage_error "pinning needs 2 CPUs, this machine has $(nproc) (use --no-pin)"; fi
# The backends as this build lists them (backends_list --json): by default every available one;
# a named one must be listed, and one this machine cannot run is refused with the reason.
listing=$("$build/backends_list" --json) || pb_usage_error "'$build/backends_list --json' failed (build it with pollserver)"
mapfile -t listed < <("$python" -c 'import json, sys
for b in json.load(sys.stdin):
    print(b["name"], "available" if b["available"] else b["reason"])' <<<"$listing")
if [ ${#backends[@]} -eq 0 ]; then
  for entry in "${listed[@]}"; do [ "${entry#* }" = available ] && backends+=("${entry%% *}"); done
fi
for backend in "${backends[@]}"; do
  entry=$(printf '%s\n' "${listed[@]}" | awk -v b="$backend" '$1 == b')
  [ -n "$entry" ] || pb_usage_error "unknown backend '$backend' (listed: $(printf '%s\n' "${listed[@]}" | cut -d' ' -f1 | paste -sd,))"
  [ "${entry#* }" = available ] || pb_usage_error "backend '$backend' is not available here: ${entry#* }"
done

ulimit -n "$(ulimit -Hn)"
fd_limit=$(ulimit -n)
# The hostile process and the server each hold one end of every connection; leave room for wrk,
# the listener and the reset storm in flight.
crlf=2 pipeliners=20 resets=200
idle=$(( fd_limit - slowloris - crlf - pipeliners - resets - 600 ))
[ "$idle" -ge 0 ] || pb_usage_error "--slowloris $slowloris does not fit the fd limit $fd_limit"

rig_init soak "$pin"
work=$rig_work
# A wrk -t1 -c10 window on the client CPU; prints requests/s (0 if wrk failed).
measure() { rig_wrk "$window" 10 | rig_rps; }
# One window beside a busy loop on wrk's CPU: the CPU share the attackers take there.
measure_matched() {
  rig_busy $((window + 2))
  sleep 1
  measure
  rig_side_done || true
}
mean() { printf '%s\n' "$@" | awk '{s += $1} END {printf "%.1f", NR ? s / NR : 0}'; }

failed=0
echo "soak: ${soak_seconds}s per backend, fd limit $fd_limit: $slowloris slowloris, $idle idle, $crlf CR LF floods," \
     "$pipeliners never-reading pipeliners, $resets resets/s; wrk -t1 -c10 in ${window}s windows"
for backend in "${backends[@]}"; do
  stats=$work/stats-$backend.json
  rig_start_server "$pollserver" "$backend" --stats "$stats" || { failed=1; continue; }
  server_pid=$rig_server_pid port=$rig_port
  fds_start=$(rig_fd_count "$server_pid")
  rss_start=$(rig_status_kb "$server_pid" VmRSS)

  # The clean figure is taken in windows before and after the attack: a shared machine drifts,
  # and both sides of the attack bound what the server does clean.
  clean_windows=("$(measure)")
  matched_windows=()
  [ "$pin" = 1 ] && matched_windows+=("$(measure_matched)")

  "${rig_client[@]}" "$python" scripts/hostile_clients.py --target "127.0.0.1:$port" --seconds "$soak_seconds" \
      --slowloris "$slowloris" --idle "$idle" --crlf "$crlf" --pipeliners "$pipeliners" --resets "$resets" \
      >"$work/hostile.json" 2>"$work/hostile.err" &
  hostile_pid=$!
  rig_side "$hostile_pid"
  hostile_ticks=$(rig_cpu_ticks "$hostile_pid") hostile_started=$(date +%s.%N)
  # Let the crowd build before measuring, then measure until the attack is about to end.
  ramp=$(( soak_seconds / 6 < 10 ? soak_seconds / 6 : 10 ))
  sleep "$ramp"
  end=$(( $(date +%s) + soak_seconds - ramp - window - 1 ))
  windows=()
  peak_fds=0
  while :; do
    windows+=("$(measure)")
    fds=$(rig_fd_count "$server_pid"); [ "$fds" -gt "$peak_fds" ] && peak_fds=$fds
    [ "$(date +%s)" -lt "$end" ] || break
  done
  hostile_ticks=$(( $(rig_cpu_ticks "$hostile_pid") - hostile_ticks ))
  hostile_share=$(awk -v t="$hostile_ticks" -v hz="$(getconf CLK_TCK)" -v s="$hostile_started" -v e="$(date +%s.%N)" \
                  'BEGIN {printf "%.2f", t / hz / (e - s)}')
  rig_side_done || { echo "soak: $backend: hostile_clients failed: $(cat "$work/hostile.err")" >&2; failed=1; }

  # Every hostile connection is gone: the server's fds must come back to where they started.
  fds_end=$(rig_fd_count "$server_pid")
  for _ in $(seq 100); do [ "$fds_end" -le "$fds_start" ] && break; sleep 0.1; fds_end=$(rig_fd_count "$server_pid"); done
  peak_rss=$(rig_status_kb "$server_pid" VmHWM)
  # After the attack: what the server kept (it gives freed buffers back once its connections fall
  # well below their peak).
  rss_end=$(rig_status_kb "$server_pid" VmRSS)
  if kill -0 "$server_pid" 2>/dev/null; then
    clean_windows+=("$(measure)")
    [ "$pin" = 1 ] && matched_windows+=("$(measure_matched)")
  fi
  clean=$(mean "${clean_windows[@]}")
  matched=$(mean "${matched_windows[@]}")
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "soak: $backend: pollserver died: $(cat "$work/server.err")" >&2
    failed=1
    rig_server_pid=""
    continue
  fi
  rig_stop_server

  summary=$("$python" - "$backend" "$clean" "$matched" "$hostile_share" "$peak_rss" "$rss_start" "$fds_start" "$fds_end" \
                     "$peak_fds" "$rss_end" "$stats" "$work/hostile.json" "${clean_windows[*]}" "${matched_windows[*]}" "${windows[@]}" <<'PY'
import json, sys
(backend, clean, matched, hostile_share, peak_rss, rss_start, fds_start, fds_end, peak_fds, rss_end, stats_path,
 hostile_path, clean_windows, matched_windows) = sys.argv[1:15]
clean_windows = [float(w) for w in clean_windows.split()]
matched_windows = [float(w) for w in matched_windows.split()]
windows = [float(w) for w in sys.argv[15:]]
clean, matched = float(clean), float(matched)
mean = sum(windows) / len(windows) if windows else 0.0
with open(stats_path) as f:
    stats = json.load(f)
try:
    with open(hostile_path) as f:
        hostile = json.load(f)
except (OSError, ValueError):
    hostile = {}
result = {
    "backend": backend, "pinned": bool(matched_windows), "clean_rps": clean, "clean_windows": clean_windows,
    "matched_rps": matched, "matched_windows": matched_windows, "attackers_cpu_share": float(hostile_share),
    "attack_rps_mean": round(mean, 1),
    "attack_rps_min": min(windows) if windows else 0.0, "windows": len(windows),
    "ratio": round(mean / clean, 3) if clean else 0.0,
    "ratio_to_matched": round(mean / matched, 3) if matched else None,
    "rss_start_kb": int(rss_start or 0), "peak_rss_kb": int(peak_rss or 0), "rss_end_kb": int(rss_end or 0),
    "fds_start": int(fds_start), "fds_end": int(fds_end), "peak_fds": int(peak_fds),
    "server_errors": stats["errors"], "accepted": stats["connections"]["accepted"], "hostile": hostile,
}
print(json.dumps(result))
matched_text = (f", {100 * result['ratio_to_matched']:.1f}% of matched {matched:.0f} req/s (attackers used "
                f"{100 * float(hostile_share):.0f}% of a CPU)") if matched_windows else ""
print(f"{backend}: clean {clean:.0f} req/s, under attack {mean:.0f} req/s (lowest {result['attack_rps_min']:.0f}, "
      f"{len(windows)} windows) = {100 * result['ratio']:.1f}% of clean{matched_text}; peak RSS {result['peak_rss_kb'] / 1024:.1f} MiB "
      f"(start {result['rss_start_kb'] / 1024:.1f}, after the attack {result['rss_end_kb'] / 1024:.1f}); fds {fds_start} at start, {peak_fds} at peak, {fds_end} at end; "
      f"{result['accepted']} connections accepted; errors {stats['errors']}", file=sys.stderr)
PY
)
  [ -n "$out" ] && echo "$summary" >>"$out"
  fds_end_value=$(echo "$summary" | "$python" -c 'import json,sys; r=json.load(sys.stdin); print(r["fds_end"] - r["fds_start"])')
  if [ "$fds_end_value" -gt 0 ]; then
    echo "soak: $backend: $fds_end_value fds more at the end than at the start" >&2
    failed=1
  fi
done
exit "$failed"
