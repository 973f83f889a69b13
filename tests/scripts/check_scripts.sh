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
trap 'rm -rf "$scratch"' EXIT

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
contains() {  # contains FILE TEXT...: every TEXT is in FILE
  local file=$1 text
  shift
  for text in "$@"; do
    grep -qF -- "$text" "$file" || fail "$file lacks '$text'"
  done
}
# The plots the fixture has the data for (it sweeps N at 1 and 100 ready, and A at one N).
expected_plots=(wait_vs_fds_active1 wait_vs_fds_active100 wait_vs_ready epoll_lt_vs_et raw_baseline ctl_cost wakeup tcp)

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
    run=$(new_run plot wait.json tcp.json)
    "$python" "$repo/scripts/pollbench_plot.py" "$run" >"$scratch/written"
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
    run=$(new_run report wait.json tcp.json command.txt)
    "$python" "$repo/scripts/pollbench_plot.py" "$run" >/dev/null
    "$python" "$repo/scripts/pollbench_report.py" "$run" >/dev/null
    report=$run/report.md
    contains "$report" "# pollbench results" "slower than epoll_lt" \
      "## Machine" "| Kernel |" "| fd limit (soft) |" "| Compiler |" "| Commit |" "mitigations" \
      "## Time per wait" "| backend | N = " "**1 ready fd**" "**100 ready fds**" \
      "## Scaling: fitted slopes" "| backend | slope, 1 ready | BigO, 1 ready |" \
      "## Ready fds at a fixed N" "## Poller layer against the bare syscall" "| syscall | N | raw |" \
      "## Registration cost" "| backend | N | add | modify | remove |" \
      "## Wakeup latency" "## TCP server" "| backend | active |" "/s / " \
      "## Reproduce" "$(head -n 1 "$fixture/command.txt")"
    for stem in "${expected_plots[@]}"; do contains "$report" "![$stem]($stem.png)"; done
    # Every backend of the fixture has a row in the per-wait table.
    for b in select poll epoll_lt epoll_et io_uring; do grep -qE "^\| $b \| [0-9]" "$report" || fail "no $b row"; done
    echo "ok: report.md has the headline, the tables, the plots and the reproduce command"
    ;;

  report_without_tcp)
    run=$(new_run report_without_tcp wait.json)
    "$python" "$repo/scripts/pollbench_report.py" "$run" >/dev/null
    contains "$run/report.md" "No TCP results" "## Time per wait" "slower than epoll_lt" "No plots found"
    echo "ok: without tcp.json the report says so and renders the rest"
    ;;

  compare)
    old=$(new_run old wait.json tcp.json)
    new=$(new_run new wait.json tcp.json)
    "$repo/scripts/compare.sh" "$old" "$new" >"$scratch/compare.txt"
    contains "$scratch/compare.txt" "=== wait.json: times (Google Benchmark compare.py) ===" \
      "Comparing $old/wait.json to $new/wait.json" "_median" "OVERALL_GEOMEAN" \
      "=== wait.json: counters ===" "p99_ns" "=== tcp.json: counters ===" "requests_per_sec"
    # The same run against itself: no change anywhere.
    if grep -E '^(wait|ctl|wakeup|raw|tcp)/' "$scratch/compare.txt" | grep -E '[-+][0-9]\.[0-9]{4}' | grep -vqE '[-+]0\.0000'; then
      fail "a run compared with itself shows a change"
    fi
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
    "$repo/scripts/compare.sh" "$old" "$new" >"$scratch/compare.txt"
    contains "$scratch/compare.txt" "wait/select/socketpair/fds:100/active:1_median" "wait/epoll_lt/socketpair/fds:500/active:1_pvalue"
    rm "$new/tcp.json"
    "$repo/scripts/compare.sh" "$old" "$new" >"$scratch/compare.txt"
    contains "$scratch/compare.txt" "tcp.json is only in one run"
    expect_error 2 "expected 2 run directories" "$repo/scripts/compare.sh" "$old"
    expect_error 2 "is not a directory" "$repo/scripts/compare.sh" "$old" "$scratch/nonexistent"
    expect_error 2 "unknown option" "$repo/scripts/compare.sh" --bogus "$old" "$new"
    echo "ok: compare.sh runs compare.py and the counter comparison"
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
    expect_error 2 "--out needs a value" "$repo/scripts/bench.sh" --out
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
    "$repo/scripts/bench.sh" "${tiny_run[@]}" --bin-dir "$bin" --out "$run" >"$scratch/log" 2>&1 ||
      { cat "$scratch/log" >&2; fail "bench.sh failed"; }
    grep -E '^\[[1-6]/6\] .*\(elapsed [0-9]+s\)' "$scratch/log" | sed 's/^/progress: /'
    [ "$(grep -cE '^\[[1-6]/6\]' "$scratch/log")" -eq 6 ] || fail "progress does not show 6 steps"
    "$python" "$repo/scripts/pollbench_results.py" "$run/wait.json" "$run/tcp.json" || fail "invalid JSON"
    [ -s "$run/report.md" ] || fail "no report.md"
    [ "$(ls "$run"/*.png | wc -l)" -ge 5 ] || fail "too few plots: $(ls "$run")"
    contains "$run/command.txt" "scripts/bench.sh --quick" "--backends select,epoll_lt"
    contains "$run/report.md" "slower than epoll_lt" "## TCP server" "scripts/bench.sh --quick"
    [ -z "$(find "$run" -maxdepth 1 -name '*partial*')" ] || fail "a partial file is left in the run directory"
    ! cut -f2 "$run/steps.tsv" | grep -vqE '^(ok|skipped)$' || fail "a step did not succeed: $(cat "$run/steps.tsv")"
    echo "ok: bench.sh wrote $(ls "$run" | wc -l) files; steps: $(cut -f1,2 "$run/steps.tsv" | tr '\t\n' ': ')"
    ;;

  bench_step_fails)
    bin=${2:?bench_step_fails needs the binaries directory}
    run=$scratch/run
    # tcp_bench refuses an unknown flag: the tcp step fails, the others finish.
    expect_error 1 "step 4/6 \(tcp\) failed: exit status" \
      "$repo/scripts/bench.sh" "${tiny_run[@]}" --tcp-args "--no-such-flag" --bin-dir "$bin" --out "$run"
    "$python" "$repo/scripts/pollbench_results.py" "$run/wait.json" || fail "the finished step's JSON is not valid"
    [ ! -e "$run/tcp.json" ] || fail "the failed step left a tcp.json"
    [ -s "$run/logs/tcp.log" ] || fail "no log of the failed step"
    contains "$run/report.md" "This run is incomplete: step 'tcp' failed" "No TCP results" "## Time per wait"
    grep -q "1 step(s) failed: tcp" "$scratch/err" || fail "the summary does not name the failed step"
    ;;

  bench_timeout)
    bin=${2:?bench_timeout needs the binaries directory}
    run=$scratch/run
    # A step cut short (here by --step-timeout) leaves no half JSON where a result belongs.
    expect_error 1 "step 3/6 \(wait\) failed: timed out after 1s" \
      "$repo/scripts/bench.sh" --quick --backends select --step-timeout 1 --bin-dir "$bin" --out "$run"
    if [ -e "$run/wait.json" ] || [ -e "$run/tcp.json" ]; then fail "a timed-out step left its JSON"; fi
    [ ! -e "$run/report.md" ] || fail "a report from no results"
    grep -q $'^plots\tskipped' "$run/steps.tsv" || fail "plots were not skipped: $(cat "$run/steps.tsv")"
    ;;

  python_units)
    "$python" "$here/test_results.py" -v 2>&1
    ;;

  *)
    echo "usage: $0 plot|report|report_without_tcp|compare|bad_json|bench_cli|python_units" >&2
    echo "       $0 bench_run|bench_step_fails|bench_timeout BIN_DIR" >&2
    exit 2
    ;;
esac
