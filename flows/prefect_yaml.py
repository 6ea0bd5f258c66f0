"""prefect.yaml from flows/serve.py: the deployments `loa run` serves are the ones a work pool gets.

    python -m flows.prefect_yaml            # print the deployments section serve.py implies
    python -m flows.prefect_yaml --check    # exit 1, naming each difference, if prefect.yaml disagrees

serve.py's deployments() is the source of truth (it reads loa.yaml: ingest interval, print day,
time zone); prefect.yaml is what `prefect deploy --all` reads. The check runs in the tests, so a
deployment added to one and not the other fails the build.
"""

from __future__ import annotations

import argparse
import inspect
import logging
import sys
from pathlib import Path

import yaml

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent


def _entrypoint(flow) -> str:
    path = Path(inspect.getfile(flow.fn)).resolve().relative_to(ROOT)
    return f"{path.as_posix()}:{flow.fn.__name__}"


def _schedule(settings: dict) -> list[dict]:
    if "interval" in settings:
        return [{"interval": int(settings["interval"].total_seconds())}]
    if "schedule" in settings:
        s = settings["schedule"]
        return [{"cron": s.cron, "timezone": s.timezone}]
    return []


def _trigger(t) -> dict:
    return {
        "type": "event",
        "enabled": t.enabled,
        "match": dict(t.match.root),
        "expect": sorted(t.expect),
        "parameters": t.parameters,
    }


def _concurrency(limit) -> dict | None:
    if limit is None:
        return None
    if isinstance(limit, int):
        return {"limit": limit}
    return {"limit": limit.limit, "collision_strategy": limit.collision_strategy.value}


def expected(pool: str = "loa") -> list[dict]:
    """prefect.yaml's deployment entries as serve.py defines them."""
    from flows.serve import deployments

    out = []
    for flow, s in deployments():
        entry = {
            "name": s["name"],
            "entrypoint": _entrypoint(flow),
            "description": s.get("description", ""),
            "tags": list(s.get("tags", [])),
            "schedules": _schedule(s),
            "triggers": [_trigger(t) for t in s.get("triggers", [])],
            "concurrency_limit": _concurrency(s.get("concurrency_limit")),
            "work_pool": {"name": pool},
        }
        out.append({k: v for k, v in entry.items() if v not in (None, [])})
    return out


def _normal(entry: dict) -> dict:
    """A prefect.yaml entry in the shape expected() produces (YAML spells the same thing several ways)."""
    e = dict(entry)
    e["triggers"] = [
        {
            "type": t.get("type", "event"),
            "enabled": t.get("enabled", True),
            "match": t.get("match", {}),
            "expect": sorted(t.get("expect", [])),
            "parameters": t.get("parameters"),
        }
        for t in e.get("triggers") or []
    ]
    e["work_pool"] = {"name": (e.get("work_pool") or {}).get("name")}
    return {k: v for k, v in e.items() if v not in (None, [])}


def differences(path: Path = ROOT / "prefect.yaml", pool: str = "loa") -> list[str]:
    have = {d["name"]: _normal(d) for d in yaml.safe_load(path.read_text(encoding="utf-8"))["deployments"]}
    want = {d["name"]: d for d in expected(pool)}
    problems = [f"{n}: in flows/serve.py, missing from {path.name}" for n in want if n not in have]
    problems += [f"{n}: in {path.name}, not served by flows/serve.py" for n in have if n not in want]
    for name in want.keys() & have.keys():
        for key in sorted(want[name].keys() | have[name].keys()):
            if want[name].get(key) != have[name].get(key):
                problems.append(
                    f"{name}.{key}: {path.name} has {have[name].get(key)!r}, flows/serve.py has {want[name].get(key)!r}"
                )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with prefect.yaml; exit 1 if they differ")
    parser.add_argument("--pool", default="loa", help="work pool name (default: loa)")
    args = parser.parse_args(argv)
    if args.check:
        problems = differences(pool=args.pool)
        for p in problems:
            print(f"prefect.yaml disagrees with flows/serve.py: {p}", file=sys.stderr)
        return 1 if problems else 0
    print(yaml.safe_dump({"deployments": expected(args.pool)}, allow_unicode=True, sort_keys=False, width=120))
    return 0


if __name__ == "__main__":
    sys.exit(main())
