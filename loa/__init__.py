"""Loa: the domain core. No Prefect, paho or FastAPI import anywhere under loa/ except loa/app/."""

import gc

__version__ = "0.1.0"

# Every Loa process (the CLI, the web server, each flow run, the test workers) imports Prefect,
# SQLAlchemy, pydantic and FastAPI: ~1M objects that live as long as the process. With CPython's
# default threshold (700 allocations) the collector runs ~400 times during those imports and frees
# almost nothing: a quarter of a command's start-up CPU (`loa show`: 3.1 -> 2.3 s of imports here).
# A larger first generation keeps garbage collection for cycles that really are garbage.
gc.set_threshold(10_000, 10, 10)
