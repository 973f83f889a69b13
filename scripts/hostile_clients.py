#!/usr/bin/env python3
"""Hostile HTTP clients against a server on loopback, for scripts/soak.sh.

One process, one epoll loop, a fixed number of connections of each kind, for a fixed time:

  slowloris    each sends a request line, then one header byte every --trickle seconds
  idle         connect and say nothing (a crowd to fill the server's fd table)
  crlf         CR LF as fast as the server takes it (refused at the header limit, then again)
  pipeliners   64 KiB of pipelined GETs each, answers never read
  resets       connections per second that send half a request, or a whole one, then reset

Whatever the server closes is opened again (at most --connect-rate new connections a second
over all kinds). Every socket is closed with a reset (SO_LINGER 0), so none is left in
TIME_WAIT. It stops by itself after --seconds, closes everything and prints one JSON object
with what it did. Loopback targets only (127.0.0.0/8, ::1). Standard library only.
"""
import argparse
import errno
import ipaddress
import json
import resource
import selectors
import signal
import socket
import struct
import sys
import time

GET = b"GET / HTTP/1.1\r\nHost: soak\r\n\r\n"
PIPELINE = GET * (64 * 1024 // len(GET))
CRLF = b"\r\n" * 8192
LINGER_RESET = struct.pack("ii", 1, 0)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--target", required=True, help="HOST:PORT of the server (loopback only)")
    p.add_argument("--seconds", type=float, default=60, help="how long to run, then stop (default 60)")
    p.add_argument("--slowloris", type=int, default=5000, help="slowloris connections (default 5000)")
    p.add_argument("--idle", type=int, default=0, help="idle connections (default 0)")
    p.add_argument("--crlf", type=int, default=2, help="CR LF flooding connections (default 2)")
    p.add_argument("--pipeliners", type=int, default=20, help="never-reading pipeliners (default 20)")
    p.add_argument("--resets", type=int, default=200, help="reset-storm connections per second (default 200)")
    p.add_argument("--trickle", type=float, default=5.0, help="seconds between slowloris bytes (default 5)")
    p.add_argument("--connect-rate", type=int, default=5000, help="new connections per second at most (default 5000)")
    a = p.parse_args(argv)
    host, sep, port = a.target.rpartition(":")
    if not sep or not port.isdigit():
        p.error(f"--target takes HOST:PORT, not '{a.target}'")
    host = host.strip("[]")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        p.error(f"--target: '{host}' is not a numeric address")
    if not address.is_loopback:
        p.error(f"--target: {host} is not a loopback address; this tool only attacks loopback")
    a.host, a.port, a.family = host, int(port), socket.AF_INET6 if address.version == 6 else socket.AF_INET
    for name in ("slowloris", "idle", "crlf", "pipeliners", "resets", "connect_rate"):
        if getattr(a, name) < 0:
            p.error(f"--{name.replace('_', '-')} cannot be negative")
    if not 0 < a.seconds <= 86400:
        p.error("--seconds takes a number from 0 to 86400")
    if a.trickle <= 0:
        p.error("--trickle must be positive")
    return a


class Conn:
    __slots__ = ("sock", "kind", "out", "sent", "next_at", "connected")

    def __init__(self, sock, kind, out):
        self.sock, self.kind, self.out, self.sent, self.next_at, self.connected = sock, kind, out, 0, 0.0, False


class Hostile:
    def __init__(self, a):
        self.a = a
        self.sel = selectors.EpollSelector()
        self.conns = {}  # fd -> Conn
        self.want = {"slowloris": a.slowloris, "idle": a.idle, "crlf": a.crlf, "pipeliners": a.pipeliners}
        self.have = {k: 0 for k in self.want}
        self.counts = {"opened": 0, "connect_failed": 0, "closed_by_server": 0, "resets_sent": 0,
                       "bytes_sent": 0, "refused_431": 0}
        self.source = 0
        self.budget = 0.0
        self.reset_budget = 0.0

    def new_socket(self):
        s = socket.socket(self.a.family, socket.SOCK_STREAM)
        s.setblocking(False)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET)
        if self.a.family == socket.AF_INET:
            # Spread over source addresses so 20,000 connections never run out of ports.
            self.source = self.source % 16 + 1
            s.bind((f"127.0.1.{self.source}", 0))
        try:
            s.connect((self.a.host, self.a.port))
        except BlockingIOError:
            pass
        self.counts["opened"] += 1
        return s

    def open(self, kind, out=b""):
        try:
            s = self.new_socket()
        except OSError:
            self.counts["connect_failed"] += 1
            return None
        c = Conn(s, kind, out)
        self.conns[s.fileno()] = c
        if kind in self.have:
            self.have[kind] += 1
        # Pipeliners never read; the rest watch for the server's close (and 431 answers).
        events = selectors.EVENT_READ | selectors.EVENT_WRITE
        if kind == "pipeliners":
            events = selectors.EVENT_WRITE
        elif kind == "idle":
            events = selectors.EVENT_READ
        self.sel.register(s, events, c)
        return c

    def close(self, c, by_server=False):
        fd = c.sock.fileno()
        if fd < 0 or fd not in self.conns:
            return
        del self.conns[fd]
        try:
            self.sel.unregister(c.sock)
        except KeyError:
            pass  # a pipeliner that sent everything is no longer watched
        c.sock.close()  # SO_LINGER 0: a reset
        if c.kind in self.have:
            self.have[c.kind] -= 1
        if by_server:
            self.counts["closed_by_server"] += 1

    def send(self, c, data):
        try:
            n = c.sock.send(data)
        except BlockingIOError:
            return 0
        except OSError as e:
            if e.errno in (errno.ENOTCONN, errno.EINPROGRESS):
                return 0
            self.close(c, by_server=True)
            return -1
        self.counts["bytes_sent"] += n
        return n

    def on_event(self, c, mask, now):
        if mask & selectors.EVENT_READ:
            try:
                data = c.sock.recv(65536)
            except BlockingIOError:
                data = None
            except OSError:
                self.close(c, by_server=True)
                return
            if data == b"":
                self.close(c, by_server=True)
                return
            if data and b" 431 " in data[:16]:
                self.counts["refused_431"] += 1
        if not mask & selectors.EVENT_WRITE:
            return
        if c.kind == "crlf":
            self.send(c, CRLF)
        elif c.kind == "pipeliners":
            if c.sent < len(PIPELINE):
                n = self.send(c, PIPELINE[c.sent:])
                if n > 0:
                    c.sent += n
            if c.sent >= len(PIPELINE) and c.sock.fileno() in self.conns:
                self.sel.unregister(c.sock)  # sent it all: hold the connection, read nothing
        elif c.kind == "slowloris":
            if not c.connected:
                c.connected = True
                c.next_at = now
                self.sel.modify(c.sock, selectors.EVENT_READ, c)
        elif c.kind in ("reset_half", "reset_whole"):
            self.send(c, b"GET / HT" if c.kind == "reset_half" else GET)
            self.counts["resets_sent"] += 1
            self.close(c)

    def trickle(self, now):
        # One byte per slowloris connection per --trickle seconds: "X" header bytes forever.
        for c in list(self.conns.values()):
            if c.kind != "slowloris" or not c.connected or c.next_at > now:
                continue
            data = b"GET / HTTP/1.1\r\n" if c.sent == 0 else b"X"
            if c.sent == 1:
                data = b"X-Slow: "
            if self.send(c, data) > 0:
                c.sent += 1
            c.next_at = now + self.a.trickle

    def top_up(self, dt):
        self.budget = min(self.budget + dt * self.a.connect_rate, self.a.connect_rate)
        for kind, want in self.want.items():
            while self.have[kind] < want and self.budget >= 1:
                self.budget -= 1
                self.open(kind)
        self.reset_budget = min(self.reset_budget + dt * self.a.resets, self.a.resets)
        while self.reset_budget >= 1:
            self.reset_budget -= 1
            self.open("reset_half" if self.counts["opened"] % 2 else "reset_whole")

    def run(self):
        start = time.monotonic()
        deadline = start + self.a.seconds
        last = start
        while True:
            now = time.monotonic()
            if now >= deadline:
                break
            self.top_up(now - last)
            last = now
            self.trickle(now)
            for key, mask in self.sel.select(timeout=0.01):
                self.on_event(key.data, mask, now)
        for c in list(self.conns.values()):
            self.close(c)
        report = dict(self.counts)
        report["seconds"] = round(time.monotonic() - start, 3)
        report["held_at_end"] = {k: self.have[k] for k in self.have}
        return report


def main(argv):
    a = parse_args(argv)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    total = a.slowloris + a.idle + a.crlf + a.pipeliners + a.resets
    if total + 64 > hard:
        print(f"hostile_clients: {total} connections do not fit the fd limit {hard}", file=sys.stderr)
        return 2
    # A bounded run whatever happens: SIGTERM or SIGINT end it early, SIGALRM as a last resort.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.alarm(int(a.seconds) + 30)
    try:
        report = Hostile(a).run()
    except KeyboardInterrupt:
        return 1
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
