# Sourced by scripts/test.sh and scripts/bench.sh: install the Debian packages pollbench needs.
# ensure_packages PKG...  installs the missing ones when run as root (apt-get update first),
# otherwise names them and fails.
ensure_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: missing Debian packages: ${missing[*]}" >&2
    echo "       install them with: sudo apt-get install ${missing[*]}" >&2
    return 1
  fi
  echo "installing missing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# What building and testing pollbench needs; bench.sh adds nothing more than the plotting ones.
POLLBENCH_BUILD_PACKAGES=(cmake g++ make pkg-config git libbenchmark-dev libgtest-dev liburing-dev)
POLLBENCH_BUILD_PACKAGES+=(nlohmann-json3-dev)
POLLBENCH_PLOT_PACKAGES=(python3-matplotlib python3-numpy python3-scipy libbenchmark-tools)
POLLBENCH_TEST_PACKAGES=(wrk iproute2)
# Only for the `fuzz` preset (docs/fuzz.md): clang and its libFuzzer runtime.
POLLBENCH_FUZZ_PACKAGES=(clang-14 libclang-rt-14-dev)
POLLBENCH_BUILD_PACKAGES+=(libcli11-dev)  # bench/common/cli.h: every program's command line
