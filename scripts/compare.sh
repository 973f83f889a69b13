#!/usr/bin/env bash
# Compares two pollbench runs. First a summary (scripts/pollbench_compare.py, about 60 lines at
# most): the machine probes of both runs, the headline points, each family's slope, and the
# changes larger than both runs' spread, each better, worse or "machine" (explained by its
# probe); it also writes compare.md and overlay.png. The full comparison goes to a file beside them: for
# each result file both hold (wait.json, tcp.json), Google Benchmark's own compare.py (Debian's
# libbenchmark-tools), the time ratio of every benchmark and its Mann-Whitney U test over the
# samples, then scripts/compare_counters.py, the counters compare.py ignores.
# With --fleet (or three runs or more), one report across all of them instead
# (scripts/pollbench_fleet.py): figures taken within each run, side by side. See docs/compare.md.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: scripts/compare.sh [--out DIR] [--all] [--counters LIST] OLD_DIR NEW_DIR
       scripts/compare.sh --fleet [--out DIR] RUN_DIR RUN_DIR [RUN_DIR ...]

Prints a summary of what changed (about 60 lines): first the machine probes, old -> new, each
with its ratio and whether it moved beyond both runs' spread (probe-start.json and probe-end.json
of each run; for a run without them, proxies derived from wait.json, marked "derived"); then the
headline points (N = 1,000 and the largest N both runs measured) in both runs, each family's
fitted log-log slope in both runs, and the changes larger than both runs' spread (min-max over
the processes, or repetitions, of each point): a difference inside the spread a rerun shows is
not a change. A change whose matching probe moved too counts as better or worse only if it is
still beyond both spreads once divided by the probe's ratio; else it is "machine". The counts
better / worse / machine / unchanged follow. Then writes into DIR:
  compare.md        the summary, the overlay plot and every point in both runs
  overlay.png       both runs' time per wait against N on one log-log axis
  compare-full.txt  the full comparison of each result file in both runs (wait.json, tcp.json):
    1. times: /usr/share/benchmark/compare.py benchmarks OLD NEW (Google Benchmark's tool).
       Columns Time and CPU are (new - old) / old: -0.50 is twice as fast, +1.00 twice as slow.
       The _pvalue rows are its U test over the samples; it wants 9+ of them to be reliable.
    2. counters: scripts/compare_counters.py, the medians of p50_ns, p99_ns, p999_ns and
       requests_per_sec, which compare.py does not show.
Benchmarks pair up by what they measured, without Google Benchmark's run options (min_time:,
repeats:, iterations:): the binaries size those per machine and run, so they differ between runs.

  --out DIR        where the files go (default: NEW_DIR/compare-vs-<name of OLD_DIR>)
  --all            compare-full.txt shows every sample, not only the aggregates
  --counters LIST  comma-separated counters for step 2 (default: p50_ns,p99_ns,p999_ns,requests_per_sec)
  --fleet          one report across K >= 2 runs (implied by 3 or more), for runs from different
                   machines, kernels, commits or days. Prints a summary first: each run's
                   machine (CPU, kernel, fd limit, commit), then figures taken within each run
                   (select and poll against epoll_lt at N = 1,000 and the largest N, log-log
                   slopes, the knee, the crossover), each as the median over the run's processes
                   with its order-statistic interval, on the points every run measured (what it
                   leaves out is named). Writes into DIR (default: LAST_RUN_DIR/fleet-of-K):
                     fleet.md                    the summary, a machine table, a figures table
                     fleet_time.png, .svg        time per wait against N, a line per run per backend
                     fleet_ratio.png, .svg       the same divided by epoll_lt within each run
  -h, --help       this text

Needs Debian's libbenchmark-tools, python3-scipy and python3-numpy (for /usr/bin/python3);
--fleet needs only python3-matplotlib and python3-numpy.
Exit status: 0 compared, 1 a file is unusable or the tools are missing, 2 usage error (also a
--fleet run directory without wait.json).
USAGE
}

aggregates_only=(-a)
counters=p50_ns,p99_ns,p999_ns,requests_per_sec
dirs=() out="" fleet=0 two_run_options=()
while [ $# -gt 0 ]; do
  case "$1" in
    --all) aggregates_only=() two_run_options+=(--all) ;;
    --fleet) fleet=1 ;;
    --out) [ $# -ge 2 ] || { echo "error: --out needs a directory" >&2; exit 2; }
           out=$2; shift ;;
    --out=*) out=${1#--out=} ;;
    --counters) [ $# -ge 2 ] || { echo "error: --counters needs a comma-separated list" >&2; exit 2; }
                counters=$2; two_run_options+=(--counters); shift ;;
    --counters=*) counters=${1#--counters=} two_run_options+=(--counters) ;;
    -h|--help) usage; exit 0 ;;
    --) shift; dirs+=("$@"); break ;;
    -*) echo "error: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) dirs+=("$1") ;;
  esac
  shift
done
[ ${#dirs[@]} -le 2 ] || fleet=1
if [ ${#dirs[@]} -lt 2 ] || { [ "$fleet" -eq 0 ] && [ ${#dirs[@]} -ne 2 ]; }; then
  echo "error: expected 2 run directories (OLD_DIR NEW_DIR), or 2 or more with --fleet, got ${#dirs[@]}" >&2
  usage >&2
  exit 2
fi
for d in "${dirs[@]}"; do
  [ -d "$d" ] || { echo "error: '$d' is not a directory (expected a run directory such as results/HOST-DATE-TIME)" >&2; exit 2; }
done

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/find_python.sh
. "$here/find_python.sh"

if [ "$fleet" -eq 1 ]; then
  if [ ${#two_run_options[@]} -gt 0 ]; then
    echo "error: ${two_run_options[0]} is for the two-run compare (Google Benchmark's compare.py), not --fleet" >&2
    exit 2
  fi
  python=$(pollbench_find_python numpy matplotlib) || exit 1
  [ -n "$out" ] || out=${dirs[-1]}/fleet-of-${#dirs[@]}
  # pollbench_fleet.py checks each directory (exit 2 without wait.json) before it writes anything.
  "$python" "$here/pollbench_fleet.py" --out "$out" "${dirs[@]}" || exit $?
  echo
  echo "Written to $out: fleet.md, fleet_time.png/.svg (absolute), fleet_ratio.png/.svg (relative to epoll_lt within each run)."
  exit 0
fi
old=${dirs[0]} new=${dirs[1]}
compare_py=/usr/share/benchmark/compare.py
if [ ! -f "$compare_py" ]; then
  echo "error: $compare_py not found; install Debian's Google Benchmark tools: apt-get install libbenchmark-tools" >&2
  exit 1
fi
python=$(pollbench_find_python numpy scipy matplotlib) || exit 1
[ -n "$out" ] || out=$new/compare-vs-$(basename "$(cd "$old" && pwd)")
mkdir -p "$out" || { echo "error: cannot create '$out'" >&2; exit 1; }
full=$out/compare-full.txt
color=(--no-color)  # it goes to a file

plain=$(mktemp -d "${TMPDIR:-/tmp}/pollbench-compare.XXXXXX")
trap 'rm -rf "$plain"' EXIT
compared=0 status=0
: >"$full"
for file in wait.json tcp.json; do
  if [ ! -f "$old/$file" ] && [ ! -f "$new/$file" ]; then continue; fi
  if [ ! -f "$old/$file" ] || [ ! -f "$new/$file" ]; then
    missing=$old; [ -f "$old/$file" ] && missing=$new
    echo "note: $file is only in one run (not in $missing): not compared" >>"$full"
    continue
  fi
  # Checks each file (a clear message for an empty, truncated or foreign one, before compare.py's
  # traceback would) and copies it with plain names: compare.py pairs benchmarks by exact name,
  # and the names carry run options (min_time:, iterations:) that the binaries size per run.
  rm -rf "$plain"
  mkdir -p "$plain/old" "$plain/new"
  if ! "$python" "$here/pollbench_results.py" --plain-names-to "$plain/old" "$old/$file" >/dev/null ||
     ! "$python" "$here/pollbench_results.py" --plain-names-to "$plain/new" "$new/$file" >/dev/null; then
    status=1
    continue
  fi
  {
    echo "=== $file: times (Google Benchmark compare.py) ==="
    echo "Comparing $old/$file to $new/$file, names without run options (min_time:, repeats:, ...)"
    "$python" "$compare_py" "${color[@]}" "${aggregates_only[@]}" benchmarks "$plain/old/$file" "$plain/new/$file" |
      sed '1{/^Comparing /d}'
    echo
    echo "=== $file: counters ==="
    "$python" "$here/compare_counters.py" --counters "$counters" "$old/$file" "$new/$file"
    echo
  } >>"$full" 2>&1 || status=1
  compared=$((compared + 1))
done

if [ "$compared" -eq 0 ] && [ "$status" -eq 0 ]; then
  echo "error: '$old' and '$new' share no result file (wait.json, tcp.json)" >&2
  exit 1
fi
[ "$status" -eq 0 ] || exit "$status"
"$python" "$here/pollbench_compare.py" --out "$out" "$old" "$new" || exit 1
echo
echo "Written to $out: compare.md, overlay.png, compare-full.txt (compare.py and the counters in full)."
