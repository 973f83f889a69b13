#!/usr/bin/env bash
# pollbench's main job: one command from a fresh clone to a run directory with the results
# (Google Benchmark JSON), the plots and report.md. See usage() or --help.
set -uo pipefail  # no -e: a failed step is recorded and the steps after it still run

# Started in the background by a non-interactive shell, this script inherits SIGINT ignored, and
# bash can neither trap nor reset a signal that was ignored on entry. So when INT or TERM arrive
# ignored, run again (same PID, exec) with their default disposition, which the traps below replace.
signals_ignored() {  # bit 1 is SIGINT, bit 14 SIGTERM, in /proc's hexadecimal SigIgn mask
  local mask
  mask=$(awk '/^SigIgn:/ { print $2 }' /proc/$$/status 2>/dev/null) || return 1
  [ -n "$mask" ] && (( (16#$mask & 0x4002) != 0 ))
}
if [ -z "${POLLBENCH_SIGNALS_RESET:-}" ] && signals_ignored; then
  export POLLBENCH_SIGNALS_RESET=1
  if env --default-signal=INT true 2>/dev/null; then
    exec env --default-signal=INT,TERM bash "$0" "$@"
  elif command -v python3 >/dev/null; then  # coreutils before 8.31 lacks --default-signal
    exec python3 -c 'import os, signal, sys
for s in (signal.SIGINT, signal.SIGTERM): signal.signal(s, signal.SIG_DFL)
os.execvp("bash", ["bash"] + sys.argv[1:])' "$0" "$@"
  fi
  echo "warning: SIGINT is ignored (started in the background?) and cannot be restored here" >&2
fi

usage() {
  cat <<'USAGE'
usage: scripts/bench.sh [--quick] [--out DIR] [--backends a,b] [--precision P] [--budget MINUTES] [--skip STEPS] [options]

Runs pollbench's benchmarks and writes a report, in steps:
  1. packages  install missing Debian packages when run as root (apt-get; otherwise names them)
  2. build     configure and build the release preset (build/release, -O3, no sanitizers)
  3. wait      build/release/bin/wait_bench: per-wait cost against watched fds (select, poll,
               epoll LT/ET, io_uring), registration cost (ctl), wakeup latency, raw syscalls;
               run in P fresh processes (a new fd pool, a new kernel memory layout, each), one
               repetition each; then the precision phase (--precision): more fresh processes
               over the cited points until each median is known to +-P; all merged
               -> DIR/wait.json, DIR/precision.json. Before it, machine_probe -> DIR/probe-start.json
  4. tcp       build/release/bin/tcp_bench: a TCP server under load against idle connections,
               in R rounds (fresh processes, every point once each, in a shuffled order)
               -> DIR/tcp.json
  5. herd      build/release/bin/herd_bench: threads sharing one listening socket (shared
               epoll, EPOLLEXCLUSIVE, SO_REUSEPORT, poll, io_uring), wakeups per connection
               -> DIR/herd.json
  6. watched   build/release/bin/watched_bench: epoll and io_uring watching up to 50,000
               sockets (--max-watched), past the fd limit (helper processes hold the files)
               -> DIR/watched.json. After it, machine_probe -> DIR/probe-end.json
  7. plots     scripts/pollbench_plot.py -> DIR/*.png and DIR/*.svg
  8. report    scripts/pollbench_report.py -> DIR/report.md

Options:
  --quick            short sweeps (small N, 2 processes, no precision phase): the whole job in
                     about a minute on 2 cores, for trying things out. Do not cite quick numbers.
  --budget MINUTES   the whole run's time budget (default 12; 1 with --quick). The steps after
                     the wait step get fixed shares (their estimated times); the precision phase
                     gets what the wait step's share leaves after the broad sweep.
  --precision P      sample the report's cited points (headline, slope, layer, knee, crossover,
                     in that priority) in more fresh wait_bench processes until the 95% interval
                     of each median is within +-P, or the budget is spent: a fraction (0.05) or a
                     percent (5%). Default 5%; off with --quick. 0 or off: no precision phase.
  --processes P      run wait_bench's broad sweep in P fresh processes (default 3; 2 with
                     --quick); every figure is the median over all the processes that ran it,
                     with their min-max and cv as its spread (1: a single process with
                     wait_bench's own repetitions)
  --tcp-rounds R     tcp_bench in R rounds (default 3; 2 with --quick), one fresh process each
  --out DIR          write the run there (default: results/<host>-<YYYYmmdd>-<HHMMSS>). An
                     existing non-empty DIR is refused: a run is never overwritten.
  --backends a,b     only these backends (of the names build/release/bin/backends_list prints:
                     select, poll, epoll_lt, epoll_et, io_uring, io_uring_plain, ...)
  --skip STEPS       leave out these benchmark steps, comma-separated, of: wait, tcp, herd,
                     watched (recorded as skipped; the report shows what ran)
  --skip-build       use the binaries already in build/release/bin
  --bin-dir DIR      use the binaries in DIR instead (implies --skip-build)
  --jobs N           parallel build jobs (default: nproc)
  --wait-args ARGS   extra arguments for wait_bench, e.g. '--benchmark_min_time=0.01'
  --tcp-args ARGS    extra arguments for tcp_bench (after bench.sh's own: a flag given here wins,
                     e.g. --benchmark_filter=. for tcp_bench's whole sweep)
  --step-timeout S   stop a benchmark step (all its processes) after S seconds (default: 600
                     with --quick, else 14400)
  -h, --help         this text

The run directory holds wait.json and tcp.json (Google Benchmark JSON with the machine's
metadata in "context"; every row tagged with its process_index, wait.json's also with
"sampling": "sweep" or "precision"), precision.json (each sampled point's median, interval,
sample count, status "reached" or "budget" and roles), probe-start.json and probe-end.json
(machine_probe: memory latency, a CPU loop, epoll_wait at N = 1, poll's per-fd cost), the plots, report.md, command.txt (this command line, for the report's
"Reproduce" section), steps.tsv (each step's result and time) and logs/ (each step's output;
Google Benchmark's tables are there). Each JSON file is written outside the run directory
(.bench-partial-PID beside it) and moved in only when its step succeeded, so a failed or
interrupted step never leaves half a JSON file; the steps that finished keep theirs.

Each benchmark step shows its progress: process k of P, benchmarks done of the total, the time
so far and an estimate of the time left; one line redrawn in place on a terminal, a plain line at
each quarter of the step otherwise.

SIGINT or SIGTERM stops the run within a second or two, whatever step runs, and stops every
process it started. So does SIGKILL: each step runs in a session of its own that a watchdog kills
once bench.sh is gone (compilers, benchmarks, servers, loadgen); the next run removes the
partial files a killed run left beside its run directory.

Exit status: 0 every step succeeded; 1 a step failed (the message names it and why; the report
still shows what finished); 2 usage error; 130 interrupted (SIGINT), 143 terminated (SIGTERM).
Compare two runs with scripts/compare.sh OLD_DIR NEW_DIR.
USAGE
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib/options.sh
. "$here/lib/options.sh"
pb_prog=scripts/bench.sh
die_usage() { pb_usage_error "$@"; }

quick=0 out="" backends="" skip_steps="" skip_build=0 bin="" jobs="" wait_args="" tcp_args="" step_timeout="" processes=""
precision="" budget="" tcp_rounds=""
original_args=("$@")
pb_parse_options --quick:quick --skip-build:skip_build --out=out --backends=backends --bin-dir=bin --jobs=jobs \
  --wait-args=wait_args --tcp-args=tcp_args --step-timeout=step_timeout --processes=processes --skip=skip_steps \
  --precision=precision --budget=budget --tcp-rounds=tcp_rounds -- "$@"

# --- validate the options before doing anything ----------------------------------------------
is_count() { case "$1" in ''|*[!0-9]*) return 1 ;; *) [ "$1" -gt 0 ] ;; esac; }
[ -z "$jobs" ] && jobs=$(nproc)
is_count "$jobs" || die_usage "--jobs takes a positive whole number, not '$jobs'"
[ -z "$step_timeout" ] && { [ "$quick" = 1 ] && step_timeout=600 || step_timeout=14400; }
is_count "$step_timeout" || die_usage "--step-timeout takes a positive number of seconds, not '$step_timeout'"
[ -z "$processes" ] && { [ "$quick" = 1 ] && processes=2 || processes=3; }
{ is_count "$processes" && [ "$processes" -le 100 ]; } ||
  die_usage "--processes takes a whole number from 1 to 100, not '$processes'"
[ -z "$tcp_rounds" ] && { [ "$quick" = 1 ] && tcp_rounds=2 || tcp_rounds=3; }
{ is_count "$tcp_rounds" && [ "$tcp_rounds" -le 100 ]; } ||
  die_usage "--tcp-rounds takes a whole number from 1 to 100, not '$tcp_rounds'"
# --precision: a fraction (0.05) or a percent (5%), above 0 and below 1 (100%); 0 or off: none.
# Kept as a fraction with up to 6 decimals (awk does the arithmetic bash cannot).
[ -z "$precision" ] && { [ "$quick" = 1 ] && precision=off || precision=5%; }
case "$precision" in
  off|0|0%|0.0|0.0%) precision=0 ;;
  *) fraction=$(awk -v p="$precision" 'BEGIN {
       pct = (p ~ /%$/); v = p; sub(/%$/, "", v)
       if (v !~ /^([0-9]+\.?[0-9]*|\.[0-9]+)$/) exit 1
       v = pct ? v / 100 : v
       if (v <= 0 || v >= 1) exit 1
       printf "%.6g\n", v }') ||
     die_usage "--precision takes a fraction above 0 and below 1 (0.05) or a percent (5%), or 0 or off for none; not '$precision'"
     precision=$fraction ;;
esac
# --budget: minutes, a positive number (decimals allowed), at most a day; kept in seconds.
[ -z "$budget" ] && { [ "$quick" = 1 ] && budget=1 || budget=12; }
budget_s=$(awk -v m="$budget" 'BEGIN { if (m !~ /^([0-9]+\.?[0-9]*|\.[0-9]+)$/ || m <= 0 || m > 1440) exit 1
                                      printf "%d\n", m * 60 + 0.5 }') && [ "$budget_s" -gt 0 ] ||
  die_usage "--budget takes the run's time budget in minutes, a number above 0 and at most 1440, not '$budget'"

# An empty list is a mistake (a variable that was not set), never "all": refuse it.
if [ -n "${pb_given[--skip]:-}" ] && [ -z "${skip_steps//,/}" ]; then
  die_usage "--skip needs at least one step, of: wait, tcp, herd, watched (got '$skip_steps')"
fi
if [ -n "${pb_given[--backends]:-}" ] && [ -z "${backends//,/}" ]; then
  die_usage "--backends needs at least one backend name (got '$backends'); leave it out to run every backend"
fi
if [ -n "$skip_steps" ]; then
  IFS=, read -r -a skipped_list <<<"$skip_steps"
  for s in "${skipped_list[@]}"; do
    case "$s" in wait|tcp|herd|watched) ;; *) die_usage "--skip takes steps of: wait, tcp, herd, watched (not '$s')" ;; esac
  done
fi
skipping() { [[ ",$skip_steps," == *",$1,"* ]]; }

if [ -n "$bin" ]; then
  [ -d "$bin" ] || die_usage "--bin-dir '$bin' is not a directory"
  bin=$(cd "$bin" && pwd)
  skip_build=1
fi
# The backends this build knows, as its backends_list names them ("name: available" lines);
# before the first build, as the sources declare them (each backend's BackendTraits).
known_backends=()
lister=${bin:-$here/../build/release/bin}/backends_list
if [ -x "$lister" ]; then
  mapfile -t known_backends < <("$lister" 2>/dev/null | sed -n 's/^\([a-z0-9_]*\): .*/\1/p' | grep -v '^fd$')
fi
[ ${#known_backends[@]} -gt 0 ] || mapfile -t known_backends < <(cat "$here"/../backends/*.cc |
  tr -d '\n' | grep -o 'BackendTraits k[A-Za-z]*Traits *{ *"[a-z0-9_]*"' | sed 's/.*"\(.*\)"/\1/')
if [ -n "$backends" ]; then
  IFS=, read -r -a wanted <<<"$backends"
  [ ${#wanted[@]} -gt 0 ] || die_usage "--backends needs at least one backend"
  for b in "${wanted[@]}"; do
    case " ${known_backends[*]} " in
      *" $b "*) ;;
      *) die_usage "unknown backend '$b' in --backends (known: $(IFS=,; echo "${known_backends[*]}"))" ;;
    esac
  done
fi

# --out is relative to where the command was typed; everything else runs from the repository.
case "$out" in ''|/*) ;; *) out=$PWD/$out ;; esac
repo=$(cd "$here/.." && pwd)
cd "$repo" || exit 1
if [ -z "$out" ]; then
  out="results/$(hostname -s 2>/dev/null || hostname)-$(date +%Y%m%d-%H%M%S)"
  base=$out n=2
  while [ -e "$out" ]; do out="$base-$n"; n=$((n + 1)); done  # two runs in one second
elif [ -e "$out" ] && { [ ! -d "$out" ] || [ -n "$(ls -A "$out" 2>/dev/null)" ]; }; then
  die_usage "--out '$out' exists and is not an empty directory; refusing to overwrite an earlier run (choose a new DIR)"
fi
mkdir -p "$out/logs" || { echo "error: cannot create the run directory '$out'" >&2; exit 1; }
out=$(cd "$out" && pwd)

# --- bookkeeping --------------------------------------------------------------------------------
# command.txt: this very command, run from the repository root, for the report's Reproduce section.
# Quoted for a POSIX shell, and only where needed, so it reads as typed.
shell_quote() {
  case "$1" in
    '') printf "''" ;;
    *[!A-Za-z0-9_./,:=+@%-]*) printf "'%s'" "${1//\'/\'\\\'\'}" ;;
    *) printf '%s' "$1" ;;
  esac
}
{
  printf 'scripts/bench.sh'
  for a in "${original_args[@]}"; do printf ' '; shell_quote "$a"; done
  printf '\n'
} >"$out/command.txt"

[ -n "$bin" ] || bin=$repo/build/release/bin
total=8 step_no=0 start=$SECONDS failed=()
: >"$out/steps.tsv"

# step NAME TITLE: announces step k of n with the time so far.
step() {
  step_no=$((step_no + 1))
  step_name=$1 step_start=$SECONDS
  echo
  echo "[$step_no/$total] $2... (elapsed $((SECONDS - start))s)"
}
# finish STATUS DETAIL: records the step's result in steps.tsv.
finish() {
  local status=$1 detail=${2:-} took=$((SECONDS - step_start))
  printf '%s\t%s\t%s\t%s\n' "$step_name" "$status" "$took" "${detail//$'\t'/ }" >>"$out/steps.tsv"
  if [ "$status" = ok ]; then
    echo "    $step_name done in ${took}s"
  elif [ "$status" = skipped ]; then
    echo "    $step_name skipped: $detail"
  else
    failed+=("$step_name")
    echo "error: step $step_no/$total ($step_name) $status: $detail" >&2
  fi
}
# why EXIT_CODE LOG: a one-line reason from an exit status and the last line of the log.
why() {
  local code=$1 log=$2 reason last
  if [ "$code" -eq 124 ]; then reason="timed out after ${step_timeout}s (--step-timeout)"
  elif [ "$code" -gt 128 ]; then reason="killed by signal SIG$(kill -l $((code - 128)) 2>/dev/null || echo $((code - 128)))"
  else reason="exit status $code"
  fi
  # What went wrong is usually the last line that says so, else the last line. A timeout has
  # no such line: its last line is just the benchmark it stopped in.
  last=$(grep -iE 'error|unknown|invalid|failed|cannot|refus' "$log" 2>/dev/null |
         grep -vE '_errors=|^mitigations:' | tail -n 1 | cut -c1-300)
  [ -n "$last" ] || [ "$code" -eq 124 ] || last=$(grep -v '^[[:space:]]*$' "$log" 2>/dev/null | tail -n 1 | cut -c1-300)
  echo "$reason${last:+: $last} (full output: ${log#"$repo"/})"
}
skip() { finish skipped "$1"; }

# --- stopping when asked, and children that die with this script ----------------------------
# Every step that takes time runs in the background and this shell waits for it, so a SIGINT or
# SIGTERM runs the trap at once (bash runs traps only between commands or inside `wait`). The trap
# stops every descendant: TERM first, KILL after a grace period.
# A SIGKILL runs no trap. So each step's processes run in a session of their own (setsid), and a
# watchdog outside that session kills all of it once this shell is gone: the build's cmake, make
# and compilers, a benchmark's timeout, servers and loadgen, however deep. (PR_SET_PDEATHSIG
# reaches only direct children, and bash cannot become a subreaper.)

# shellcheck source=scripts/lib/procs.sh
. "$here/lib/procs.sh"
# shellcheck disable=SC2317  # called by the trap
stop_children() {
  local pids alive=() _
  mapfile -t pids < <(pb_descendants $$)
  [ ${#pids[@]} -gt 0 ] || return 0
  kill -TERM "${pids[@]}" 2>/dev/null
  for _ in 1 2 3 4 5 6 7 8 9 10; do  # up to 1 s for them to go by themselves
    # Our own children stay zombies until the `wait` below: pb_alive leaves them out.
    mapfile -t alive < <(pb_alive "${pids[@]}")
    [ ${#alive[@]} -eq 0 ] && break
    sleep 0.1
  done
  [ ${#alive[@]} -gt 0 ] && kill -KILL "${alive[@]}" 2>/dev/null
  wait 2>/dev/null
  return 0
}

# start_watchdog SID: a background process that waits for this shell to go, then SIGKILLs every
# process of session SID. It tells this shell is gone by its own parent changing (a dead parent
# may stay a zombie for a while, which `kill -0` would still find).
watchdog_pid=""
start_watchdog() {
  ( sid=$1 me=$$
    while read -r -a stat <"/proc/$BASHPID/stat" && [ "${stat[3]}" = "$me" ]; do sleep 0.2; done
    # shellcheck disable=SC2046  # one pid a word
    kill -KILL $(ps -e -o pid=,sid= | awk -v s="$sid" '$2 == s { print $1 }') 2>/dev/null
  ) </dev/null >/dev/null 2>&1 &
  watchdog_pid=$!
}
stop_watchdog() {
  [ -n "$watchdog_pid" ] || return 0
  kill "$watchdog_pid" 2>/dev/null
  wait "$watchdog_pid" 2>/dev/null
  watchdog_pid=""
}
# run_bg CMD...: runs CMD in a watched session of its own and waits for it; its exit status. A
# background job of a shell without job control is no process group leader, so setsid execs CMD
# in place: $! is CMD's pid and its session's id.
run_bg() {
  local pid code=0
  setsid "$@" &
  pid=$!
  start_watchdog "$pid"
  wait "$pid" || code=$?
  stop_watchdog
  return "$code"
}

# Files that are not results yet (a step's JSON before it is checked, each process's part) are
# written beside the run directory, never in it, and renamed in when their step succeeded: a
# killed run leaves no half JSON in the run. A run killed with SIGKILL leaves them in
# .bench-partial-PID next to its run directory; the next run removes those of dead runs.
partial_dir=$(dirname "$out")/.bench-partial-$$
for stale in "$(dirname "$out")"/.bench-partial-*; do
  [ -d "$stale" ] || continue
  kill -0 "${stale##*-}" 2>/dev/null && continue  # a run still going
  rm -rf "$stale" && echo "note: removed ${stale#"$repo"/}, the unfinished files of a run that was killed"
done
mkdir -p "$partial_dir" || { echo "error: cannot create '$partial_dir'" >&2; exit 1; }
trap 'rm -rf "$partial_dir"' EXIT

# shellcheck disable=SC2317  # called by the trap
interrupted() {
  local signal=$1 code=130
  [ "$signal" = TERM ] && code=143
  trap '' INT TERM  # once is enough; the children are stopped below
  stop_children
  [ "$progress_drawn" = 1 ] && echo
  echo >&2
  echo "error: stopped by SIG$signal during step $step_no/$total (${step_name:-start}); finished results stay in $out" >&2
  printf '%s\tinterrupted\t%s\t%s\n' "${step_name:-start}" "$((SECONDS - ${step_start:-$SECONDS}))" \
    "stopped by SIG$signal" >>"$out/steps.tsv"
  exit "$code"
}
trap 'interrupted INT' INT
trap 'interrupted TERM' TERM

echo "pollbench: run directory $out"
[ "$quick" = 1 ] && echo "quick mode: short sweeps for trying things out; do not cite these numbers"

# --- 1. packages ----------------------------------------------------------------------------
step packages "checking Debian packages"
# shellcheck source=scripts/ensure_packages.sh
. "$repo/scripts/ensure_packages.sh"
# shellcheck source=scripts/find_python.sh
. "$repo/scripts/find_python.sh"
# apt's output goes to the log; the terminal gets one line.
log=$out/logs/packages.log
if ! run_bg bash -c '. "$1/scripts/ensure_packages.sh"; shift; ensure_packages "$@"' bash "$repo" \
       "${POLLBENCH_BUILD_PACKAGES[@]}" "${POLLBENCH_PLOT_PACKAGES[@]}" >"$log" 2>&1; then
  finish failed "missing Debian packages ($(grep -o 'install .*' "$log" | tail -n 1)); see ${log#"$repo"/}"
  echo "error: cannot go on without them; run as root to install them, or install them yourself" >&2
  exit 1
fi
installed=$(sed -n 's/^installing missing Debian packages: //p' "$log" | tail -n 1)
echo "    packages: ${installed:+installed $installed, }all present (apt output: ${log#"$repo"/})"
if ! python=$(pollbench_find_python matplotlib numpy 2>"$out/logs/python.log"); then
  cat "$out/logs/python.log" >&2
  finish failed "no Python with matplotlib and numpy (see above)"
  exit 1
fi
finish ok "python: $python${installed:+; installed $installed}"

# --- 2. build -------------------------------------------------------------------------------
step build "building the release preset (build/release)"
if [ "$skip_build" = 1 ]; then
  skip "--skip-build: using the binaries in ${bin#"$repo"/}"
else
  log=$out/logs/build.log
  if run_bg cmake --preset release >"$log" 2>&1; then
    # Only what the benchmarks need: the tests are scripts/test.sh's business, and a fresh clone
    # builds these in well under a minute on 2 cores.
    targets=()
    available=$(cmake --build --preset release --target help 2>/dev/null)
    for t in wait_bench tcp_bench herd_bench watched_bench loadgen pollserver backends_list machine_probe; do
      grep -qE "(^|[ .])$t(\$|[ :])" <<<"$available" && targets+=("$t")
    done
    [ ${#targets[@]} -gt 0 ] || targets=(all)
    echo "    targets: ${targets[*]} (-j$jobs; output in ${log#"$repo"/})"
    run_bg cmake --build --preset release -j"$jobs" --target "${targets[@]}" >>"$log" 2>&1
    code=$?
  else
    code=$?
  fi
  if [ "$code" -eq 0 ]; then
    finish ok "built ${targets[*]}"
  else
    tail -n 25 "$log" >&2
    finish failed "$(why "$code" "$log")"
    echo "error: nothing to run without a build; fix the build and run again" >&2
    exit 1
  fi
fi

# --- 3. and 4. the benchmark sweeps ---------------------------------------------------------
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true  # the binaries raise it themselves too

# Progress of a benchmark step, instead of Google Benchmark's table (which goes to the step's
# log): process k of P, benchmarks done of the total, the time so far and an estimate of the time
# left. On a terminal one line, redrawn in place; to a pipe or a file a plain line at each
# quarter of the step. The total comes from the binary's --benchmark_list_tests; a benchmark is
# done once its row is in the log.
progress_drawn=0 progress_quarter=0
duration() {  # duration SECONDS: 45s, 3m05s, 1h02m
  local s=$1
  if [ "$s" -lt 60 ]; then echo "${s}s"
  elif [ "$s" -lt 3600 ]; then printf '%dm%02ds\n' $((s / 60)) $((s % 60))
  else printf '%dh%02dm\n' $((s / 3600)) $((s % 3600 / 60))
  fi
}
# benchmarks_done LOG: how many listed benchmarks (names in $listed) have a row in LOG. The
# listing names carry run options (/min_time:, /iterations:, /repeats:, /manual_time) that the
# rows may not: both are compared without them.
benchmarks_done() {
  awk 'function plain(name) { gsub("/(min_time|min_warmup_time|iterations|repeats):[^/]*|/(manual|real|process)_time", "", name); return name }
       NR == FNR { listed[plain($1)]; next }
       (plain($1) in listed) && !seen[plain($1)]++ { done++ }
       END { print done + 0 }' "$listed" "$1" 2>/dev/null || echo 0
}
# show_progress LOG K P: the progress line of process K (0-based) of P, whose output is LOG.
show_progress() {
  local log=$1 k=$2 count=$3 total finished elapsed=$((SECONDS - step_start)) line permille left=""
  total=$(wc -l <"$listed")
  finished=$(benchmarks_done "$log")
  line="    $step_name: process $((k + 1))/$count"
  if [ "$total" -gt 0 ]; then
    permille=$(( (k * total + finished) * 1000 / (count * total) ))
    [ "$permille" -gt 0 ] && left=", about $(duration $((elapsed * (1000 - permille) / permille))) left"
    line+=", $finished/$total benchmarks, $(duration "$elapsed") elapsed$left"
  else
    line+=", $finished benchmarks done, $(duration "$elapsed") elapsed"
    permille=0
  fi
  if [ -t 1 ]; then
    printf '\r%s\033[K' "$line"
    progress_drawn=1
  elif [ $((permille / 250)) -gt "$progress_quarter" ] && [ "$permille" -lt 1000 ]; then
    progress_quarter=$((permille / 250))
    echo "$line"
  fi
}
end_progress() {
  [ "$progress_drawn" = 1 ] && printf '\r\033[K'
  progress_drawn=0 progress_quarter=0
}

# run_binary LOG K P BINARY ARGS...: process K of P of a benchmark step, its output to LOG, in
# a watched session of its own (run_bg), cut short when the step's time is up, its progress shown
# meanwhile. Returns its exit status (124: timed out).
run_binary() {
  local log=$1 k=$2 count=$3 left=$((step_deadline - SECONDS)) pid code=0
  shift 3
  [ "$left" -ge 1 ] || left=1
  # stdbuf: line-buffered, so the log, and the progress read from it, keeps up with the run.
  setsid timeout --kill-after=10 "$left" stdbuf -oL "$@" >"$log" 2>&1 </dev/null &
  pid=$!
  start_watchdog "$pid"
  # A trap waits for the sleep: at most half a second.
  while kill -0 "$pid" 2>/dev/null; do show_progress "$log" "$k" "$count"; sleep 0.5; done
  wait "$pid" || code=$?
  stop_watchdog
  return "$code"
}

# sweep_args NAME BINARY EXTRA_ARGS PROCESSES [OWN]: the arguments of a step's binary, into
# `args`. OWN, even empty, gives the binary's own options instead of --quick and --backends
# (herd_bench, watched_bench).
sweep_args() {
  local extra=$3 count=$4
  args=()
  if [ $# -ge 5 ]; then
    # shellcheck disable=SC2206  # the binary's own options instead of --quick and --backends
    [ -n "$5" ] && args+=($5)
  else
    [ "$quick" = 1 ] && args+=(--quick)
    [ -n "$backends" ] && args+=("--backends=$backends")
  fi
  # Not in random order (--benchmark_enable_random_interleaving): wait_bench's fd pool holds one fd
  # kind at a time, so a shuffled run reopens the pool at every change of kind, up to 10,000 TCP
  # connections each time: 460 s for one process against 246 s in order, measured. The spread that
  # matters is between processes, and each is fresh.
  [ "$count" -gt 1 ] && [ "$1" != tcp ] && args+=(--benchmark_repetitions=1)
  # tcp_bench's rounds: every point once per round, in a shuffled order (Google Benchmark 1.7.1
  # shuffles every instance's repetitions together, so with one repetition it shuffles the points),
  # each on a fresh server; the ratio of a backend to epoll_lt is taken within a round. The sweep
  # is bench.sh's own (tcp_points), shorter than tcp_bench's whole one: --tcp-args can widen it.
  if [ "$1" = tcp ]; then
    args+=(--benchmark_repetitions=1 --benchmark_enable_random_interleaving=true)
    # shellcheck disable=SC2206  # bench.sh's own words, no spaces inside
    args+=($tcp_points)
  fi
  # shellcheck disable=SC2206  # extra arguments are split on spaces, as documented in --help
  [ -n "$extra" ] && args+=($extra)  # after ours: a flag given again there wins
  return 0
}

# check_result NAME PARTIAL HAS_OWN: a zero exit with a file we cannot read is a failure too.
# herd.json and watched.json are read by their own modules: they must parse and hold runs.
check_result() {
  local log=$out/logs/$1.log
  if [ "$3" = 1 ]; then
    run_bg "$python" -c '
import json, sys
rows = [b for b in json.load(open(sys.argv[1])).get("benchmarks", []) if b.get("run_type") == "iteration"]
failed = [b["name"] + ": " + str(b.get("error_message")) for b in rows if b.get("error_occurred")]
print(f"{sys.argv[1]}: {len(rows)} runs" + (f", {len(failed)} failed, e.g. {failed[0]}" if failed else ""))
sys.exit(1 if failed or not rows else 0)' "$2" >>"$log" 2>&1
  else
    run_bg "$python" "$repo/scripts/pollbench_results.py" "$2" >>"$log" 2>&1
  fi
}

# run_sweep NAME BINARY EXTRA_ARGS PROCESSES [OWN]: runs one benchmark binary into DIR/NAME.json,
# atomically. With PROCESSES > 1, that many fresh processes of it, one repetition each, merged
# into one file (pollbench_results.py --merge: every process's rows, tagged with its
# process_index, and the median, min, max and cv over them). OWN: see sweep_args.
run_sweep() {
  local name=$1 binary=$2 count=$4 has_own=$(($# >= 5))
  local partial=$partial_dir/$name.json log=$out/logs/$name.log args i code=0 parts=() part
  step_deadline=$((SECONDS + step_timeout))
  sweep_args "$@"
  if [ ! -x "$bin/$binary" ]; then
    finish failed "$bin/$binary does not exist (the build did not make it)"
    return
  fi
  echo "    $bin/$binary ${args[*]}"
  echo "    (Google Benchmark's output: $(if [ "$count" -gt 1 ]; then echo "logs/$name.p*.log"; else echo "logs/$name.log"; fi))"
  listed=$partial_dir/$name.listed
  run_bg timeout 60 "$bin/$binary" "${args[@]}" --benchmark_list_tests=true >"$listed" 2>/dev/null || : >"$listed"
  for ((i = 0; i < count; i++)); do
    part=$partial
    [ "$count" -gt 1 ] && part=$partial_dir/$name.p$i.json log=$out/logs/$name.p$i.log && parts+=("$part")
    run_binary "$log" "$i" "$count" "$bin/$binary" "${args[@]}" "--benchmark_out=$part" --benchmark_out_format=json
    code=$?
    [ "$code" -eq 0 ] || break
  done
  end_progress
  if [ "$code" -ne 0 ]; then
    finish failed "$(why "$code" "$log")"
    return
  fi
  log=$out/logs/$name.log
  if [ "$count" -gt 1 ] &&
     ! run_bg "$python" "$repo/scripts/pollbench_results.py" --merge "$partial" "${parts[@]}" >>"$log" 2>&1; then
    finish failed "$(tail -n 1 "$log")"
    return
  fi
  local detail=""
  if [ "$name" = wait ] && [ "$precision" != 0 ]; then
    precision_phase "$partial" "${parts[@]}" || return  # it says why it failed
  fi
  if ! check_result "$name" "$partial" "$has_own"; then
    finish failed "$(tail -n 1 "$log")"
    return
  fi
  # A rename: the partial files sit beside the run directory, so the result appears whole or
  # not at all.
  mv "$partial" "$out/$name.json" && finish ok "$(tail -n 1 "$log" | sed "s|^$partial: ||")$detail"
}

# The time the steps after the wait step are expected to take (seconds; full run / --quick, from
# measured runs on the 2-core VM), so the precision phase leaves them their share of --budget.
# A skipped step needs none.
after_wait_s() {
  local total=0 entry name est_full est_quick
  for entry in tcp:70:5 herd:35:6 watched:45:6 probe:10:3 plots:15:11 report:5:2; do
    IFS=: read -r name est_full est_quick <<<"$entry"
    case "$name" in tcp|herd|watched) skipping "$name" && continue ;; esac
    if [ "$quick" = 1 ]; then total=$((total + est_quick)); else total=$((total + est_full)); fi
  done
  echo "$total"
}

# precision_phase MERGED PARTS...: after the wait step's broad sweep (merged into MERGED), more
# fresh wait_bench processes over the cited points (pollbench_sample.py --roles) until each
# median is known to +-$precision or the wait step's share of --budget is spent; then MERGED is
# remade from PARTS and the rounds (tagged sampling=precision) and precision.json is written.
# Sets `detail` for the step's line. Returns 1 after finish failed.
precision_phase() {
  local merged=$1 left code=0 rounds_dir=$partial_dir/wait.rounds plog=$out/logs/wait.precision.log
  shift
  left=$((start + budget_s - $(after_wait_s) - SECONDS))
  [ $((step_deadline - SECONDS)) -lt "$left" ] && left=$((step_deadline - SECONDS))
  if [ "$left" -lt 5 ]; then
    echo "    precision: no time left in the --budget of $((budget_s / 60))m$((budget_s % 60))s after the broad sweep; no precision phase"
    detail="; precision phase: no time left in the budget"
    return 0
  fi
  mkdir -p "$rounds_dir"
  echo "    precision: sampling the cited points to +-$(awk -v p="$precision" 'BEGIN { printf "%g%%", p * 100 }') in fresh processes, up to ${left}s (log: logs/wait.precision.log)"
  # The sampler resolves the points from wait_bench's own listing, run by it, in this environment
  # (the largest N depends on the fds the caller leaves open). Its round lines go to the log and,
  # every few rounds, to the console.
  local sampler own=()
  [ "$quick" = 1 ] && own+=(--quick)
  [ -n "$backends" ] && own+=("--backends=$backends")
  # shellcheck disable=SC2206  # --wait-args is split on spaces, as documented
  own+=($wait_args)
  # In a watched session of its own, as run_binary runs a benchmark (a round may outlive its
  # budget by one round: the timeout leaves it a minute).
  setsid timeout --kill-after=10 $((left + 60)) "$python" "$repo/scripts/pollbench_sample.py" "$bin/wait_bench" \
    --roles headline,slope,layer,knee,crossover --seed "$merged" --precision "$precision" --budget-s "$left" \
    --keep-rounds "$rounds_dir" --precision-json "$partial_dir/precision.json" --out "$partial_dir/samples.json" \
    -- "${own[@]}" >"$plog" 2>&1 </dev/null &
  sampler=$!
  start_watchdog "$sampler"
  while kill -0 "$sampler" 2>/dev/null; do
    show_precision "$plog"
    sleep 0.5
  done
  wait "$sampler" || code=$?
  stop_watchdog
  end_progress
  if [ "$code" -ne 0 ]; then
    finish failed "precision phase: $(why "$code" "$plog")"
    return 1
  fi
  local rounds_files=()
  mapfile -t rounds_files < <(ls "$rounds_dir"/round-*.json 2>/dev/null | sort -t- -k2 -n)
  if ! run_bg "$python" "$repo/scripts/pollbench_results.py" --merge "$merged" "$@" "${rounds_files[@]}" \
         --precision-from "$#" >>"$out/logs/wait.log" 2>&1; then
    finish failed "$(tail -n 1 "$out/logs/wait.log")"
    return 1
  fi
  detail="; $(precision_line "$partial_dir/precision.json")"
  echo "    precision: ${detail#; }"
  mv "$partial_dir/precision.json" "$out/precision.json"
}
# precision_line FILE: "precision +-5%: 40 points, 12 of 40 stopped on budget, 8 rounds in 95 of 100 s"
precision_line() {
  "$python" -c 'import json, sys
d = json.load(open(sys.argv[1]))
pts = list(d["points"].values())
budget = sum(p["status"] == "budget" for p in pts)
print("precision +-%g%%: %d of %d points stopped on budget, %d rounds in %.0f of %.0f s"
      % (d["precision"] * 100, budget, len(pts), d["rounds"], d["spent_s"], d["budget_s"]))' "$1" 2>/dev/null ||
    echo "precision: no summary (see logs/wait.precision.log)"
}
# show_precision LOG: the sampler's last round line as the progress line.
show_precision() {
  local line
  line=$(grep '^round ' "$1" 2>/dev/null | tail -n 1)
  [ -n "$line" ] || return 0
  line="    precision: $line"
  if [ -t 1 ]; then
    printf '\r%s\033[K' "${line:0:150}"
    progress_drawn=1
  elif [ "$line" != "${last_precision_line:-}" ] && [[ "$line" =~ round\ ([0-9]+): ]] &&
       [ $((BASH_REMATCH[1] % 5)) -eq 1 ]; then
    echo "$line"
  fi
  last_precision_line=$line
}

# run_probe NAME: machine_probe (memory latency, a CPU loop, epoll_wait at N = 1, poll's per-fd
# cost over dups and distinct sockets) -> DIR/NAME.json, pinned as the benchmarks are (its default
# CPU is theirs: the last allowed one), recorded as a row of steps.tsv. Under 10 s; --quick about 1 s.
run_probe() {
  local name=$1 log=$out/logs/$1.log partial=$partial_dir/$1.json code=0 began=$SECONDS probe_args=()
  if [ ! -x "$bin/machine_probe" ]; then
    printf '%s\tskipped\t0\t%s\n' "$name" "no $bin/machine_probe" >>"$out/steps.tsv"
    echo "    $name: skipped (no ${bin#"$repo"/}/machine_probe)"
    return 0
  fi
  # Full run: 9 samples a probe (its default of 15 takes about 20 s on the 2-core VM; 9 about 8 s,
  # and still a 95% interval of each median).
  if [ "$quick" = 1 ]; then probe_args+=(--quick); else probe_args+=(--repeats=9); fi
  run_bg timeout --kill-after=5 120 "$bin/machine_probe" "${probe_args[@]}" >"$partial" 2>"$log" </dev/null || code=$?
  if [ "$code" -eq 0 ] && "$python" -c 'import json, sys; json.load(open(sys.argv[1]))' "$partial" 2>>"$log"; then
    mv "$partial" "$out/$name.json"
    printf '%s\tok\t%s\t%s\n' "$name" $((SECONDS - began)) "$name.json" >>"$out/steps.tsv"
    echo "    $name: machine_probe -> $name.json in $((SECONDS - began))s"
  else
    # A probe is context, not a result: its failure is named, and the run goes on.
    printf '%s\tfailed\t%s\t%s\n' "$name" $((SECONDS - began)) "$(why "$code" "$log")" >>"$out/steps.tsv"
    echo "warning: $name: machine_probe failed: $(why "$code" "$log")" >&2
  fi
}
probes_wanted=0
for s in wait tcp herd watched; do skipping "$s" || probes_wanted=1; done

# tcp_bench's points in bench.sh's rounds: idle 0, 1,000 and the most the fd limit allows, active
# 10 and 100 (--quick: idle 0 and 1,000, active 10), 0.1 s of turns each (--quick 0.05): opening
# the idle connections costs more than the timed turns (about 1 s at the most), and it is the
# rounds, not longer turns, that narrow the ratios.
tcp_points="--seconds=0.1 --benchmark_filter=-(/idle:(2000|5000|10000)/|/active:1/)"
[ "$quick" = 1 ] && tcp_points="--seconds=0.05 --benchmark_filter=/idle:(0|1000)/"

step wait "per-wait, registration, wakeup and raw-syscall sweeps (wait_bench, $processes processes)"
[ "$probes_wanted" = 1 ] && run_probe probe-start && step_start=$SECONDS  # the probe has its own row
if skipping wait; then skip "--skip wait"; else run_sweep wait wait_bench "$wait_args" "$processes"; fi
step tcp "TCP server rounds against idle connections (tcp_bench, $tcp_rounds rounds)"
if skipping tcp; then skip "--skip tcp"; else run_sweep tcp tcp_bench "$tcp_args" "$tcp_rounds"; fi
step herd "threads sharing one listening socket: the thundering herd (herd_bench)"
herd_own=""
[ "$quick" = 1 ] && herd_own=--quick
if skipping herd; then skip "--skip herd"; else run_sweep herd herd_bench "" 1 "$herd_own"; fi
step watched "epoll and io_uring past the fd limit (watched_bench)"
# watched_bench runs the backends whose interest set the kernel keeps (they watch files, not fd
# numbers; backends_list --json says which): those of --backends, or every available one.
watched_backends=""
if [ -n "$backends" ] && ! skipping watched; then
  watching=$("$bin/backends_list" --json 2>/dev/null | "$python" -c 'import json, sys
print(" ".join(b["name"] for b in json.load(sys.stdin) if b["interest"] == "kernel"))')
  for b in $watching; do
    [[ ",$backends," == *",$b,"* ]] && watched_backends+="${watched_backends:+,}$b"
  done
fi
if skipping watched; then
  skip "--skip watched"
elif [ -n "$backends" ] && [ -z "$watched_backends" ]; then
  skip "--backends names no backend that watches files (${watching// /, })"
else
  # One repetition up to 50,000 (the sweep's spread is small next to its steps). --quick: just
  # past the fd limit (21,000) only, epoll_lt and io_uring unless --backends: each backend's
  # start-up measures 20,000 sockets, and each point opens all its sockets, a few seconds each.
  if [ "$quick" = 1 ]; then
    watched_own="--backends=${watched_backends:-epoll_lt,io_uring} --max-watched=21000 --benchmark_filter=watched:21000/"
  else
    watched_own="${watched_backends:+--backends=$watched_backends }--max-watched=50000"
  fi
  watched_own+=" --benchmark_repetitions=1"
  run_sweep watched watched_bench "" 1 "$watched_own"
fi
[ "$probes_wanted" = 1 ] && run_probe probe-end

# --- 5. and 6. plots and report: from whatever finished -------------------------------------
have_results() { [ -f "$out/wait.json" ] || [ -f "$out/tcp.json" ] || [ -f "$out/herd.json" ] || [ -f "$out/watched.json" ]; }

step plots "drawing the plots"
if have_results; then
  if run_bg "$python" "$repo/scripts/pollbench_plot.py" "$out" >"$out/logs/plots.log" 2>&1; then
    finish ok "$(grep -c '\.png$' "$out/logs/plots.log") PNG plots (and SVG)"
    grep -h '^note:' "$out/logs/plots.log" | sed 's/^/    /'
  else
    finish failed "$(why $? "$out/logs/plots.log")"
  fi
else
  skip "no results to plot"
fi

step report "writing the report"
if have_results; then
  if run_bg "$python" "$repo/scripts/pollbench_report.py" "$out" >"$out/logs/report.log" 2>&1; then
    finish ok "report.md"
  else
    finish failed "$(why $? "$out/logs/report.log")"
  fi
else
  skip "no results to report"
fi

echo
if [ ${#failed[@]} -eq 0 ]; then
  echo "done in $((SECONDS - start))s: $out/report.md"
  exit 0
fi
echo "error: ${#failed[@]} step(s) failed: ${failed[*]} (after $((SECONDS - start))s)." >&2
[ -f "$out/report.md" ] && echo "       The report shows what finished: $out/report.md" >&2
echo "       Each step's output is in $out/logs/; steps.tsv lists the results." >&2
exit 1
