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
  3. configures the sanitizer preset and builds    (build/debug: ASan + UBSan)
     what the `unit` tests run (from ctest's listing)
  4. runs the `unit` tests under the sanitizers    (ctest --preset debug -L unit)

  --release-only  skip steps 3 and 4 (a faster loop while developing)
  --jobs N        parallel build and test jobs (default: nproc)
USAGE
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib/options.sh
. "$here/lib/options.sh"
pb_prog=scripts/test.sh
release_only=0 jobs=$(nproc)
pb_parse_options --release-only:release_only --jobs=jobs -- "$@"
case "$jobs" in ''|*[!0-9]*|0) pb_usage_error "--jobs takes a positive whole number, not '$jobs'" ;; esac

cd "$here/.."
# shellcheck source=scripts/ensure_packages.sh
. scripts/ensure_packages.sh
ensure_packages "${POLLBENCH_BUILD_PACKAGES[@]}" "${POLLBENCH_PLOT_PACKAGES[@]}" "${POLLBENCH_TEST_PACKAGES[@]}"

# Tests open up to the hard fd limit (20000 on the reference machines).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "fd limit: $(ulimit -n) (hard $(ulimit -Hn))"

# ccache, when installed, serves a rebuild of unchanged sources from its cache (a configured
# launcher is kept). CCACHE_BASEDIR and CCACHE_NOHASHDIR let a clone in another folder, as CI
# makes, hit the entries this one made.
if [ -z "${CMAKE_CXX_COMPILER_LAUNCHER:-}" ] && command -v ccache >/dev/null; then
  export CMAKE_CXX_COMPILER_LAUNCHER=ccache CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
fi

# The executables the `unit` tests run, as ctest lists those tests in the release build (the
# debug preset registers the same ones; its gtest cases are only discovered once built): each
# test's program and every argument naming a file in build/release/bin. A test handed bin/
# itself needs every program ("all"). Nothing to keep by hand: a new unit test brings its own.
unit_targets() {
  ctest --preset release -L unit --show-only=json-v1 | python3 -c '
import json, os, sys
bin_dir = os.path.realpath(sys.argv[1])
targets = set()
for test in json.load(sys.stdin)["tests"]:
    for arg in test.get("command", []):
        path = os.path.realpath(arg.rpartition("=")[2])
        if path == bin_dir:
            sys.exit(print("all"))
        if os.path.dirname(path) == bin_dir:
            targets.add(os.path.basename(path))
print("\n".join(sorted(targets)) or "all")' build/release/bin
}

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
  mapfile -t targets < <(unit_targets)
  [ ${#targets[@]} -gt 0 ] || targets=(all)  # no listing: build everything, as before
  echo "targets the unit tests run: ${targets[*]}"
  cmake --build --preset debug -j "$jobs" --target "${targets[@]}"
  step "4/$total" "test debug (unit tests under the sanitizers)"
  ctest --preset debug -L unit -j "$jobs" --timeout 300
fi
echo
echo "all tests passed in $((SECONDS - start)) s"
