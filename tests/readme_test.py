#!/usr/bin/env python3
"""The README says what is true: every command it shows runs with the options it gives, every
link and image it points to exists, every package the build installs is named, the test labels
are ctest's, CITATION.cff carries the project's version, and results/ holds only the runs the
README links (directly or from a linked run's own notes).

usage: readme_test.py SOURCE_DIR BIN_DIR BUILD_DIR
"""
import os
import re
import subprocess
import sys

import pbtest
from pbtest import expect as check


HELP = {}


def help_text(command, source, bin_dir):
    if command not in HELP:
        HELP[command] = run_help(command, source, bin_dir)
    return HELP[command]


def run_help(command, source, bin_dir):
    """--help output of a program the README names (a build binary or a script), or None."""
    if command.startswith("scripts/") or command.startswith("bench/"):
        path = os.path.join(source, command)
    else:
        path = os.path.join(bin_dir, os.path.basename(command))
    if not os.path.exists(path):
        return None
    argv = ["bash", path] if path.endswith(".sh") else [path]
    r = subprocess.run(argv + ["--help"], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    return r.stdout + r.stderr if r.returncode == 0 else ""


def commands(readme, programs):
    """(program, [options]) for every shell line or inline code span that starts with a program."""
    spans = re.findall(r"```sh\n(.*?)```", readme, re.S)
    lines = [line.split("#")[0] for block in spans for line in block.splitlines()]
    # An inline span is a command when it gives arguments; a bare path is only a mention.
    lines += [span for span in re.findall(r"`([^`\n]+)`", readme) if " " in span.strip()]
    found = []
    for line in lines:
        for part in re.split(r"&&|\|", line):
            words = part.split()
            if not words:
                continue
            name = words[0]
            base = os.path.basename(name)
            if base in programs or name.startswith("scripts/") and name.endswith(".sh"):
                options = [w.split("=")[0] for w in words[1:] if w.startswith("--")]
                found.append((name, options))
    return found


def check_commands(readme, source, bin_dir):
    programs = {p for p in os.listdir(bin_dir) if os.access(os.path.join(bin_dir, p), os.X_OK)}
    seen = 0
    for name, options in commands(readme, programs):
        text = help_text(name, source, bin_dir)
        check(text is not None, f"README names {name}, which does not exist")
        check(text != "", f"README names {name}, whose --help fails")
        for option in options:
            if option.startswith("--benchmark_"):
                continue
            check(text is not None and re.search(re.escape(option) + r"(?![a-z0-9_-])", text) is not None,
                  f"README gives {name} {option}, which its --help does not list")
        seen += 1
    check(seen >= 6, f"README: only {seen} commands found; the parser is broken")


def check_links(readme, source):
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme):
        if re.match(r"[a-z]+:", target):
            continue
        check(os.path.exists(os.path.join(source, target)), f"README links {target}, which does not exist")


def check_packages(readme, source):
    text = open(os.path.join(source, "scripts", "ensure_packages.sh")).read()
    names = set()
    for group in ("BUILD", "PLOT", "TEST"):
        for body in re.findall(r"POLLBENCH_%s_PACKAGES\+?=\(([^)]*)\)" % group, text):
            names.update(body.split())
    check(len(names) >= 10, f"ensure_packages.sh: found only {sorted(names)}")
    for name in sorted(names - {"make", "git"}):
        check(f"`{name}`" in readme, f"README's dependency list omits {name} (scripts/ensure_packages.sh installs it)")


def check_labels(readme, build_dir):
    r = subprocess.run(["ctest", "--test-dir", build_dir, "--print-labels"], capture_output=True, text=True, timeout=60)
    labels = {line.strip() for line in r.stdout.splitlines() if line.startswith("  ")}
    check(len(labels) >= 5, f"ctest --print-labels gave {labels}")
    row = next((line for line in readme.splitlines() if line.startswith("| `tests/`")), "")
    named = set(re.findall(r"`([a-z]+)`", row.split("labels", 1)[-1])) if "labels" in row else set()
    check(named == labels, f"README's test labels {sorted(named)} are not ctest's {sorted(labels)}")


def check_citation(source):
    cff = open(os.path.join(source, "CITATION.cff")).read()
    cmake = open(os.path.join(source, "CMakeLists.txt")).read()
    version = re.search(r"project\(pollbench [^)]*VERSION ([0-9.]+)", cmake)
    check(version is not None, "CMakeLists.txt: no project VERSION")
    check("cff-version: 1.2.0" in cff, "CITATION.cff: not cff-version 1.2.0")
    for key in ("title:", "authors:", "message:"):
        check(key in cff, f"CITATION.cff: no {key}")
    if version:
        check(f"version: {version.group(1)}\n" in cff, f"CITATION.cff: version is not the project's {version.group(1)}")


def check_results(readme, source):
    linked = set(re.findall(r"results/([\w.-]+)", readme))
    for run in list(linked):
        notes = os.path.join(source, "results", run, "README.md")
        if os.path.exists(notes):
            linked.update(re.findall(r"\.\./([\w.-]+)/", open(notes).read()))
    present = {d for d in os.listdir(os.path.join(source, "results")) if os.path.isdir(os.path.join(source, "results", d))}
    check(present <= linked, f"results/ holds runs no README links: {sorted(present - linked)}")


def main():
    source, bin_dir, build_dir = pbtest.usage_args(__doc__, 3)
    readme = open(os.path.join(source, "README.md")).read()
    check("issue" not in readme.lower(), "README talks of issues: history belongs with a run or in git")
    check_commands(readme, source, bin_dir)
    check_links(readme, source)
    check_packages(readme, source)
    check_labels(readme, build_dir)
    check_citation(source)
    check_results(readme, source)
    print(f"readme: {len(pbtest.failures())} failures")


if __name__ == "__main__":
    pbtest.main(main)
