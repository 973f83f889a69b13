#!/usr/bin/env bash
# scripts/soak.sh, scripts/crlf_check.sh and scripts/hostile_clients.py refuse bad arguments (exit 2, naming them)
# and explain themselves with --help; the hostile clients refuse any target off loopback.
# Nothing here connects anywhere.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
python=${1:-python3}
failures=0
expect() {  # expect CODE TEXT COMMAND...
  local code=$1 text=$2; shift 2
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -ne "$code" ] || ! grep -qF -- "$text" <<<"$out"; then
    echo "FAIL: $* exited $rc (want $code), output lacks '$text':"; echo "$out" | head -5
    failures=$((failures + 1))
  fi
}
expect 0 "usage: scripts/soak.sh" bash "$root/scripts/soak.sh" --help
expect 2 "unknown option '--bogus'" bash "$root/scripts/soak.sh" --bogus
expect 2 "--minutes takes a whole number" bash "$root/scripts/soak.sh" --minutes x
expect 2 "--seconds takes a whole number from 10" bash "$root/scripts/soak.sh" --seconds 3
expect 2 "--backend needs a value" bash "$root/scripts/soak.sh" --backend
expect 0 "usage: scripts/crlf_check.sh" bash "$root/scripts/crlf_check.sh" --help
expect 2 "unknown option '--bogus'" bash "$root/scripts/crlf_check.sh" --bogus
expect 2 "--rounds takes a whole number from 1 to 100, not '0'" bash "$root/scripts/crlf_check.sh" --rounds 0
expect 2 "--window takes whole seconds from 1 to 600, not 'x'" bash "$root/scripts/crlf_check.sh" --window x
expect 2 "no pollserver at '/nonexistent/pollserver'" bash "$root/scripts/crlf_check.sh" --build /nonexistent
expect 0 "slowloris" "$python" "$root/scripts/hostile_clients.py" --help
expect 2 "not a loopback address" "$python" "$root/scripts/hostile_clients.py" --target 192.0.2.1:80
expect 2 "not a numeric address" "$python" "$root/scripts/hostile_clients.py" --target example.com:80
expect 2 "--seconds takes a number" "$python" "$root/scripts/hostile_clients.py" --target 127.0.0.1:80 --seconds 0
expect 2 "do not fit the fd limit" "$python" "$root/scripts/hostile_clients.py" --target 127.0.0.1:80 --idle 100000000
[ "$failures" -eq 0 ] && echo "soak, crlf_check and hostile_clients command lines: ok"
exit $((failures > 0))
