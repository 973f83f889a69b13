# shellcheck shell=bash
# Finding processes, for scripts/bench.sh (stopping what it started) and its tests
# (tests/scripts/check_scripts.sh: checking nothing was left). Sourced.

# pb_descendants PID: every process below PID, listed at once (a stopped parent's children are
# re-parented and could no longer be found: list before stopping any).
pb_descendants() {
  ps -e -o pid=,ppid= 2>/dev/null | awk -v root="$1" '
    { parent[$1] = $2 }
    END {
      found[root] = 1
      do { more = 0
           for (p in parent) if (!(p in found) && (parent[p] in found)) { found[p] = 1; more = 1 }
      } while (more)
      for (p in found) if (p != root) print p
    }'
}

# pb_alive PID...: those of PID... that still run (a zombie has ended; it only waits to be reaped).
pb_alive() {
  [ $# -gt 0 ] || return 0
  ps -o pid=,stat= -p "$(IFS=,; echo "$*")" 2>/dev/null | awk '$2 !~ /^Z/ { print $1 }'
}
