#!/usr/bin/env bash
# Runs every pollbench test: installs missing Debian packages (as root), builds the release
# preset and the AddressSanitizer + UndefinedBehaviorSanitizer `debug` preset, runs every test
# through ctest in release and the `unit` tests under the sanitizers. Exits non-zero on any failure.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: scripts/test.sh [--release-only] [--jobs N] [--help]

Installs missing Debian packages when run as root, then:
  1. configures and builds the release preset      (build/release)
  2. runs every test with ctest                     (ctest --preset release)
  3. configures and builds the sanitizer preset    (build/debug: ASan + UBSan)
  4. runs the `unit` tests under the sanitizers    (ctest --preset debug -L unit)

  --release-only  skip steps 3 and 4 (a faster loop while developing)
  --jobs N        parallel build and test jobs (default: nproc)
USAGE
}

release_only=0
jobs=$(nproc)
while [ $# -gt 0 ]; do
  case "$1" in
    --release-only) release_only=1 ;;
    --jobs) [ $# -ge 2 ] || { echo "error: --jobs needs a number" >&2; exit 2; }; jobs=$2; shift ;;
    --jobs=*) jobs=${1#--jobs=} ;;
    -h|--help) usage; exit 0 ;;
    *) echo "error: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
case "$jobs" in ''|*[!0-9]*|0) echo "error: --jobs takes a positive whole number, not '$jobs'" >&2; exit 2 ;; esac

cd "$(dirname "$0")/.."
# shellcheck source=scripts/ensure_packages.sh
. scripts/ensure_packages.sh
ensure_packages "${POLLBENCH_BUILD_PACKAGES[@]}" "${POLLBENCH_PLOT_PACKAGES[@]}" "${POLLBENCH_TEST_PACKAGES[@]}"

# Tests open up to the hard fd limit (20000 on the reference machines).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "fd limit: $(ulimit -n) (hard $(ulimit -Hn))"

start=$SECONDS
step() { echo; echo "== [$1] $2 ($((SECONDS - start)) s so far)"; }

total=4
[ "$release_only" = 1 ] && total=2
step "1/$total" "build release"
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs"
step "2/$total" "test release (every test)"
ctest --preset release -j "$jobs" --timeout 300

if [ "$release_only" = 0 ]; then
  step "3/$total" "build debug (ASan + UBSan)"
  cmake --preset debug >/dev/null
  cmake --build --preset debug -j "$jobs"
  step "4/$total" "test debug (unit tests under the sanitizers)"
  ctest --preset debug -L unit -j "$jobs" --timeout 300
fi
echo
echo "all tests passed in $((SECONDS - start)) s"
