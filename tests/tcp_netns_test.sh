#!/usr/bin/env bash
# Across hosts without leaving the machine: pollserver in one network namespace, loadgen in
# another, joined by a veth pair. The addresses (10.200.0.1 and .2) exist only inside the two
# namespaces this test creates, so no traffic reaches any real network. Exits 77 (skipped)
# where network namespaces cannot be created; always removes what it created.
#
#   tcp_netns_test.sh POLLSERVER LOADGEN [PYTHON]
set -u
# shellcheck source=scripts/lib/rig.sh
. "$(dirname "$(realpath "$0")")/../scripts/lib/rig.sh"  # rig_listening
pollserver=$1
loadgen=$2
python=${3:-python3}

id=$$
ns_server=pollbench_tcp_srv_$id
ns_client=pollbench_tcp_cli_$id
veth_server=pbts$id  # interface names: at most 15 characters
veth_client=pbtc$id
server_ip=10.200.0.1
client_ip=10.200.0.2
work=$(mktemp -d)
server_pid=

cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  ip netns del "$ns_server" 2>/dev/null
  ip netns del "$ns_client" 2>/dev/null
  ip link del "$veth_server" 2>/dev/null  # only left when moving it failed
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
skip() {
  echo "SKIP: $*"
  exit 77
}

if [ ! -x "$loadgen" ]; then skip "no loadgen at $loadgen"; fi
if ! ip netns add "$ns_server" 2>"$work/err"; then
  skip "cannot create a network namespace here (ip netns add: $(cat "$work/err")); needs root or CAP_SYS_ADMIN"
fi
ip netns add "$ns_client" 2>"$work/err" || skip "ip netns add: $(cat "$work/err")"
ip link add "$veth_server" type veth peer name "$veth_client" 2>"$work/err" || skip "no veth pairs here: $(cat "$work/err")"
ip link set "$veth_server" netns "$ns_server" || fail "moving $veth_server into $ns_server"
ip link set "$veth_client" netns "$ns_client" || fail "moving $veth_client into $ns_client"
ip -n "$ns_server" addr add "$server_ip/24" dev "$veth_server" || fail "address on $veth_server"
ip -n "$ns_client" addr add "$client_ip/24" dev "$veth_client" || fail "address on $veth_client"
for ns in "$ns_server" "$ns_client"; do ip -n "$ns" link set lo up; done
ip -n "$ns_server" link set "$veth_server" up || fail "bringing $veth_server up"
ip -n "$ns_client" link set "$veth_client" up || fail "bringing $veth_client up"

ip netns exec "$ns_server" "$pollserver" --exit-with-parent --backend epoll_et --bind "$server_ip" --port 0 \
  >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
endpoint=$(rig_listening "$work/server.out")
[ -n "$endpoint" ] || fail "pollserver did not start: $(cat "$work/server.err")"
case "$endpoint" in "$server_ip":*) ;; *) fail "pollserver listens on $endpoint, not $server_ip" ;; esac
grep -q 'not a loopback address' "$work/server.err" || fail "pollserver did not note that $endpoint is reachable from other hosts"

# Without --allow-remote, loadgen refuses a target outside the loopback network.
ip netns exec "$ns_client" "$loadgen" --target "$endpoint" --idle 1 --active 1 --duration 0.1 \
  >/dev/null 2>"$work/refused.err"
code=$?
[ "$code" -eq 2 ] || fail "loadgen without --allow-remote exited $code, expected 2: $(cat "$work/refused.err")"

ip netns exec "$ns_client" "$loadgen" --allow-remote --target "$endpoint" --idle 500 --active 10 --duration 1 \
  >"$work/loadgen.json" 2>"$work/loadgen.err" || fail "loadgen exited $?: $(tail -n 5 "$work/loadgen.err")"

kill -TERM "$server_pid"
wait "$server_pid" || fail "pollserver exited $? after SIGTERM: $(cat "$work/server.err")"
server_pid=
sed -n '2,$p' "$work/server.out" >"$work/server.json"

"$python" - "$work/loadgen.json" "$work/server.json" <<'PY' || exit 1
import json, sys
loadgen = json.load(open(sys.argv[1]))
server = json.load(open(sys.argv[2]))
problems = []
if any(loadgen["errors"].values()):
    problems.append(f"loadgen errors: {loadgen['errors']}")
if loadgen["connections"]["idle"] != 500 or loadgen["connections"]["active"] != 10:
    problems.append(f"loadgen connections: {loadgen['connections']}")
if loadgen["requests"] == 0 or loadgen["requests"] != server["requests"]:
    problems.append(f"requests: loadgen {loadgen['requests']}, server {server['requests']}")
if any(server["errors"].values()):
    problems.append(f"server errors: {server['errors']}")
if server["connections"]["accepted"] != 510 or server["connections"]["open"] != 0:
    problems.append(f"server connections: {server['connections']}")
if problems:
    print("FAIL: " + "; ".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"across namespaces: {loadgen['requests']} requests, {loadgen['requests_per_sec']:.0f}/s, "
      f"p99 {loadgen['latency_ns']['p99']} ns, server wait p99 {server['wait_ns']['p99']} ns")
PY
