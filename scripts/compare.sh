#!/usr/bin/env bash
# Compares two pollbench runs. First a summary (scripts/pollbench_compare.py, about 60 lines at
# most): the headline points, each family's slope, and the changes larger than both runs' spread;
# it also writes compare.md and overlay.png. The full comparison goes to a file beside them: for
# each result file both hold (wait.json, tcp.json), Google Benchmark's own compare.py (Debian's
# libbenchmark-tools), the time ratio of every benchmark and its Mann-Whitney U test over the
# samples, then scripts/compare_counters.py, the counters compare.py ignores.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: scripts/compare.sh [--out DIR] [--all] [--counters LIST] OLD_DIR NEW_DIR

Prints a summary of what changed (at most about 60 lines): the headline points of NEW (and
the largest N) in both runs, each family's fitted log-log slope in both runs, and the changes
larger than both runs' spread (min-max over the processes, or repetitions, of each point): a
difference inside the spread a rerun shows is not a change. Then writes into DIR:
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
  -h, --help       this text

Needs Debian's libbenchmark-tools, python3-scipy and python3-numpy (for /usr/bin/python3).
Exit status: 0 compared, 1 a file is unusable or the tools are missing, 2 usage error.
USAGE
}

aggregates_only=(-a)
counters=p50_ns,p99_ns,p999_ns,requests_per_sec
dirs=() out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --all) aggregates_only=() ;;
    --out) [ $# -ge 2 ] || { echo "error: --out needs a directory" >&2; exit 2; }
           out=$2; shift ;;
    --out=*) out=${1#--out=} ;;
    --counters) [ $# -ge 2 ] || { echo "error: --counters needs a comma-separated list" >&2; exit 2; }
                counters=$2; shift ;;
    --counters=*) counters=${1#--counters=} ;;
    -h|--help) usage; exit 0 ;;
    --) shift; dirs+=("$@"); break ;;
    -*) echo "error: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) dirs+=("$1") ;;
  esac
  shift
done
if [ ${#dirs[@]} -ne 2 ]; then
  echo "error: expected 2 run directories (OLD_DIR NEW_DIR), got ${#dirs[@]}" >&2
  usage >&2
  exit 2
fi
old=${dirs[0]} new=${dirs[1]}
for d in "$old" "$new"; do
  [ -d "$d" ] || { echo "error: '$d' is not a directory (expected a run directory such as results/HOST-DATE-TIME)" >&2; exit 2; }
done

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/find_python.sh
. "$here/find_python.sh"
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
