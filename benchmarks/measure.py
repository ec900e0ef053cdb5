"""Run a command and print what it cost: wall time, CPU time and peak memory of its tree.

    python benchmarks/measure.py NAME [--stdout FILE] -- COMMAND [ARG...]

prints one line ``NAME wall_s cpu_s peak_rss_kib peak_pss_kib``. Memory is summed over
the command and all its descendants, RSS sampled every 50 ms, PSS every 0.5 s: RSS counts
pages shared by forked workers once per process (an upper bound), PSS shares them out (the
fair sum).
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
# PSS walks the page tables of each process: about 1 ms per process of 250 MB. Every 50 ms
# that took a tenth of a core, which a run using both cores pays and a one-core tool does
# not; every 0.5 s it is a hundredth.
PSS_EVERY = 10


def _children(pid: int) -> list[int]:
    """The children of every thread of a process (Linux's /proc/PID/task/TID/children):
    much cheaper than reading the parent of every process on the machine, which took a
    tenth of a core at this sampling rate, out of the two the measured run wants."""
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as children:
                found.extend(int(child) for child in children.read().split())
    except OSError:  # gone meanwhile
        pass
    return found


def _memory_kib(pid: int, with_pss: bool) -> tuple[int, int]:
    """(RSS, PSS or 0) of one process; zeros if it is gone."""
    try:
        with open(f"/proc/{pid}/statm") as statm:
            rss = int(statm.read().split()[1]) * PAGE_KIB
        if not with_pss:
            return rss, 0
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            pss = next((int(line.split()[1]) for line in rollup if line.startswith("Pss:")), 0)
    except (OSError, ValueError):
        return 0, 0
    return rss, pss


def tree_memory_kib(root: int, with_pss: bool = True) -> tuple[int, int]:
    todo = [root]
    rss = pss = 0
    while todo:
        pid = todo.pop()
        process_rss, process_pss = _memory_kib(pid, with_pss)
        rss, pss = rss + process_rss, pss + process_pss
        todo.extend(_children(pid))
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
        samples = 0
        while process.poll() is None:
            rss, pss = tree_memory_kib(process.pid, samples % PSS_EVERY == 1)  # from 50 ms on
            peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
            samples += 1
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
