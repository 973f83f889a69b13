#!/usr/bin/env bash
# scripts/multi_load.sh with real hosts on this machine: three client network namespaces and a
# server namespace, joined by veth pairs through a bridge in the test's own network namespace.
# pollserver runs in the server namespace; three loadgen agents run through the template
# `ip netns exec {host} {cmd}`. tests/loadgen_multi_check.py then checks that the server
# answered exactly the merged requests, that the merged histogram is both the sum of the
# agents' and that of every raw sample, and that nothing failed.
#
# Nothing escapes and nothing stays: the test re-runs itself under `unshare --net --mount --pid`
# with a private tmpfs on /run (the namespace names and its files), so every address, link,
# namespace, file and process lives in namespaces of its own, and they all vanish with the
# test's PID namespace however it ends (--kill-child; setpriv --pdeathsig for the parent).
#
#   loadgen_multi_test.sh POLLSERVER LOADGEN MULTI_LOAD PYTHON CHECK MODE
#     netns   the test above; exit 77 (skipped) where namespaces cannot be made
#     local   three agents on loopback through the template '{cmd}' (runs anywhere)
#     killed  runs `netns` with a long duration, SIGKILLs it while the agents run, and checks
#             that no process of it and none of its network namespaces remain
set -u
pollserver=$1 loadgen=$2 multi=$3 python=$4 checker=$5 mode=$6
self=$(realpath "$0")
# shellcheck source=scripts/lib/rig.sh
. "$(dirname "$self")/../scripts/lib/rig.sh"  # rig_listening

skip() {
  echo "SKIP: $*"
  exit 77
}
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

own_namespaces=(unshare --net --mount --pid --fork --kill-child --mount-proc)

# Fails with 77 unless this process may make the namespaces the test needs.
require_namespaces() {
  local err
  err=$("${own_namespaces[@]}" true 2>&1) || skip "cannot create namespaces here (unshare: $err); needs root or CAP_SYS_ADMIN"
  err=$("${own_namespaces[@]}" sh -c 'ip link add pbtb type bridge && ip link add pbta type veth peer name pbtc' 2>&1) ||
    skip "no bridge or veth links here: $err"
}

# Inside the test's own namespaces: a private /run (for the namespace names and the test's files),
# then a bridge with four hosts on it.
make_hosts() {
  mount -t tmpfs pollbench-run /run || fail "tmpfs on /run"
  # Its files go on that private /run too, not on a tmpfs over /tmp: the build (and so the
  # binaries under test) may itself live under /tmp.
  mkdir -p /run/netns /run/tmp
  export TMPDIR=/run/tmp
  ip link set lo up
  ip link add br0 type bridge || fail "bridge"
  ip link set br0 up
  local ns address=1
  for ns in srv c1 c2 c3; do
    ip netns add "$ns" || fail "ip netns add $ns"
    ip link add "v$ns" type veth peer name eth0 netns "$ns" || fail "veth for $ns"
    ip link set "v$ns" master br0 up || fail "v$ns on the bridge"
    ip -n "$ns" addr add "10.201.0.$address/24" dev eth0 || fail "address in $ns"
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    address=$((address + 10))
  done
}

server_pid=
# Starts pollserver with `$@` (the namespace prefix) on address $bind; sets endpoint.
start_server() {
  local bind=$1
  shift
  # pollserver exits when this shell does (today by default; the PID namespace in any case).
  "$@" "$pollserver" --backend epoll_lt --bind "$bind" --port 0 >"$work/server.out" 2>"$work/server.err" &
  server_pid=$!
  endpoint=$(rig_listening "$work/server.out")
  [ -n "$endpoint" ] || fail "pollserver did not start: $(cat "$work/server.err")"
}

# Stops pollserver; its statistics go to $1.
stop_server() {
  kill -TERM "$server_pid"
  wait "$server_pid" || fail "pollserver exited $? after SIGTERM: $(cat "$work/server.err")"
  server_pid=
  sed -n '/^{/,$p' "$work/server.out" >"$1"
}

# One multi_load.sh run into $work/$1, then the check; the rest of the arguments are
# multi_load.sh's. A skew flag (exit 3) is no failure here: timing is not what this tests.
run_and_check() {
  local name=$1 template=$2 connections=$3 rate=$4
  shift 4
  mkdir -p "$work/$name"
  "$multi" --hosts "$hosts" --target "$endpoint" --template "$template" --loadgen "$loadgen" --merger "$loadgen" \
    --out "$work/$name" "$@" >"$work/$name.merged" 2>"$work/$name.log"
  local code=$?
  [ "$code" -eq 0 ] || [ "$code" -eq 3 ] || fail "multi_load.sh exited $code: $(tail -n 20 "$work/$name.log")"
  stop_server "$work/$name.server.json"
  "$python" "$checker" --out "$work/$name" --server-stats "$work/$name.server.json" --agents 3 \
    --connections "$connections" ${rate:+--rate "$rate"} || fail "$name: see above; multi_load.sh said: $(cat "$work/$name.log")"
  grep -E '^  (total|start skew)' "$work/$name.log"
}

test_netns() {
  make_hosts
  work=$(mktemp -d)
  hosts=c1,c2,c3
  local template='ip netns exec {host} {cmd}'
  start_server "10.201.0.1" ip netns exec srv
  run_and_check closed "$template" 330 "" --active 30 --idle 300 --duration 1 --start-delay 1 \
    -- --allow-remote --threads 2 --dump-samples "$work/closed/{index}.samples"
  start_server "10.201.0.1" ip netns exec srv
  run_and_check open "$template" 30 3000 --active 30 --rate 3000 --duration 1 --start-delay 1 \
    -- --allow-remote --dump-samples "$work/open/{index}.samples"
  echo "PASS: 3 agents in 3 namespaces, merged exactly"
}

# multi_load.sh's command line: each mistake exits 2 with a message before anything starts.
check_usage_errors() {
  local args code err
  while IFS= read -r args; do
    err=$(eval "\"\$multi\" $args" 2>&1 >/dev/null)
    code=$?
    [ "$code" -eq 2 ] && [[ $err == multi_load.sh:* ]] || fail "multi_load.sh $args: exit $code, want 2: $err"
  done <<'EOF'
--target 127.0.0.1:1
--hosts a,b
--hosts a,,b --target 127.0.0.1:1
--hosts a,b --target 127.0.0.1:1 --active many
--hosts a,b --target 127.0.0.1:1 --rate 1e3
--hosts a,b,c --target 127.0.0.1:1 --active 2 --rate 100
--hosts a,b,c --target 127.0.0.1:1 --active 1 --idle 1
--hosts a --target 127.0.0.1:1 --template 'ssh {host}'
--hosts a --target 127.0.0.1:1 -- --active 5
--hosts a --target 127.0.0.1:1 --frobnicate
--hosts a --target 127.0.0.1:1 --duration
EOF
}

test_local() {
  check_usage_errors
  work=$(mktemp -d)
  trap 'rm -rf "$work"; [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null' EXIT
  hosts=a,b,c
  start_server 127.0.0.1
  run_and_check local '{cmd}' 330 "" --active 30 --idle 300 --duration 1 --start-delay 1 \
    -- --dump-samples "$work/local/{index}.samples"
  echo "PASS: 3 local agents, merged exactly"
}

# The victim: the netns test's setup with agents that would run for 30 s. Prints the inodes
# of every namespace it made, then "running" once the agents have connected.
test_victim() {
  make_hosts
  work=$(mktemp -d)
  hosts=c1,c2,c3
  start_server "10.201.0.1" ip netns exec srv
  local ns
  echo "pid $(readlink /proc/self/ns/pid) net $(readlink /proc/self/ns/net)"
  for ns in srv c1 c2 c3; do echo "net $(ip netns exec "$ns" readlink /proc/self/ns/net)"; done
  "$multi" --hosts "$hosts" --target "$endpoint" --template 'ip netns exec {host} {cmd}' --loadgen "$loadgen" \
    --merger "$loadgen" --out "$work/victim" --active 6 --duration 30 --start-delay 0.5 -- --allow-remote \
    >/dev/null 2>&1 &
  for _ in $(seq 200); do
    [ "$(cat "$work"/victim/*.err 2>/dev/null | grep -c '^connected ')" -eq 3 ] && break
    sleep 0.05
  done
  echo running
  wait
}

test_killed() {
  require_namespaces
  work=$(mktemp -d)
  trap 'rm -rf "$work"; [ -n "${victim:-}" ] && kill -KILL "$victim" 2>/dev/null' EXIT
  PB_MULTI_INSIDE=victim setpriv --pdeathsig KILL "${own_namespaces[@]}" bash "$self" "$@" >"$work/victim.out" 2>&1 &
  victim=$!
  for _ in $(seq 200); do
    grep -q '^running' "$work/victim.out" && break
    sleep 0.05
  done
  grep -q '^running' "$work/victim.out" || fail "the victim did not get its agents running: $(cat "$work/victim.out")"
  kill -KILL "$victim"
  wait "$victim" 2>/dev/null
  victim=
  # The namespaces it made, as "pid:[N]" and "net:[N]" (what /proc/PID/ns/* link to).
  local marks left
  marks=$(awk '$1 == "pid" {print $2; print $4} $1 == "net" && NF == 2 {print $2}' "$work/victim.out")
  [ "$(echo "$marks" | wc -l)" -eq 6 ] || fail "the victim did not name its namespaces: $(cat "$work/victim.out")"
  for _ in $(seq 50); do
    left=$(readlink /proc/[0-9]*/ns/pid /proc/[0-9]*/ns/net 2>/dev/null | grep -cxF "$marks")
    [ "$left" -eq 0 ] && break
    sleep 0.1
  done
  [ "$left" -eq 0 ] || fail "$left process(es) still in the killed test's namespaces"
  echo "PASS: after SIGKILL no process is left in any of its 6 namespaces"
}

case ${PB_MULTI_INSIDE:-}:$mode in
  :netns)
    require_namespaces
    PB_MULTI_INSIDE=netns exec setpriv --pdeathsig KILL "${own_namespaces[@]}" bash "$self" "$@" ;;
  netns:netns) test_netns ;;
  victim:killed) test_victim ;;
  :local) test_local ;;
  :killed) test_killed "$@" ;;
  *) fail "unknown mode '$mode' (netns, local or killed)" ;;
esac
