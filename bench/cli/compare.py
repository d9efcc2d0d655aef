#!/usr/bin/env python3
"""The `logtree` command against rotatelogs, multilog and svlogd (issue 21).

The same lines go through each tool from a pipe (`cat input | tool`), each rotating at
10 MiB; the script reports MB/s (input bytes over wall time), the tool's CPU seconds (user +
system, from wait4), and reads every tool's files back, oldest first, to count lines lost,
repeated, reordered, and split across two files.

Usage: bench/cli/compare.py [--mb 1000] [--keep DIR]
Installs what is missing: apache2-utils and daemontools with apt-get, svlogd extracted from
the runit package (installing runit would set up an init system); builds logtree in release.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS = os.path.join(ROOT, "target", "bench-cli-tools")
ROTATE_AT = 10 * 1024 * 1024
LINE = "{:012d} GET /api/v1/items?page=7 HTTP/1.1 200 1532 0.004 ua=bench-client/1.0\n"


def have(command):
    return shutil.which(command) is not None


def install():
    """Installs the peers that are missing; returns the path of each tool."""
    missing = [pkg for cmd, pkg in (("rotatelogs", "apache2-utils"), ("multilog", "daemontools"))
               if not have(cmd)]
    if missing:
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        subprocess.run(sudo + ["apt-get", "install", "-y", "--no-install-recommends"] + missing,
                       check=True)
    svlogd = shutil.which("svlogd") or os.path.join(TOOLS, "usr", "bin", "svlogd")
    if not os.path.exists(svlogd):
        os.makedirs(TOOLS, exist_ok=True)
        subprocess.run(["apt-get", "download", "runit"], cwd=TOOLS, check=True)
        deb = next(f for f in os.listdir(TOOLS) if f.startswith("runit_") and f.endswith(".deb"))
        subprocess.run(["dpkg", "-x", deb, "."], cwd=TOOLS, check=True)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "logtree-cli"], cwd=ROOT, check=True)
    return {
        "logtree": os.path.join(ROOT, "target", "release", "logtree"),
        "rotatelogs": shutil.which("rotatelogs"),
        "multilog": shutil.which("multilog"),
        "svlogd": svlogd,
    }


def make_input(path, megabytes):
    """Numbered lines of about 90 bytes, `megabytes` MB in all; returns the line count."""
    target = megabytes * 1_000_000
    written = lines = 0
    with open(path, "w") as out:
        block = []
        while written < target:
            line = LINE.format(lines + 1)
            block.append(line)
            written += len(line)
            lines += 1
            if len(block) == 10_000:
                out.write("".join(block))
                block = []
        out.write("".join(block))
    return lines


# Each case: the command (run in its own empty directory, `out` being where files go), the
# files oldest first, and the prefix each tool puts before a line.
def cases(tools):
    size = str(ROTATE_AT)

    def logtree(*extra):
        return [tools["logtree"], "--dir", "out", "--stem", "app", "--max-size", size,
                "--backups", "1000", *extra]

    numbered = lambda name: int(name.rsplit(".", 1)[1]) if name.rsplit(".", 1)[1].isdigit() else 0
    logtree_order = lambda names: sorted(names, key=lambda n: (n.split(".log")[0], -numbered(n)))
    # multilog and svlogd: @<tai64n>.s (older first by name), then `current`.
    tai_order = lambda names: sorted(n for n in names if n.startswith("@")) + \
        [n for n in names if n == "current"]
    rotatelogs_order = lambda names: sorted(names, key=numbered)

    def svlogd(out_dir):
        os.makedirs(out_dir, exist_ok=True)
        with open(os.path.join(out_dir, "config"), "w") as config:
            config.write("s{}\nn1000\n".format(ROTATE_AT))

    return [
        ("logtree (every-record)", logtree(), logtree_order, r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} ", None),
        ("logtree (buffered)", logtree("--flush", "buffered"), logtree_order,
         r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} ", None),
        ("logtree --raw", logtree("--raw"), logtree_order, None, None),
        ("rotatelogs -n 1000", [tools["rotatelogs"], "-n", "1000", "out/app.log", "10M"],
         rotatelogs_order, None, None),
        ("multilog t", [tools["multilog"], "t", "s" + size, "n1000", "./out"], tai_order,
         r"^@[0-9a-f]{24} ", None),
        ("svlogd -tt", [tools["svlogd"], "-tt", "out"], tai_order,
         r"^\d{4}-\d\d-\d\d_\d\d:\d\d:\d\d\.\d{5} ", svlogd),
    ]


def run_case(command, input_path, work, prepare):
    out = os.path.join(work, "out")
    if prepare:
        prepare(out)
    else:
        os.makedirs(out, exist_ok=True)
    with open(input_path, "rb") as source:
        cat = subprocess.Popen(["cat"], stdin=source, stdout=subprocess.PIPE)
        start = time.monotonic()
        tool = subprocess.Popen(command, stdin=cat.stdout, cwd=work, stderr=subprocess.PIPE)
        cat.stdout.close()
        _, status, usage = os.wait4(tool.pid, 0)
        elapsed = time.monotonic() - start
        tool.returncode = os.waitstatus_to_exitcode(status)
        stderr = tool.stderr.read().decode(errors="replace")
        cat.wait()
    return elapsed, usage.ru_utime + usage.ru_stime, tool.returncode, stderr, out


def check(out, order, prefix, expected):
    """Lines lost, repeated, out of order, and split across files; the file names."""
    names = [n for n in os.listdir(out) if n not in ("config", "lock", "state", "newstate")]
    prefix = re.compile(prefix.encode()) if prefix else None
    seen = bytearray(expected + 1)
    repeated = reordered = torn = last = 0
    carry = b""
    for name in order(names):
        with open(os.path.join(out, name), "rb") as f:
            data = f.read()
        if data and not data.endswith(b"\n"):
            torn += 1
        data = carry + data
        lines = data.split(b"\n")
        carry = lines.pop()
        for line in lines:
            if prefix:
                line = prefix.sub(b"", line, count=1)
            try:
                n = int(line[:12])
            except ValueError:
                continue
            if n > expected:
                continue
            if seen[n]:
                repeated += 1
            seen[n] = 1
            if n < last:
                reordered += 1
            last = max(last, n)
    lost = expected - sum(seen[1:])
    return lost, repeated, reordered, torn, sorted(names)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=int, default=1000, help="input size in MB (default 1000)")
    parser.add_argument("--keep", help="keep the input and the files in this directory")
    args = parser.parse_args()
    tools = install()
    base = args.keep or tempfile.mkdtemp(prefix="logtree-cli-bench-")
    os.makedirs(base, exist_ok=True)
    input_path = os.path.join(base, "input.txt")
    lines = make_input(input_path, args.mb)
    size = os.path.getsize(input_path)
    print(f"{size / 1e6:.0f} MB, {lines} lines of {size // lines} bytes, rotating at 10 MiB\n")
    print("| tool | MB/s | CPU s | lines lost | repeated | reordered | lines split across files | files | names |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    failed = False
    for i, (name, command, order, prefix, prepare) in enumerate(cases(tools)):
        work = os.path.join(base, f"case{i}")
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        elapsed, cpu, code, stderr, out = run_case(command, input_path, work, prepare)
        lost, repeated, reordered, torn, names = check(out, order, prefix, lines)
        if code != 0:
            failed = True
            print(f"{name}: exit status {code}: {stderr.strip()}", file=sys.stderr)
        example = names[0] if names else "-"
        print(f"| {name} | {size / 1e6 / elapsed:.0f} | {cpu:.2f} | {lost} | {repeated} | "
              f"{reordered} | {torn} | {len(names)} | `{example}` |", flush=True)
        if not args.keep:
            shutil.rmtree(work)
    if not args.keep:
        shutil.rmtree(base)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
