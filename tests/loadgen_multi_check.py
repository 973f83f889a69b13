#!/usr/bin/env python3
"""Checks one scripts/multi_load.sh run (standard library only).

    loadgen_multi_check.py --out DIR --server-stats FILE --agents N --connections C [--rate R]

DIR holds the agents' reports (NN-HOST.json), their raw latency samples (NN.samples, from
`--dump-samples DIR/{index}.samples`) and merged.json. Checks that:
  - every agent answered requests and no error occurred anywhere;
  - the server counted exactly the merged requests and accepted every connection;
  - the merged histogram is the sum of the agents' histograms AND the histogram of every raw
    sample together (bucket by bucket), and the merged percentiles are those of the raw
    samples under the histogram's rule;
  - for an open loop, the agents' rates add up to the rate asked for.
"""
import argparse
import glob
import json
import math
import os
import sys
from collections import Counter

SUB_BITS = 7
SUB = 1 << SUB_BITS


def bucket_of(v):
    """bench/common/histogram.cc: Histogram::bucket_of."""
    if v < SUB:
        return v
    shift = v.bit_length() - 1 - SUB_BITS
    return SUB + shift * SUB + ((v >> shift) & (SUB - 1))


def bucket_low(b):
    if b < SUB:
        return b
    shift, sub = divmod(b - SUB, SUB)
    return (SUB | sub) << shift


def bucket_width(b):
    return 1 if b < SUB else 1 << ((b - SUB) // SUB)


def percentile(counts, lo, hi, p):
    """Histogram::percentile: the midpoint of the bucket holding the rank, clamped to min, max."""
    n = sum(counts.values())
    if n == 0:
        return 0
    if p <= 0:
        return lo
    rank = math.ceil(p / 100.0 * n)
    if rank >= n:
        return hi
    rank = max(rank, 1)
    seen = 0
    for b in sorted(counts):
        seen += counts[b]
        if seen >= rank:
            return min(max(bucket_low(b) + (bucket_width(b) - 1) // 2, lo), hi)
    return hi


def buckets(report):
    """latency_histogram.buckets: "INDEX:COUNT INDEX:COUNT ..." """
    text = report["latency_histogram"]["buckets"]
    return Counter({int(i): int(c) for i, c in (pair.split(":") for pair in text.split())})


import pbtest
from pbtest import expect as check


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--server-stats", required=True)
    parser.add_argument("--agents", type=int, required=True)
    parser.add_argument("--connections", type=int, required=True)
    parser.add_argument("--rate", type=float)
    args = parser.parse_args()

    agent_files = sorted(glob.glob(os.path.join(args.out, "[0-9][0-9]-*.json")))
    agents = [json.load(open(f)) for f in agent_files]
    merged = json.load(open(os.path.join(args.out, "merged.json")))
    server = json.load(open(args.server_stats))
    check(len(agents) == args.agents, f"{len(agents)} agent reports, want {args.agents}")

    samples = []
    summed = Counter()
    for index, (name, rep) in enumerate(zip(agent_files, agents)):
        label = os.path.basename(name)
        check(rep["requests"] > 0, f"{label}: no requests")
        check(rep["errors_total"] == 0, f"{label}: errors {rep['errors']} ({rep['first_error']})")
        own = [int(x) for x in open(os.path.join(args.out, f"{index}.samples")).read().split()]
        check(len(own) == rep["requests"], f"{label}: {len(own)} samples for {rep['requests']} requests")
        check(Counter(bucket_of(v) for v in own) == buckets(rep), f"{label}: its histogram is not its samples'")
        samples += own
        summed += buckets(rep)

    raw = Counter(bucket_of(v) for v in samples)
    check(buckets(merged) == summed, "the merged histogram is not the sum of the agents' histograms")
    check(buckets(merged) == raw, "the merged histogram is not the histogram of every raw sample")
    hist = merged["latency_histogram"]
    check(hist["count"] == len(samples) and hist["min"] == min(samples) and hist["max"] == max(samples)
          and hist["sum"] == sum(samples), "merged count/min/max/sum differ from the raw samples'")
    for key, p in (("p50", 50), ("p90", 90), ("p99", 99), ("p999", 99.9), ("max", 100), ("min", 0)):
        want = percentile(raw, min(samples), max(samples), p)
        check(merged["latency_ns"][key] == want, f"merged {key} {merged['latency_ns'][key]}, raw samples give {want}")
    for p in [x / 10 for x in range(0, 1001)]:  # every tenth of a percent
        got = percentile(buckets(merged), hist["min"], hist["max"], p)
        want = percentile(raw, min(samples), max(samples), p)
        if got != want:
            check(False, f"p{p}: merged {got}, raw {want}")
            break

    check(merged["requests"] == sum(a["requests"] for a in agents), "merged requests are not the agents' sum")
    check(merged["errors_total"] == 0, f"merged errors {merged['errors']}")
    check(server["requests"] == merged["requests"],
          f"the server answered {server['requests']} requests, the merged report counts {merged['requests']}")
    check(server["connections"]["accepted"] == args.connections,
          f"the server accepted {server['connections']['accepted']} connections, want {args.connections}")
    check(not any(server["errors"].values()), f"server errors {server['errors']}")
    skew = merged["merged"]["start_skew_ns"]
    check(skew >= 0 and all(a["started_at_unix_ns"] for a in merged["merged"]["agents"]), "start instants missing")
    if args.rate is not None:
        check(abs(merged["rate"] - args.rate) < 1e-6 * args.rate, f"merged rate {merged['rate']}, asked {args.rate}")
        check(all(abs(a["rate"] * args.agents - args.rate) < 1e-6 * args.rate for a in agents),
              f"agent rates {[a['rate'] for a in agents]} do not split {args.rate}")
    if pbtest.failures():
        return 1
    lat = merged["latency_ns"]
    print(f"{len(agents)} agents: {merged['requests']} requests = server's, {merged['requests_per_sec']:.0f}/s, "
          f"p50 {lat['p50']} ns, p99 {lat['p99']} ns, exact against {len(samples)} raw samples; "
          f"start skew {skew / 1e6:.3f} ms")


if __name__ == "__main__":
    pbtest.main(main)
