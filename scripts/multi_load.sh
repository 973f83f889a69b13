#!/usr/bin/env bash
# One load from several client hosts: starts a loadgen agent on each host through a command
# template (ssh by default; no daemon of pollbench's own), all with one --start-at instant so
# their windows coincide, collects their JSON reports and merges them with `loadgen merge`
# (counts add; latency percentiles come from the summed histograms).
#
#   scripts/multi_load.sh --hosts H1,H2,... --target ADDR:PORT [options] [-- LOADGEN_ARGS...]
#
# Connections (--active, --idle) and the open-loop --rate are totals, split across the agents.
# See --help and docs/tcp.md, "Load from several hosts".
set -u

usage() {
  cat <<'EOF'
usage: multi_load.sh --hosts H1,H2,... --target ADDR:PORT [options] [-- LOADGEN_ARGS...]

Starts one loadgen per host with a common --start-at, merges their reports (loadgen merge):
the merged JSON on stdout, a table per agent and in total on stderr.

  --hosts LIST        comma-separated hosts, one agent each ({host} in the template)
  --target ADDR:PORT  the server, as the agents reach it
  --active A          active connections in total, split across agents (default 10 per agent);
                      the remainder goes to the first agents
  --idle I            idle connections in total, split across agents (default 0); the
                      remainder goes to the last agents
  --rate R            open loop: R requests/s in total; each agent sends R/N
  --duration S        seconds of requests (default 10)
  --template T        how to run a command on a host; {host} and {cmd} are replaced, {cmd} by the
                      loadgen command as shell-quoted words (default: 'ssh {host} {cmd}').
                      Others: 'pdsh -N -w {host} {cmd}', 'clush -N -w {host} {cmd}',
                      'kubectl exec {host} -- {cmd}', 'ip netns exec {host} {cmd}', local: '{cmd}'
  --loadgen PATH      loadgen's path on the agents (default: loadgen, from their PATH)
  --merger PATH       the loadgen that merges, here (default: build/release/bin/loadgen, else PATH)
  --start-delay S     the common start is S seconds from now (default 5): long enough to launch
                      every agent and open its connections
  --max-skew S        flag start instants further apart than S seconds (default 0.05)
  --out DIR           keep agents' reports (NN-HOST.json, .err) and merged.json here
                      (default: a new directory under /tmp, named on stderr)
  LOADGEN_ARGS        passed to every agent (--threads, --pipeline, --path, --allow-remote ...);
                      {host} and {index} in them are replaced per agent

Exit status: 0 merged; 1 an agent or the merge failed; 2 bad command line; 3 merged, but the
agents' start instants lie further apart than --max-skew.
EOF
}

die_usage() {
  echo "multi_load.sh: $*" >&2
  echo "usage: multi_load.sh --hosts H1,H2,... --target ADDR:PORT [options] [-- LOADGEN_ARGS...] (--help)" >&2
  exit 2
}

whole_number() { [[ $2 =~ ^[0-9]+$ ]] || die_usage "$1: '$2' is not a whole number"; }
real_number() { [[ $2 =~ ^[0-9]+(\.[0-9]+)?$ ]] || die_usage "$1: '$2' is not a number (digits, optionally a fraction)"; }

hosts= target= active= idle=0 rate= duration=10 template='ssh {host} {cmd}' agent_loadgen=loadgen merger=
start_delay=5 max_skew=0.05 out=
extra=()
while [ $# -gt 0 ]; do
  case $1 in
    --help | -h) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    --hosts | --target | --active | --idle | --rate | --duration | --template | --loadgen | --merger | \
      --start-delay | --max-skew | --out)
      [ $# -ge 2 ] || die_usage "$1 needs a value"
      case $1 in
        --hosts) hosts=$2 ;;
        --target) target=$2 ;;
        --active) whole_number "$1" "$2"; active=$2 ;;
        --idle) whole_number "$1" "$2"; idle=$2 ;;
        --rate) real_number "$1" "$2"; rate=$2 ;;
        --duration) real_number "$1" "$2"; duration=$2 ;;
        --template) template=$2 ;;
        --loadgen) agent_loadgen=$2 ;;
        --merger) merger=$2 ;;
        --start-delay) real_number "$1" "$2"; start_delay=$2 ;;
        --max-skew) real_number "$1" "$2"; max_skew=$2 ;;
        --out) out=$2 ;;
      esac
      shift 2 ;;
    *) die_usage "unknown option '$1' (loadgen's own options go after --)" ;;
  esac
done

[ -n "$hosts" ] || die_usage "--hosts is required"
[ -n "$target" ] || die_usage "--target is required"
[[ $template == *'{cmd}'* ]] || die_usage "--template '$template' has no {cmd}"
IFS=, read -r -a host_list <<<"$hosts"
agents=${#host_list[@]}
for h in "${host_list[@]}"; do [ -n "$h" ] || die_usage "--hosts '$hosts' has an empty name"; done
[ "$agents" -le 1000 ] || die_usage "--hosts names $agents hosts; the limit is 1000"
for arg in "${extra[@]}"; do
  case $arg in
    --target | --target=* | --active | --active=* | --idle | --idle=* | --rate | --rate=* | --duration | \
      --duration=* | --start-at | --start-at=*)
      die_usage "$arg after --: give it to multi_load.sh, which splits it across the agents" ;;
  esac
done
[ -n "$active" ] || active=$((10 * agents))
if [ -n "$rate" ] && [ "$active" -lt "$agents" ]; then
  die_usage "--rate needs an active connection on every agent: --active $active for $agents agents"
fi
if [ $((active + idle)) -lt "$agents" ]; then
  die_usage "--active $active + --idle $idle connections cannot be split across $agents agents (one each at least)"
fi

if [ -z "$merger" ]; then
  here=$(cd "$(dirname "$0")/.." && pwd)
  if [ -x "$here/build/release/bin/loadgen" ]; then merger=$here/build/release/bin/loadgen; else merger=loadgen; fi
fi
command -v "$merger" >/dev/null || die_usage "no loadgen to merge with at '$merger' (--merger PATH)"
if [ -z "$out" ]; then out=$(mktemp -d /tmp/multi_load.XXXXXX); fi
mkdir -p "$out" || die_usage "cannot create --out $out"
echo "multi_load.sh: $agents agents, reports in $out" >&2

# Agent i's share of a total: the remainder goes to the first ones (share) or the last ones
# (share_from_end), so that active and idle remainders land on different agents and every
# agent has a connection whenever there are as many connections as agents.
share() { echo $(($1 / agents + ($2 < $1 % agents ? 1 : 0))); }
share_from_end() { echo $(($1 / agents + ($2 >= agents - $1 % agents ? 1 : 0))); }

start_at=$(awk -v now="$(date +%s.%N)" -v d="$start_delay" 'BEGIN { printf "%.9f", now + d }')
agent_rate=
[ -n "$rate" ] && agent_rate=$(awk -v r="$rate" -v n="$agents" 'BEGIN { printf "%.17g", r / n }')

pids=()
stop_agents() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
}
trap 'stop_agents; wait; exit 130' INT TERM

# Starts agent $1 on host $2 in the background.
start_agent() {
  local index=$1 host=$2 word cmd=() line name
  cmd=("$agent_loadgen" --target "$target" --active "$(share "$active" "$index")" --idle "$(share_from_end "$idle" "$index")"
       --duration "$duration" --start-at "$start_at")
  [ -n "$agent_rate" ] && cmd+=(--rate "$agent_rate")
  for word in "${extra[@]}"; do
    word=${word//\{host\}/$host}
    cmd+=("${word//\{index\}/$index}")
  done
  line=$template
  line=${line//\{host\}/$(printf '%q' "$host")}
  line=${line//\{cmd\}/$(printf '%q ' "${cmd[@]}")}
  name=$(printf '%02d-%s' "$index" "${host//[^A-Za-z0-9_.-]/_}")
  echo "multi_load.sh: $name: $line" >&2
  bash -c "$line" >"$out/$name.json" 2>"$out/$name.err" &
  pids+=($!)
  names+=("$name")
}

names=()
for i in "${!host_list[@]}"; do start_agent "$i" "${host_list[$i]}"; done
failed=0
for i in "${!pids[@]}"; do
  wait "${pids[$i]}"
  code=$?
  if [ "$code" -ne 0 ] || [ ! -s "$out/${names[$i]}.json" ]; then
    echo "multi_load.sh: agent ${names[$i]} failed (exit $code): $(tail -n 3 "$out/${names[$i]}.err")" >&2
    failed=1
  fi
done
pids=()
[ "$failed" -eq 0 ] || exit 1

files=()
for name in "${names[@]}"; do files+=("$out/$name.json"); done
"$merger" merge --max-skew "$max_skew" "${files[@]}" >"$out/merged.json" || {
  echo "multi_load.sh: merging failed (with pdsh or clush, -N keeps host prefixes out of the JSON)" >&2
  exit 1
}
cat "$out/merged.json"
if grep -q '"skew_over_limit": true' "$out/merged.json"; then
  echo "multi_load.sh: the agents' start instants lie further apart than --max-skew $max_skew s" >&2
  exit 3
fi
exit 0
