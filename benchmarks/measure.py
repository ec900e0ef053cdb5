"""Run a command and print what it cost: wall time, CPU time and peak memory of its tree.

    python benchmarks/measure.py NAME [--stdout FILE] -- COMMAND [ARG...]

prints one line ``NAME wall_s cpu_s peak_rss_kib peak_pss_kib``. Memory is summed over
the command and all its descendants, sampled every 50 ms: RSS counts pages shared by
forked workers once per process (an upper bound), PSS shares them out (the fair sum).
CPU time (user + system, children included) is steadier than wall time on a busy machine.
The command's stdout goes to FILE (default /dev/null); a failing command fails this.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024
SAMPLE_SECONDS = 0.05


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            tree.setdefault(parent, []).append(int(entry))
    return tree


def _memory_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process; zeros if it is gone."""
    try:
        with open(f"/proc/{pid}/statm") as statm:
            rss = int(statm.read().split()[1]) * PAGE_KIB
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            pss = next((int(line.split()[1]) for line in rollup if line.startswith("Pss:")), 0)
    except (OSError, ValueError):
        return 0, 0
    return rss, pss


def tree_memory_kib(root: int) -> tuple[int, int]:
    children, todo = _children(), [root]
    rss = pss = 0
    while todo:
        pid = todo.pop()
        process_rss, process_pss = _memory_kib(pid)
        rss, pss = rss + process_rss, pss + process_pss
        todo.extend(children.get(pid, ()))
    return rss, pss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name")
    parser.add_argument("--stdout", default=os.devnull)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    with open(args.stdout, "wb") as out:
        started = time.monotonic()
        process = subprocess.Popen(command, stdout=out)
        peak_rss = peak_pss = 0
        while process.poll() is None:
            rss, pss = tree_memory_kib(process.pid)
            peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
            time.sleep(SAMPLE_SECONDS)
        wall = time.monotonic() - started
    usage = os.times()  # the waited-for child and its own waited-for children
    cpu = usage.children_user + usage.children_system
    if process.returncode:
        print(f"{args.name}: exit status {process.returncode}", file=sys.stderr)
        return 1
    print(f"{args.name} {wall:.2f} {cpu:.2f} {peak_rss} {peak_pss}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
