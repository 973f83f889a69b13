# shellcheck shell=bash
# Sourced by pollbench's shell scripts and tests: finds a Python 3 that can draw the plots.
#
# On Debian, python3-matplotlib and python3-numpy serve /usr/bin/python3 only; the `python3`
# first on PATH is often another interpreter (pyenv, conda, a venv) without them. So we try,
# in order: $POLLBENCH_PYTHON, /usr/bin/python3, then python3 on PATH, and keep the first one
# that imports every module asked for. scripts/pollbench_results.py calls this too when a
# Python script is started directly with an interpreter that lacks them: one search, here.
#
#   pollbench_find_python [MODULE...]   (default: matplotlib numpy)
#     prints the interpreter's path and returns 0, or says what to install and returns 1.

pollbench_python_candidates() {
  [ -n "${POLLBENCH_PYTHON:-}" ] && echo "$POLLBENCH_PYTHON"
  echo /usr/bin/python3
  command -v python3 2>/dev/null || true
}

# The Debian package that provides a Python module, for the "install this" message.
pollbench_python_package() {
  case "$1" in
    matplotlib) echo python3-matplotlib ;;
    numpy) echo python3-numpy ;;
    scipy) echo python3-scipy ;;
    *) echo "python3-$1" ;;
  esac
}

pollbench_find_python() {
  local modules=("$@") candidate imports tried=()
  [ ${#modules[@]} -eq 0 ] && modules=(matplotlib numpy)
  imports=$(printf 'import %s; ' "${modules[@]}")
  while IFS= read -r candidate; do
    [ -n "$candidate" ] || continue
    tried+=("$candidate")
    if [ -x "$candidate" ] || command -v "$candidate" >/dev/null 2>&1; then
      # MPLBACKEND=Agg: importing must not need a display.
      if MPLBACKEND=Agg "$candidate" -c "$imports" >/dev/null 2>&1; then
        echo "$candidate"
        return 0
      fi
    fi
  done < <(pollbench_python_candidates)

  local packages=() module
  for module in "${modules[@]}"; do packages+=("$(pollbench_python_package "$module")"); done
  {
    echo "error: no Python 3 here imports ${modules[*]} (tried: ${tried[*]})."
    echo "       Install Debian's packages, which serve /usr/bin/python3:"
    echo "         apt-get install ${packages[*]}"
    echo "       or point POLLBENCH_PYTHON at an interpreter that has them."
  } >&2
  return 1
}
