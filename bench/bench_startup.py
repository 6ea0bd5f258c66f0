"""CPU seconds a Loa process spends starting, beside a baseline from the same run.

Every `loa` command, web server, flow run and test worker pays its start-up, so it is what the suite and
an operator's shell feel most. Each case runs in a new interpreter, several times, interleaved with its
baseline (a busy machine then slows both alike); the figure is the median CPU (user + system) of the
child processes, read with getrusage.

- imports: the CLI, the store, the desk's presentation and the flows, with Loa's collector threshold
  (loa/__init__.py) beside CPython's default one (700): the gain the threshold was set for;
- `loa --help` and `loa show` with a missing notice (a command that opens the config and the store and
  stops with exit 1), beside a bare `python -c pass` (the interpreter's own start).

    .venv/bin/python bench/bench_startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOA = str(Path(sys.executable).parent / "loa")
MODULES = "loa.app.cli, loa.store, loa.app.desk.present, flows.dispatch"
IMPORTS = f"import {MODULES}"
# The same imports with Loa's gc.set_threshold made a no-op before `loa` is first imported: CPython's default.
DEFAULT_GC = f"import gc; gc.set_threshold = lambda *a: None; {IMPORTS}"


def child_cpu(argv: list[str], env: dict[str, str], ok: Callable[[int], bool] = lambda rc: rc == 0) -> float:
    """CPU seconds (user + system) of one run of `argv` and its children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if not ok(done.returncode):
        sys.exit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each case (default 7)")
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="loa-bench-startup-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOA_")} | {"LOA_HOME": home}
    py = sys.executable
    cases: dict[str, tuple[list[str], Callable[[int], bool]]] = {
        "python -c pass (baseline)": ([py, "-c", "pass"], lambda rc: rc == 0),
        "imports, CPython's gc threshold (baseline)": ([py, "-c", DEFAULT_GC], lambda rc: rc == 0),
        "imports, Loa's gc threshold": ([py, "-c", IMPORTS], lambda rc: rc == 0),
        "loa --help": ([LOA, "--help"], lambda rc: rc == 0),
        "loa show 999999 (missing: exit 1)": ([LOA, "show", "999999"], lambda rc: rc == 1),
    }
    child_cpu([LOA, "show", "999999"], env, lambda rc: rc == 1)  # first start: bytecode compiled, store migrated
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for i in range(args.runs):
        print(f"\rrun {i + 1}/{args.runs}", end="", file=sys.stderr, flush=True)
        for name, (argv, ok) in cases.items():
            samples[name].append(child_cpu(argv, env, ok))
    print("\r", end="", file=sys.stderr)
    print(f"CPU seconds per start, median of {args.runs} (min-max); imports: {MODULES}")
    for name, values in samples.items():
        print(f"  {name:44} {statistics.median(values):5.2f}  ({min(values):.2f}-{max(values):.2f})")
    default, loa = (statistics.median(samples[k]) for k in list(cases)[1:3])
    print(f"Loa's gc threshold saves {default - loa:.2f} s ({(default - loa) / default:.0%}) of the imports' CPU")


if __name__ == "__main__":
    main()
