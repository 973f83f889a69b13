# shellcheck shell=bash
# The server-and-load rig of scripts/soak.sh, scripts/crlf_check.sh and
# bench/loadgen/compare_wrk.sh, written once. Sourced from the repository root (cd there first).
#
#   rig_init NAME PIN       a scratch directory ($rig_work), a trap that stops everything the rig
#                           started and removes it, INT/TERM -> exit 130, and the command
#                           prefixes $rig_server and $rig_client (arrays): what they start dies
#                           with the script even on SIGKILL (setpriv --pdeathsig), and with PIN=1
#                           the server runs on the last CPU this process may use, the clients on
#                           the first ($rig_server_cpu, $rig_client_cpu: those CPUs' numbers)
#   rig_start_server BIN BACKEND ARGS...
#                           pollserver on the server CPU at a free port: $rig_server_pid,
#                           $rig_address (HOST:PORT), $rig_port; returns 1 with its stderr if it
#                           did not start
#   rig_listening FILE      waits (up to 5 s) for a server's first line 'listening on HOST:PORT' in
#                           FILE and prints HOST:PORT, or nothing if it never came (also for
#                           tests that start pollserver in a network namespace of their own)
#   rig_stop_server         SIGINT, then waits for it
#   rig_wrk SECONDS CONNS   one `wrk -t1` window on the client CPU: its whole output
#   rig_rps                 requests/s from wrk's output on stdin (0 if wrk failed)
#   rig_busy SECONDS        a busy loop on the client CPU in the background ($rig_side_pid)
#   rig_side PID            remembers a background process the rig must stop on exit
#   rig_side_done           waits for the side process; its exit status
#   rig_cpu_ticks PID       user + system clock ticks of PID so far
#   rig_fd_count PID        its open fds
#   rig_status_kb PID KEY   a /proc/PID/status figure in kB (VmRSS, VmHWM)

rig_server_pid="" rig_side_pid="" rig_work=""
rig_server=() rig_client=() rig_server_cpu="" rig_client_cpu=""

# The scripts run under set -e: every step here must succeed whatever is left to stop.
rig_cleanup() {
  if [ -n "$rig_side_pid" ]; then kill "$rig_side_pid" 2>/dev/null || true; fi
  if [ -n "$rig_server_pid" ]; then kill "$rig_server_pid" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  if [ -n "$rig_work" ]; then rm -rf "$rig_work"; fi
}

rig_init() {
  local name=$1 pin=$2 cpus
  rig_work=$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXXXX")
  trap rig_cleanup EXIT
  trap 'exit 130' INT TERM
  # A SIGKILL runs no trap: the kernel stops what the rig started when its parent dies.
  rig_server=() rig_client=() rig_server_cpu="" rig_client_cpu=""
  if setpriv --pdeathsig KILL true 2>/dev/null; then rig_server=(setpriv --pdeathsig KILL) rig_client=("${rig_server[@]}"); fi
  [ "$pin" = 1 ] || return 0
  # The CPUs this process may use, as taskset lists them ("0-3", "0,2"): the server gets the
  # last, the clients the first, so the two never share a core.
  cpus=$(taskset -pc $$ | sed 's/.*: //' | tr ',-' '\n\n')
  rig_server_cpu=$(tail -n 1 <<<"$cpus") rig_client_cpu=$(head -n 1 <<<"$cpus")
  rig_server+=(taskset -c "$rig_server_cpu")
  rig_client+=(taskset -c "$rig_client_cpu")
}

rig_listening() {
  for _ in $(seq 100); do grep -q '^listening on ' "$1" 2>/dev/null && break; sleep 0.05; done
  sed -n '1s/^listening on //p' "$1" 2>/dev/null
}

rig_start_server() {
  local binary=$1 backend=$2
  shift 2
  # setpriv and taskset exec the server, so $! is the server's own pid.
  "${rig_server[@]}" "$binary" --backend "$backend" --port 0 "$@" >"$rig_work/server.out" 2>"$rig_work/server.err" &
  rig_server_pid=$!
  rig_address=$(rig_listening "$rig_work/server.out")
  if [ -z "$rig_address" ]; then
    echo "pollserver --backend $backend did not start: $(cat "$rig_work/server.err")" >&2
    kill "$rig_server_pid" 2>/dev/null || true
    rig_server_pid=""
    return 1
  fi
  rig_port=${rig_address##*:}
}

rig_stop_server() {
  kill -INT "$rig_server_pid" 2>/dev/null || true
  wait "$rig_server_pid" 2>/dev/null || true
  rig_server_pid=""
}

rig_wrk() { "${rig_client[@]}" wrk -t1 -c"$2" -d"$1s" "http://$rig_address/" 2>/dev/null || true; }
rig_rps() { awk '/^Requests\/sec:/ { rps = $2 } END { print (rps == "" ? 0 : rps) }'; }

rig_side() { rig_side_pid=$1; }
rig_side_done() {
  local code=0
  wait "$rig_side_pid" || code=$?
  rig_side_pid=""
  return "$code"
}
rig_busy() {
  "${rig_client[@]}" python3 -c "import time
end = time.monotonic() + $1
while time.monotonic() < end: pass" &
  rig_side $!
}

rig_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
rig_fd_count() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
rig_status_kb() { awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status" 2>/dev/null; }
