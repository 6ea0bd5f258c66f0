"""Loa: the domain core. No Prefect, paho or FastAPI import anywhere under loa/ except loa/app/."""

import gc

__version__ = "0.1.0"

# Every Loa process (the CLI, the web server, each flow run, the test workers) imports SQLAlchemy,
# pydantic and often Prefect and FastAPI: hundreds of thousands of objects that live as long as the
# process. With CPython's default threshold (700 allocations) the collector runs ~400 times during
# those imports and frees almost nothing. A larger first generation keeps the collector for cycles
# that really are garbage: bench/bench_startup.py measures it beside the default (7 % of the imports'
# CPU on the machine of 2026-12-03; ~5 % of the in-process tests' CPU).
gc.set_threshold(10_000, 10, 10)
