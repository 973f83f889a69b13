#!/usr/bin/env bash
# Tests of the plot, report, compare and bench scripts, one case per ctest test:
#   tests/scripts/check_scripts.sh CASE [BIN_DIR]
# Cases run on the committed fixture (tests/scripts/fixture: a real short run, see its README).
# The Python that draws is found the same way the scripts find it (scripts/find_python.sh).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
fixture=$here/fixture
scratch=$(mktemp -d "${TMPDIR:-/tmp}/pollbench-scripts-test.XXXXXX")
runner=""  # a bench.sh started in the background: it and all below it go with the test
# shellcheck disable=SC2046  # one pid a word
trap 'if [ -n "$runner" ]; then kill -KILL $(pb_descendants "$runner") "$runner" 2>/dev/null || true; fi; rm -rf "$scratch"' EXIT

# shellcheck source=scripts/find_python.sh
. "$repo/scripts/find_python.sh"
python=$(pollbench_find_python matplotlib numpy)

fail() { echo "FAIL: $*" >&2; exit 1; }
# expect_error STATUS PATTERN CMD...: CMD must exit with STATUS and say PATTERN on stderr.
expect_error() {
  local want=$1 pattern=$2 got=0
  shift 2
  "$@" >"$scratch/out" 2>"$scratch/err" || got=$?
  [ "$got" -eq "$want" ] || { cat "$scratch/out" "$scratch/err" >&2; fail "'$*' exited $got, expected $want"; }
  grep -qE -- "$pattern" "$scratch/err" || { cat "$scratch/err" >&2; fail "'$*' did not say /$pattern/ on stderr"; }
  echo "ok: '$*' -> exit $got: $(grep -E -m1 -- "$pattern" "$scratch/err")"
}
sections() {  # sections FILE TITLE...: FILE has a numbered section "## N. TITLE" for every TITLE
  local file=$1 title
  shift
  for title in "$@"; do
    grep -qxF -- "$title" <(sed -nE 's/^## [0-9]+\. //p' "$file") || fail "$file has no section '## N. $title'"
  done
}
contains() {  # contains FILE TEXT...: every TEXT is in FILE
  local file=$1 text
  shift
  for text in "$@"; do
    grep -qF -- "$text" "$file" || fail "$file lacks '$text'"
  done
}
# shellcheck source=scripts/lib/procs.sh
. "$repo/scripts/lib/procs.sh"
# wait_for_log FILE REGEX SECONDS: waits for a line matching REGEX in FILE; prints it.
wait_for_log() {
  local _
  for _ in $(seq $(($3 * 10))); do
    grep -m1 -E -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
# stop_and_check PID SIGNAL JOB [PID...]: sends SIGNAL to bench.sh (PID) and waits for its job;
# every process below the job and the PIDs given must be gone within 2 s, else the test fails
# (after killing them). Returns the job's exit status.
stop_and_check() {
  local pid=$1 signal=$2 job=$3 tree code=0 left _
  shift 3
  mapfile -t tree < <({ pb_descendants "$job"; printf '%s\n' "$@"; } | grep .)
  kill -"$signal" "$pid"
  wait "$job" || code=$?
  for _ in $(seq 20); do [ -z "$(pb_alive "${tree[@]}")" ] && break; sleep 0.1; done
  left=$(pb_alive "${tree[@]}")
  if [ -n "$left" ]; then
    ps -o pid=,args= -p "$(echo $left | tr ' ' ,)" >&2
    kill -KILL $left 2>/dev/null
    fail "processes left behind after SIG$signal"
  fi
  echo "ok: after SIG$signal the ${#tree[@]} processes of the run are gone"
  return "$code"
}
# no_partial_in DIR: no unfinished file in a run directory.
no_partial_in() {
  local found
  found=$(find "$1" -name '*partial*' -o -name '*.p[0-9]*.json' -o -name '.*.tmp' | head -n 5)
  [ -z "$found" ] || fail "unfinished files in the run directory: $found"
}

# The plots the fixture has the data for (it sweeps N at 1 and 100 ready, A densely at one N, the
# ready fd's position at two N).
expected_plots=(wait_vs_fds_active1 wait_vs_fds_active100 wait_vs_ready position readiness_cycle epoll_lt_vs_et
                per_fd raw_baseline ctl_cost wakeup tcp tcp_latency herd watched)

# A bench.sh run small enough for a test: two backends, N <= 20, short timings.
# shellcheck disable=SC2054  # the commas are bench.sh's list syntax
tiny_run=(--quick --backends select,epoll_lt
          --wait-args "--max-fds=20 --benchmark_min_time=0.005"
          --tcp-args "--max-idle=20 --turns=200")

new_run() {  # new_run NAME FILE...: a run directory holding copies of the fixture's FILEs
  local dir=$scratch/$1 f
  shift
  mkdir -p "$dir"
  for f in "$@"; do cp "$fixture/$f" "$dir/"; done
  echo "$dir"
}

case "${1:-}" in
  plot)
    run=$(new_run plot wait.json tcp.json herd.json watched.json probe-start.json probe-end.json precision.json)
    "$python" "$repo/scripts/pollbench_plot.py" "$run" >"$scratch/written" 2>"$scratch/notes"
    # Every plot shows all its data: the plotter checks each figure's points against its axes.
    if grep -F "outside its axes" "$scratch/notes" >&2; then fail "a plotted point lies outside its axes"; fi
    grep -q "outside its axes" <("$python" - "$repo/scripts" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pollbench_plot
fig, ax = plt.subplots()
ax.plot([1, 2], [1, 2])
ax.set_ylim(0, 1.5)
print("\n".join(f"outside its axes: {p}" for p in pollbench_plot.points_outside(fig)))
PY
) || fail "the axes check does not see a point above the axis"
    for stem in "${expected_plots[@]}"; do
      for ext in png svg; do
        [ -s "$run/$stem.$ext" ] || fail "$run/$stem.$ext is missing or empty"
      done
      # A real PNG: the signature, and more than a blank canvas's few kB.
      head -c 8 "$run/$stem.png" | od -An -tx1 | tr -d ' \n' | grep -q '^89504e470d0a1a0a$' || fail "$stem.png is not a PNG"
      [ "$(stat -c %s "$run/$stem.png")" -gt 20000 ] || fail "$stem.png is suspiciously small"
    done
    pngs=$(ls "$run"/*.png | wc -l)
    [ "$pngs" -ge 6 ] || fail "only $pngs PNG plots"
    echo "ok: $pngs PNG plots, each with its SVG"
    ;;

  report)
    run=$(new_run report wait.json tcp.json herd.json watched.json command.txt probe-start.json probe-end.json \
      precision.json)
    "$python" "$repo/scripts/pollbench_plot.py" "$run" --formats png >/dev/null
    "$python" "$repo/scripts/pollbench_report.py" "$run" >/dev/null
    report=$run/report.md
    # The first page: the headline at N = 1,000 with its interval, the machine and citation lines, the
    # key ratios, the story's figures; then numbered sections.
    contains "$report" "# pollbench results" "With 1,000 watched socketpairs and 1 ready, a blocking wait took" \
      "slower than epoll_lt" "distribution-free interval of each median" "Machine: " "Cite this run as: pollbench" \
      "| key figure | value | range | from |" "| select / epoll_lt, N = 1,000, 1 ready |" \
      '<img src="wait_vs_fds_active1.png"' "Sections: 1. Time per wait"
    head -n 1 "$report" | grep -q "^# pollbench results" || fail "the report does not open with its title"
    [ "$(grep -n '^## ' "$report" | head -n 1 | cut -d: -f1)" -gt "$(grep -n '| key figure |' "$report" | cut -d: -f1)" ] ||
      fail "a section comes before the key ratios"
    sections "$report" "Machine" "Time per wait against the number of watched fds" "Scaling: fitted slopes" \
      "Ready fds at a fixed N" "Poller layer against the bare syscall" "Registration cost" "Wakeup latency" \
      "TCP server" "Where the ready fd sits" "Crossover: where epoll becomes slower than poll" \
      "The readiness cycle: writer and waiter" "What is surprising here, and why" "Spread across processes" \
      "Threads sharing one listening socket: the thundering herd" "Past the fd limit: watched sockets" "Reproduce" \
      "The knee, measured: distinct sockets against the dup control"
    contains "$report" "| Kernel |" "| fd limit (soft) |" "| Compiler |" "| Commit |" "mitigations" \
      "| backend | N = " "**1 ready fd**" "**100 ready fds**" "| backend | slope, 1 ready | BigO, 1 ready |" \
      "| syscall | N | raw |" "| backend | N | add | modify | remove |" "| backend | active |" "/s (" \
      "| backend | blocking, first | blocking, middle | blocking, last | timeout 0, first" \
      "adds a wait-queue entry to every fd it checks" "| N | backend | slower than poll from |" \
      "| backend | N | writer: write() | waiter: wait | round trip |" "cv, interval and n of every plotted point" \
      "cited points reached ±5%" "| syscall | N | raw | backend | pollbench | pollbench ÷ raw | n |" \
      "**Per-round ratios to epoll_lt**" "| probe | at the start | at the end |" "**The precision phase** sampled" \
      "the median over 2 processes" "| wait_bench processes | 2 fresh processes" "| epoll_exclusive |" \
      "| wait p50, 1 ready | 1,000 | 20,000 | 100,000 |" "$(head -n 1 "$fixture/command.txt")"
    for stem in "${expected_plots[@]}"; do contains "$report" "![$stem]($stem.png)"; done
    # Each figure sits in its own section, beside its text, not gathered at the end.
    awk '/^## [0-9]+\. Time per wait/{s=1} /^## [0-9]+\. Scaling/{s=0} s' "$report" | grep -qF "![wait_vs_fds_active1]" ||
      fail "wait_vs_fds_active1 is not in its section"
    awk '/^## [0-9]+\. TCP server/{s=1} /^## [0-9]+\. Threads/{s=0} s' "$report" | grep -qF "![tcp](tcp.png)" ||
      fail "tcp is not in its section"
    if grep -q "^## Plots" "$report"; then fail "the plots are gathered in a Plots section"; fi
    # Every backend of the fixture has a row in the per-wait table.
    for b in select poll epoll_lt epoll_et io_uring; do grep -qE "^\| $b \| [0-9]" "$report" || fail "no $b row"; done
    echo "ok: report.md opens with the first page, then numbered sections with their figures"
    ;;

  report_without_tcp)
    run=$(new_run report_without_tcp wait.json)
    "$python" "$repo/scripts/pollbench_report.py" "$run" >/dev/null
    contains "$run/report.md" "No TCP results" "slower than epoll_lt" "No plots found"
    sections "$run/report.md" "Time per wait against the number of watched fds" "TCP server"
    echo "ok: without tcp.json the report says so and renders the rest"
    ;;

  # The figures themselves, on hand-set values (known_fixture.py says what each must be): a wrong
  # headline ratio, headline N, slope, crossover or † mark fails here.
  report_numbers)
    run=$scratch/known
    "$python" "$here/known_fixture.py" "$run"
    "$python" "$repo/scripts/pollbench_plot.py" "$run" --formats png >/dev/null
    "$python" "$repo/scripts/pollbench_report.py" "$run" >/dev/null
    report=$run/report.md
    contains "$report" \
      "With 1,000 watched socketpairs and 1 ready, a blocking wait took 100 µs [99 µs–101 µs] with select" \
      "select 200× and poll 160× slower than epoll_lt" \
      "At 20,000, the largest N of this run, 2 ms [1.4 ms–2.6 ms] with select" \
      "| select / epoll_lt, N = 20,000, 1 ready | 4,000× | 2,770×–5,250× |" \
      "| log-log slope, N ≥ 100 | select 1.00, poll 1.00, epoll_lt 0.00 |" \
      "| select | 1.00 |" "| epoll_lt | 0.00 |" \
      "| 1,000 | epoll_lt | ≈ 796 ready | 80% |" "| 1,000 | epoll_et | never slower, up to 1,000 ready |" \
      "epoll becomes slower than poll from about epoll_lt at 80% of 1,000 fds ready" \
      "a blocking select took 300 µs with its ready fd first, 650 µs in the middle and 1 ms last (3.3× from first to last)" \
      "with timeout 0 it took 300 µs–300 µs wherever the fd sat (1.0× from first to last)" \
      "**Marked † on the headline plot:** io_uring_plain, whose write() costs 1.5 µs against a median 800 ns" \
      "With all 1,000 fds ready, epoll is slower than poll" "epoll pays 100 ns per ready fd beyond the first" \
      "**1 TCP curve step rises with idle connections beyond the spread** (epoll_lt, 10 active, 80k/s → 100k/s" \
      "100,000/s (98–102k)"
    if grep -qE "Marked † .*(epoll|select|poll)," "$report"; then fail "a backend other than io_uring_plain is marked"; fi
    if grep -q "epoll_et at [0-9]*% of" "$report"; then fail "epoll_et has a crossover it never reaches"; fi
    for stem in wait_vs_fds_active1 wait_vs_ready position readiness_cycle tcp; do
      [ -s "$run/$stem.png" ] || fail "no $stem.png from the known fixture"
    done
    echo "ok: headline ratio and N, slopes, crossover, position, readiness cycle and marks are the known ones"
    ;;

  compare)
    old=$(new_run old wait.json tcp.json)
    new=$(new_run new wait.json tcp.json)
    "$repo/scripts/compare.sh" "$old" "$new" >"$scratch/compare.txt"
    out=$new/compare-vs-old
    [ "$(wc -l <"$scratch/compare.txt")" -le 62 ] || fail "the summary has $(wc -l <"$scratch/compare.txt") lines, not ~60"
    # The machine probes come first (derived: the fixture has no probe files), then the runs.
    head -n 1 "$scratch/compare.txt" | grep -q "^Machine probes, old -> new, DERIVED from each run's wait.json" ||
      fail "the summary does not start with the machine probes"
    grep -q "^old: $old" "$scratch/compare.txt" || fail "the summary does not name the old run"
    contains "$scratch/compare.txt" "Headline points" "Fitted log-log slopes" "[derived: wait/epoll_lt/" \
      "Changes larger than both runs' spread: 0 of" "(none: every difference is inside the spread" \
      "better 0, worse 0, machine 0, unchanged" \
      "Written to $out: compare.md, overlay.png, compare-full.txt"
    for f in compare.md overlay.png compare-full.txt; do [ -s "$out/$f" ] || fail "no $out/$f"; done
    contains "$out/compare-full.txt" "=== wait.json: times (Google Benchmark compare.py) ===" \
      "Comparing $old/wait.json to $new/wait.json" "_median" "OVERALL_GEOMEAN" \
      "=== wait.json: counters ===" "p99_ns" "=== tcp.json: counters ===" "requests_per_sec"
    contains "$out/compare.md" "![both runs on one log-log axis](overlay.png)" "## Every point in both runs"
    # The same run against itself: no change anywhere in compare.py's output.
    if grep -E '^(wait|ctl|wakeup|raw|tcp)/' "$out/compare-full.txt" | grep -E '[-+][0-9]\.[0-9]{4}' | grep -vqE '[-+]0\.0000'; then
      fail "a run compared with itself shows a change"
    fi
    # Known runs: only the changes beyond both spreads are listed, with the right sign and size.
    "$python" "$here/known_fixture.py" "$scratch/known_old"
    "$python" "$here/known_fixture.py" "$scratch/known_new"
    "$python" - "$scratch/known_new/wait.json" <<'PY'
import json, sys
path = sys.argv[1]
data = json.load(open(path))
for row in data["benchmarks"]:  # poll at N = 100 twice as slow in every process; select at 10 by 0.5% (noise)
    name = row.get("run_name", "")
    if "wait/poll/socketpair/mode:block/pos:spread/fds:100/active:1" == name and "p50_ns" in row:
        row["p50_ns"] *= 2
    if "wait/select/socketpair/mode:block/pos:spread/fds:10/active:1" == name and "p50_ns" in row:
        row["p50_ns"] *= 1.005
json.dump(data, open(path, "w"))
PY
    "$repo/scripts/compare.sh" --out "$scratch/known_cmp" "$scratch/known_old" "$scratch/known_new" >"$scratch/compare.txt"
    contains "$scratch/compare.txt" "Changes larger than both runs' spread: 1 of" \
      "wait/poll/socketpair/mode:block/pos:spread/fds:100/active:1: 8 µs [7.92 µs–8.08 µs] -> 16 µs [15.8 µs–16.2 µs] (+100.0%, worse)" \
      "select: 1 ready 1.00 -> 1.00"
    if grep -q "fds:10/active:1.*worse" "$scratch/compare.txt"; then fail "a change inside the spread is called worse"; fi
    # Runs whose names differ only in run options (wait_bench sizes min_time per machine) still pair up.
    "$python" - "$new/wait.json" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
for row in data["benchmarks"]:  # as Google Benchmark names a run given MinTime and Repetitions
    for key in ("name", "run_name"):
        base, sep, aggregate = row[key].partition("_" + row.get("aggregate_name", "-")) if row.get("aggregate_name") else (row[key], "", "")
        row[key] = base + "/min_time:0.123/repeats:3/manual_time" + sep + aggregate
json.dump(data, open(sys.argv[1], "w"))
PY
    grep -q 'fds:100/active:1/min_time:0.123/repeats:3/manual_time_median' "$new/wait.json" || fail "renaming failed"
    rm "$new/tcp.json"
    "$repo/scripts/compare.sh" "$old" "$new" >"$scratch/compare.txt"
    contains "$out/compare-full.txt" "wait/select/socketpair/mode:block/pos:spread/fds:100/active:1_median" \
      "wait/epoll_lt/socketpair/mode:block/pos:spread/fds:1000/active:1_pvalue"
    contains "$scratch/compare.txt" "Changes larger than both runs' spread: 0 of" "tcp.json is only in one run"
    expect_error 2 "expected 2 run directories" "$repo/scripts/compare.sh" "$old"
    expect_error 2 "is not a directory" "$repo/scripts/compare.sh" "$old" "$scratch/nonexistent"
    expect_error 2 "unknown option" "$repo/scripts/compare.sh" --bogus "$old" "$new"
    echo "ok: compare.sh prints the summary first, writes compare.md, overlay.png and the full output"
    ;;

  bad_json)
    bad=$scratch/bad
    mkdir -p "$bad"
    : >"$bad/empty.json"
    head -c "$(($(stat -c %s "$fixture/wait.json") / 2))" "$fixture/wait.json" >"$bad/truncated.json"
    echo '{"foo": 1}' >"$bad/foreign.json"
    echo '{"context": {}, "benchmarks": [{"name": "BM_memcpy/8", "run_type": "iteration", "real_time": 1,
           "cpu_time": 1, "time_unit": "ns"}]}' >"$bad/other_benchmark.json"
    results=$repo/scripts/pollbench_results.py
    expect_error 1 "empty.json: is empty" "$python" "$results" "$bad/empty.json"
    expect_error 1 "truncated.json: is not valid JSON .*looks truncated" "$python" "$results" "$bad/truncated.json"
    expect_error 1 "foreign.json: is not Google Benchmark JSON" "$python" "$results" "$bad/foreign.json"
    expect_error 1 "holds no pollbench results.*BM_memcpy/8" "$python" "$results" "$bad/other_benchmark.json"
    expect_error 1 "no such file" "$python" "$results" "$bad/missing.json"
    for kind in empty truncated foreign; do
      run=$scratch/run_$kind
      mkdir -p "$run"
      cp "$bad/$kind.json" "$run/wait.json"
      cp "$fixture/tcp.json" "$run/tcp.json"
      expect_error 1 "^error: .*wait.json" "$python" "$repo/scripts/pollbench_plot.py" "$run"
      expect_error 1 "^error: .*wait.json" "$python" "$repo/scripts/pollbench_report.py" "$run"
      [ ! -e "$run/report.md" ] || fail "a report was written from a bad wait.json"
      good=$(new_run "good_$kind" wait.json tcp.json)
      expect_error 1 "^error: .*wait.json" "$repo/scripts/compare.sh" "$good" "$run"
    done
    empty_dir=$scratch/no_results
    mkdir -p "$empty_dir"
    expect_error 1 "holds neither wait.json nor tcp.json" "$python" "$repo/scripts/pollbench_report.py" "$empty_dir"
    ;;

  bench_cli)
    "$repo/scripts/bench.sh" --help >"$scratch/help"
    contains "$scratch/help" "--quick" "--out DIR" "--backends" "--skip-build" "Exit status"
    expect_error 2 "unknown option '--bogus'" "$repo/scripts/bench.sh" --bogus
    expect_error 2 "unknown backend 'kqueue'" "$repo/scripts/bench.sh" --backends select,kqueue
    expect_error 2 "--jobs takes a positive whole number" "$repo/scripts/bench.sh" --jobs 0
    expect_error 2 "--processes takes a whole number from 1 to 100, not '0'" "$repo/scripts/bench.sh" --processes 0
    expect_error 2 "--processes takes a whole number from 1 to 100, not 'x'" "$repo/scripts/bench.sh" --processes=x
    # The known backends come from the binaries' own list.
    expect_error 2 "unknown backend 'poll' in --backends \(known: select,epoll_lt\)" \
      "$repo/scripts/bench.sh" --bin-dir "$here/slow_bin" --backends poll
    expect_error 2 "--out needs a value" "$repo/scripts/bench.sh" --out
    # An empty list is a mistake, never "everything".
    expect_error 2 "--backends needs at least one backend name \(got ''\)" "$repo/scripts/bench.sh" --backends ""
    expect_error 2 "--backends needs at least one backend name \(got ','\)" "$repo/scripts/bench.sh" --backends=,
    expect_error 2 "--skip needs at least one step, of: wait, tcp, herd, watched \(got ''\)" "$repo/scripts/bench.sh" --skip ""
    expect_error 2 "--skip needs at least one step" "$repo/scripts/bench.sh" --skip=
    expect_error 2 "--quick takes no value" "$repo/scripts/bench.sh" --quick=1
    expect_error 2 "--precision takes a fraction above 0 and below 1 \(0.05\) or a percent \(5%\), or 0 or off for none; not '5'" \
      "$repo/scripts/bench.sh" --precision 5
    expect_error 2 "--precision takes a fraction .*not '100%'" "$repo/scripts/bench.sh" --precision=100%
    expect_error 2 "--precision takes a fraction .*not 'tight'" "$repo/scripts/bench.sh" --precision tight
    expect_error 2 "--budget takes the run's time budget in minutes, a number above 0 and at most 1440, not '0'" \
      "$repo/scripts/bench.sh" --budget 0
    expect_error 2 "--budget takes .*not '12m'" "$repo/scripts/bench.sh" --budget 12m
    expect_error 2 "--tcp-rounds takes a whole number from 1 to 100, not '0'" "$repo/scripts/bench.sh" --tcp-rounds 0
    run=$(new_run earlier_run wait.json)
    expect_error 2 "refusing to overwrite" "$repo/scripts/bench.sh" --out "$run"
    cmp -s "$run/wait.json" "$fixture/wait.json" || fail "bench.sh touched an earlier run"
    [ "$(ls "$run")" = "wait.json" ] || fail "bench.sh wrote into an earlier run"
    ;;

  # bench.sh end to end with the real binaries (BIN_DIR = the build's bin/), kept small:
  # two backends, tiny N, short runs. Its numbers are not looked at, only the run directory.
  bench_run)
    bin=${2:?bench_run needs the binaries directory}
    run=$scratch/run
    # On a terminal (script(1) gives it one): each benchmark step's progress is one line redrawn
    # in place (\r, then erase to the end of the line).
    script -qefc "$(printf '%q ' "$repo/scripts/bench.sh" "${tiny_run[@]}" --bin-dir "$bin" --out "$run")" /dev/null \
      >"$scratch/log" 2>&1 </dev/null || { cat "$scratch/log" >&2; fail "bench.sh failed"; }
    grep -qE $'\r    wait: process [12]/2, [0-9]+/[0-9]+ benchmarks, [0-9]+s elapsed.*\e\\[K' "$scratch/log" ||
      { cat -A "$scratch/log" | head -40 >&2; fail "no progress line redrawn in place on a terminal"; }
    grep -qE '^Benchmark +Time +CPU' "$run/logs/wait.p0.log" || fail "Google Benchmark's table is not in the step's log"
    ! grep -qE '^Benchmark +Time' "$scratch/log" || fail "Google Benchmark's table reached the terminal"
    grep -E '^\[[1-8]/8\] .*\(elapsed [0-9]+s\)' "$scratch/log" | sed 's/^/progress: /'
    [ "$(grep -cE '^\[[1-8]/8\]' "$scratch/log")" -eq 8 ] || fail "progress does not show 8 steps"
    "$python" "$repo/scripts/pollbench_results.py" "$run/wait.json" "$run/tcp.json" || fail "invalid JSON"
    [ -s "$run/report.md" ] || fail "no report.md"
    [ "$(ls "$run"/*.png | wc -l)" -ge 5 ] || fail "too few plots: $(ls "$run")"
    contains "$run/command.txt" "scripts/bench.sh --quick" "--backends select,epoll_lt"
    contains "$run/report.md" "slower than epoll_lt" "scripts/bench.sh --quick" "| epoll_exclusive |" "| epoll_lt |"
    sections "$run/report.md" "TCP server" "Threads sharing one listening socket: the thundering herd" \
      "Past the fd limit: watched sockets"
    for f in herd.png herd.svg watched.png watched.svg; do [ -s "$run/$f" ] || fail "no $f: $(ls "$run")"; done
    # The machine probes around the benchmarks, and tcp_bench's rounds merged like wait's processes.
    for f in probe-start probe-end; do
      "$python" -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["cpu_loop"]["ns_per_step"]["median"] > 0' \
        "$run/$f.json" || fail "no usable $f.json"
      grep -q $'^'"$f"$'\tok\t' "$run/steps.tsv" || fail "steps.tsv has no $f row: $(cat "$run/steps.tsv")"
    done
    "$python" - "$run/tcp.json" <<'PY' || fail "tcp.json is not two interleaved rounds"
import json, sys
rows = [r for r in json.load(open(sys.argv[1]))["benchmarks"] if r["run_type"] == "iteration"]
by_point = {}
for r in rows:
    by_point.setdefault(r["run_name"], []).append(r["process_index"])
assert by_point and all(sorted(v) == [0, 1] for v in by_point.values()), by_point
PY
    grep -qE "tcp_bench .*--benchmark_repetitions=1 --benchmark_enable_random_interleaving=true" "$scratch/log" ||
      fail "the tcp rounds do not run one repetition in a shuffled order"
    [ ! -e "$run/precision.json" ] || fail "--quick ran a precision phase (it is off unless --precision)"
    [ -z "$(find "$run" -maxdepth 1 -name '*partial*')" ] || fail "a partial file is left in the run directory"
    ! cut -f2 "$run/steps.tsv" | grep -vqE '^(ok|skipped)$' || fail "a step did not succeed: $(cat "$run/steps.tsv")"
    echo "ok: bench.sh wrote $(ls "$run" | wc -l) files; steps: $(cut -f1,2 "$run/steps.tsv" | tr '\t\n' ': ')"
    ;;

  # The precision phase on the real wait_bench, kept tiny: poll only, N <= 1,000, short timings,
  # a loose +-50% and a budget that leaves it a few seconds.
  bench_precision)
    bin=${2:?bench_precision needs the binaries directory}
    run=$scratch/run
    "$repo/scripts/bench.sh" --quick --backends poll --skip tcp,herd,watched --precision 50% --budget 0.5 \
      --wait-args "--max-fds=1000 --benchmark_min_time=0.002" --bin-dir "$bin" --out "$run" >"$scratch/log" 2>&1 ||
      { cat "$scratch/log" >&2; fail "bench.sh --precision failed"; }
    grep -E '^    precision: ' "$scratch/log" | sed 's/^/progress: /'
    grep -qE $'^wait\tok\t[0-9]+\t.*precision \\+-50%: [0-9]+ of [0-9]+ points stopped on budget' "$run/steps.tsv" ||
      fail "the wait step's row does not count the points stopped on budget: $(cat "$run/steps.tsv")"
    "$python" - "$run" <<'PY' || fail "precision.json or wait.json does not follow the contract"
import json, sys
run = sys.argv[1]
prec = json.load(open(f"{run}/precision.json"))
assert (prec["precision"], prec["confidence"], prec["unit"]) == (0.5, 0.95, "process"), prec
assert 0 < prec["spent_s"] and prec["budget_s"] > 0, prec
points = prec["points"]
head = "wait/poll/socketpair/mode:block/pos:spread/fds:1000/active:1"
assert "headline" in points[head]["role"] and "layer" in points[head]["role"], points[head]
assert "raw/poll/socketpair/mode:block/pos:spread/fds:1000/active:1" in points, sorted(points)
for name, p in points.items():
    assert p["status"] in ("reached", "budget") and p["n"] >= 2, (name, p)
    assert p["status"] == "budget" or (p["lo"] <= p["median"] <= p["hi"] and p["relative_half_width"] <= 0.5), (name, p)
rows = [r for r in json.load(open(f"{run}/wait.json"))["benchmarks"] if r["run_type"] == "iteration"]
sweep = {r["process_index"] for r in rows if r["sampling"] == "sweep"}
rounds = {r["process_index"] for r in rows if r["sampling"] == "precision"}
assert sweep == {0, 1} and rounds and min(rounds) == 2, (sweep, rounds)
# The rounds' rows join the sweep's points (same names), one sample per process.
head_rows = [r for r in rows if r["run_name"].split("/min_time")[0] == head]
assert len({r["run_name"] for r in head_rows}) == 1, {r["run_name"] for r in head_rows}
assert len(head_rows) == points[head]["n"], (len(head_rows), points[head]["n"])
print(f"ok: {len(points)} points, {sum(p['status'] == 'reached' for p in points.values())} reached, "
      f"{len(rounds)} rounds merged as processes {min(rounds)}-{max(rounds)}")
PY
    ;;

  bench_step_fails)
    bin=${2:?bench_step_fails needs the binaries directory}
    run=$scratch/run
    # tcp_bench refuses an unknown flag: the tcp step fails, the others finish.
    expect_error 1 "step 4/8 \(tcp\) failed: exit status" \
      "$repo/scripts/bench.sh" "${tiny_run[@]}" --tcp-args "--no-such-flag" --skip herd,watched --bin-dir "$bin" --out "$run"
    "$python" "$repo/scripts/pollbench_results.py" "$run/wait.json" || fail "the finished step's JSON is not valid"
    [ ! -e "$run/tcp.json" ] || fail "the failed step left a tcp.json"
    [ -s "$run/logs/tcp.p0.log" ] || fail "no log of the failed step's first round: $(ls "$run/logs")"
    contains "$run/report.md" "This run is incomplete: step 'tcp' failed" "No TCP results"
    sections "$run/report.md" "Time per wait against the number of watched fds"
    grep -q "1 step(s) failed: tcp" "$scratch/err" || fail "the summary does not name the failed step"
    # To a pipe: plain lines, a few a step, and none of Google Benchmark's table.
    lines=$(cat "$scratch/out" "$scratch/err" | wc -l)
    [ "$lines" -le 45 ] || { cat "$scratch/out" >&2; fail "$lines lines of output for three steps and two probes"; }
    ! grep -q $'\r' "$scratch/out" || fail "a carriage return in the output to a pipe"
    ! grep -qE '^Benchmark +Time' "$scratch/out" || fail "Google Benchmark's table reached the output"
    ;;

  bench_timeout)
    bin=${2:?bench_timeout needs the binaries directory}
    run=$scratch/run
    # A step cut short (here by --step-timeout) leaves no half JSON where a result belongs.
    expect_error 1 "step 3/8 \(wait\) failed: timed out after 1s" \
      "$repo/scripts/bench.sh" --quick --backends select --skip herd,watched --step-timeout 1 --tcp-args "--seconds=5" \
      --bin-dir "$bin" --out "$run"
    if [ -e "$run/wait.json" ] || [ -e "$run/tcp.json" ]; then fail "a timed-out step left its JSON"; fi
    [ ! -e "$run/report.md" ] || fail "a report from no results"
    grep -q $'^plots\tskipped' "$run/steps.tsv" || fail "plots were not skipped: $(cat "$run/steps.tsv")"
    ;;

  # Stopping: bench.sh on stand-ins that never finish (slow_bin/), stopped during the wait step.
  stop_term|stop_int|stop_background|stop_kill)
    run=$scratch/run
    log=$scratch/bench.log
    args=(--bin-dir "$here/slow_bin" --out "$run")
    case "$1" in
      stop_background)  # as a script starts it: in the background, so SIGINT arrives ignored
        bash -c '"$@" >"$0" 2>&1' "$log" "$repo/scripts/bench.sh" "${args[@]}" &
        runner=$! ;;
      *)  # as from a terminal: SIGINT handled by default
        env --default-signal=INT "$repo/scripts/bench.sh" "${args[@]}" >"$log" 2>&1 &
        runner=$! ;;
    esac
    stand_in=$(wait_for_log "$run/logs/wait.p0.log" 'slow stand-in wait_bench started \(pid [0-9]+\)' 30 |
               sed 's/.*(pid \([0-9]*\)).*/\1/')
    [ -n "$stand_in" ] || { cat "$log" >&2; fail "the wait step never started"; }
    # bench.sh's PID: the job's own (env and bash -c exec it), else its child running bench.sh.
    pid=$runner
    case "$(tr '\0' '\n' <"/proc/$pid/cmdline" | sed -n 2p)" in
      */scripts/bench.sh) ;;
      *) pid=$(pgrep -P "$runner" -f "scripts/bench.sh" | head -n 1) ;;
    esac
    [ -n "$pid" ] || fail "cannot find bench.sh's PID"
    ignored=$(awk '/^SigIgn:/ { print $2 }' "/proc/$pid/status")
    (( (16#$ignored & 2) == 0 )) || fail "bench.sh runs with SIGINT ignored (SigIgn $ignored)"
    signal=TERM
    case "$1" in stop_int|stop_background) signal=INT ;; stop_kill) signal=KILL ;; esac
    started=$(date +%s%N)
    code=0
    stop_and_check "$pid" "$signal" "$runner" "$stand_in" || code=$?
    took=$(( ($(date +%s%N) - started) / 1000000 ))
    [ "$took" -le 2500 ] || fail "SIG$signal took ${took} ms to stop the run (at most 2000 and the check's 0.5 s)"
    case "$signal" in
      TERM) [ "$code" -eq 143 ] || fail "exit status $code after SIGTERM, expected 143" ;;
      INT) [ "$code" -eq 130 ] || fail "exit status $code after SIGINT, expected 130" ;;
    esac
    if [ "$signal" != KILL ]; then
      grep -q "stopped by SIG$signal during step 3/8 (wait)" "$log" || { cat "$log" >&2; fail "no message naming the step"; }
      grep -q $'^wait\tinterrupted' "$run/steps.tsv" || fail "steps.tsv does not say the wait step was interrupted"
      [ -z "$(ls -d "$scratch"/.bench-partial-* 2>/dev/null)" ] || fail "partial files left beside the run: $(ls -a "$scratch")"
    fi
    echo "ok: SIG$signal during the wait step ($1): run over in ${took} ms, exit $code, nothing left running"
    ;;

  # SIGKILL, which no trap sees, in the build step (a stand-in cmake whose processes do not die
  # with their parent) and in the tcp step (tcp_bench and its loadgen processes): every process
  # of the run must go, and no partial file may be in the run directory; the next run removes
  # the ones left beside it.
  kill_build)
    run=$scratch/run
    PATH="$here/slow_bin:$PATH" "$repo/scripts/bench.sh" --quick --out "$run" >"$scratch/bench.log" 2>&1 &
    runner=$!
    wait_for_log "$run/logs/build.log" "slow stand-in cmake building" 30 >/dev/null ||
      { cat "$scratch/bench.log" >&2; fail "the build step never started"; }
    for _ in $(seq 50); do [ "$(pb_descendants "$runner" | wc -l)" -ge 6 ] && break; sleep 0.1; done
    stop_and_check "$runner" KILL "$runner" || true
    no_partial_in "$run"
    echo "ok: SIGKILL during the build step: cmake's stand-in and its children all gone, no partial file in the run"
    ;;

  kill_tcp)
    bin=${2:?kill_tcp needs the binaries directory}
    run=$scratch/run
    "$repo/scripts/bench.sh" --quick --skip-build --bin-dir "$bin" --backends poll --skip wait,herd,watched \
      --tcp-args "--seconds=30 --benchmark_filter=^tcp/poll/idle:0/" --out "$run" >"$scratch/bench.log" 2>&1 &
    runner=$!
    runs_loadgen() { pb_descendants "$runner" | xargs -r ps -o comm= -p 2>/dev/null | grep -qx loadgen; }
    for _ in $(seq 300); do runs_loadgen && break; sleep 0.1; done
    runs_loadgen || { cat "$scratch/bench.log" >&2; fail "the tcp step never started loadgen"; }
    stop_and_check "$runner" KILL "$runner" || true
    no_partial_in "$run"
    [ ! -e "$run/tcp.json" ] || fail "a killed tcp step left tcp.json"
    left=$(ls -d "$scratch"/.bench-partial-* 2>/dev/null)
    [ -n "$left" ] || fail "no partial files beside the run: were they written in it?"
    # The next run beside it removes them, and says so.
    "$repo/scripts/bench.sh" --skip-build --bin-dir "$bin" --skip wait,tcp,herd,watched --out "$scratch/next" \
      >"$scratch/next.log" 2>&1 || { cat "$scratch/next.log" >&2; fail "the next run failed"; }
    grep -q "note: removed .*bench-partial-.*a run that was killed" "$scratch/next.log" ||
      { cat "$scratch/next.log" >&2; fail "the next run did not say it removed the partial files"; }
    [ -z "$(ls -d "$scratch"/.bench-partial-* 2>/dev/null)" ] || fail "the next run left $left"
    echo "ok: SIGKILL during the tcp step: tcp_bench, timeout and loadgen gone, no partial file in the run; the next run removed $(basename "$left")"
    ;;

  python_units)
    "$python" "$here/test_results.py" -v 2>&1
    ;;

  compare_probes)  # compare's machine probes: drift marked "machine", a real change still worse, derived probes
    "$python" "$here/test_compare_probes.py" -v 2>&1
    ;;

  fleet)  # compare.sh --fleet on runs derived by fleet_fixture.py (other machines, kernels, commits)
    "$python" "$here/test_fleet.py" -v 2>&1
    ;;

  # The axes check itself, and tcp panels that each fit their lines (the plot case runs the check on
  # every plot of the fixture).
  plot_bounds)
    "$python" "$here/test_plots.py" -v 2>&1
    ;;

  # Sections of the report alone: first page, findings, herd and watched, the knee, intervals.
  report_sections)
    "$python" "$here/test_report_sections.py" -v 2>&1
    ;;
  report_precision)
    "$python" "$here/test_report_precision.py" -v 2>&1
    ;;

  *)
    echo "usage: $0 plot|plot_bounds|report|report_sections|report_precision|report_without_tcp|report_numbers|compare|compare_probes|fleet|bad_json" >&2
    echo "       $0 bench_cli|python_units" >&2
    echo "       $0 stop_term|stop_int|stop_background|stop_kill|kill_build" >&2
    echo "       $0 bench_run|bench_precision|bench_step_fails|bench_timeout|kill_tcp BIN_DIR" >&2
    exit 2
    ;;
esac
