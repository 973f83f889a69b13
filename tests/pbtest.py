"""What pollbench's Python tests share (standard library only): checks, skips and the exit codes
ctest reads, running a program, starting pollserver (or any server that prints
`listening on ADDR:PORT` first), and which backends run here (`backends_list --json`).

    import pbtest
    from pbtest import check, expect

    def body():
        check(ok, "message")        # a failure that ends the test here
        expect(ok, "message")       # a failure recorded; the test goes on (all problems at once)
        pbtest.skip("no IPv6")      # exit 77: ctest's SKIP_RETURN_CODE for these tests

    if __name__ == "__main__":
        pbtest.main(body)           # FAIL:/SKIP: lines, exit 0, 1 or 77
"""
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time

SKIP = 77
_PR_SET_PDEATHSIG = 1


class Failure(Exception):
    """A check that failed: the test stops and exits 1."""


class Skip(Exception):
    """What this machine cannot run: the test stops and exits 77."""


_expected = []  # expect()'s failures so far


def check(condition, message):
    if not condition:
        raise Failure(message)


def expect(condition, message):
    """Records a failure and goes on; returns the condition, so a caller can skip what depends on it."""
    if not condition:
        _expected.append(message)
    return bool(condition)


def failures():
    """expect()'s failures so far."""
    return list(_expected)


def skip(message):
    raise Skip(message)


def run_test(body, *args):
    """Runs body(*args): 0 (or what it returns), 1 on any failure, SKIP when skipped."""
    try:
        code = body(*args) or 0
    except Skip as e:
        print(f"SKIP: {e}")
        return SKIP
    except Failure as e:
        _expected.append(str(e))
    for message in _expected:
        print(f"FAIL: {message}", file=sys.stderr)
    return 1 if _expected else code


def main(body, *args):
    sys.exit(run_test(body, *args))


def usage_args(doc, count):
    """sys.argv[1:] when it holds `count` arguments; else the usage (doc) and exit 2."""
    if len(sys.argv) != count + 1:
        print(doc, file=sys.stderr)
        sys.exit(2)
    return sys.argv[1:]


def run(cmd, timeout=120, **kwargs):
    """Runs cmd to its end with no input: a CompletedProcess with text stdout and stderr."""
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, **kwargs)


def refuses(cmd, expected, timeout=60):
    """cmd must exit 2 (a usage error), say `expected` on stderr and write nothing on stdout.
    Returns the CompletedProcess, for further checks."""
    r = run(cmd, timeout=timeout)
    shown = " ".join(os.path.basename(str(c)) if i == 0 else str(c) for i, c in enumerate(cmd))
    check(r.returncode == 2, f"{shown}: exit {r.returncode}, expected 2; stderr: {r.stderr[-1000:]!r}")
    check(expected in r.stderr, f"{shown}: stderr lacks {expected!r}: {r.stderr[-1000:]!r}")
    check(r.stdout == "", f"{shown}: wrote on stdout before refusing: {r.stdout[:500]!r}")
    return r


def refuses_each(binary, cases, timeout=60):
    """refuses() for each {argument: what stderr must say} of `cases`, one argument at a time."""
    for arg, expected in cases.items():
        refuses([binary, arg], expected, timeout=timeout)


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def wait_until(condition, timeout, interval=0.02):
    """Polls condition() until it holds or `timeout` seconds pass; its last value."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return condition()
        time.sleep(interval)
    return True


# --- backends -------------------------------------------------------------------------------

_capabilities = {}


def backends(bin_dir):
    """Every backend this build knows, as `BIN_DIR/backends_list --json` describes it (name,
    available, reason, trigger, interest, raw, ...)."""
    if bin_dir not in _capabilities:
        r = run([os.path.join(bin_dir, "backends_list"), "--json"], timeout=60)
        check(r.returncode == 0, f"backends_list --json: exit {r.returncode}: {r.stderr}")
        _capabilities[bin_dir] = json.loads(r.stdout)
    return _capabilities[bin_dir]


def available(bin_dir):
    """The names of the backends that run on this machine."""
    return [b["name"] for b in backends(bin_dir) if b["available"]]


def require_backend(bin_dir, name):
    """Skips the test when backend `name` cannot run here (with backends_list's reason); fails
    when the build does not know it."""
    known = {b["name"]: b for b in backends(bin_dir)}
    check(name in known, f"backend {name!r} is not one of {sorted(known)}")
    if not known[name]["available"]:
        skip(f"backend {name} is not available here: {known[name]['reason']}")


# --- servers --------------------------------------------------------------------------------

def _die_with_parent(then=None):
    """For preexec_fn: the child gets SIGKILL when this test dies, however it dies."""
    def setup():
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if then:
            then()
    return setup


class Server:
    """A server as a child process that prints `listening on ADDR:PORT` as its first line and,
    if asked to stop, its statistics as JSON. It dies with the test; use it in a `with` block
    (or call kill()) so it never outlives a failed check."""

    def __init__(self, argv, preexec_fn=None):
        self.argv = [str(a) for a in argv]
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent(preexec_fn))
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            self.proc.kill()
            _, err = self.proc.communicate()
            raise Failure(f"{os.path.basename(self.argv[0])}: first line was {line!r}, not "
                          f"'listening on ADDR:PORT'; stderr: {err}")
        self.endpoint = line[len("listening on "):]
        host, _, port = self.endpoint.rpartition(":")
        self.host = host.strip("[]")
        self.port = int(port)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()

    @property
    def pid(self):
        return self.proc.pid

    def fd_count(self):
        return fd_count(self.proc.pid)

    def wait_for_fds(self, expected, timeout=5.0):
        """Waits until the server holds `expected` fds (its baseline, once clients left)."""
        if not wait_until(lambda: self.fd_count() == expected, timeout):
            raise Failure(f"{os.path.basename(self.argv[0])} has {self.fd_count()} fds open "
                          f"{timeout:g} s on, expected its baseline {expected}")

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Stops it with `sig`; it must exit 0. Its statistics: the JSON object on stdout."""
        self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=timeout)
        check(self.proc.returncode == 0,
              f"{os.path.basename(self.argv[0])} exited {self.proc.returncode} after {signal.Signals(sig).name}: {err}")
        try:
            return json.loads(out[out.find("{"):])
        except json.JSONDecodeError:
            raise Failure(f"{os.path.basename(self.argv[0])}: its statistics are not JSON: {out!r}") from None

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()

    def connect(self, timeout=5):
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect((self.host, self.port))
        return s


def pollserver(binary, *args, preexec_fn=None):
    """pollserver ARGS... on a free port (--port 0) of 127.0.0.1, or of what ARGS --bind."""
    return Server([binary, "--port", "0", *args], preexec_fn=preexec_fn)
