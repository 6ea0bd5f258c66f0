"""`loa run` keeps Loa's Prefect automations in step at start-up, in the background.

The sync runs in a child process (`python -m flows.automations`) started once the deployments are
up, so `loa run` neither waits for it nor imports Prefect itself; its outcome is printed when it
ends (normally within a few seconds), its log is LOA_HOME/logs/automations.log.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading

from rich.console import Console

from loa.config import Config

log = logging.getLogger(__name__)


class BackgroundSync:
    def __init__(self, cfg: Config, api: str, console: Console):
        from loa.app.run import prefect_env

        self.cfg, self.console = cfg, console
        self.log = cfg.layout.log("automations")
        env = prefect_env(cfg) | {
            "PREFECT_API_URL": api,
            "LOA_HOME": str(cfg.home),
            "LOA_CONFIG_DIR": str(cfg.config_dir),
            "LOA_DATABASE_URL": cfg.database_url,
        }
        import os

        with open(self.log, "ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "flows.automations"],
                env=os.environ | env,
                stdout=subprocess.PIPE,
                stderr=err,
                start_new_session=True,
            )
        threading.Thread(target=self._report, name="automations-sync", daemon=True).start()

    def _report(self) -> None:
        out, _ = self.proc.communicate()
        if self.proc.returncode != 0:
            if self.proc.returncode > 0:
                self.console.print(
                    f"[red]automations: sync failed (exit {self.proc.returncode}); see {self.log}; "
                    f"retry with `loa automations sync`[/]"
                )
            return
        result = json.loads(out)
        changed = [f"{r['action']} {r['name']!r}" for r in result["automations"] if r["action"] != "unchanged"]
        kept = [r for r in result["automations"] if r["action"] != "deleted"]
        self.console.print(
            f"  {'Automations':16} {len(kept)} in step" + (f" ({'; '.join(changed)})" if changed else "")
        )
        if result["warning"]:
            self.console.print(f"[yellow]automations notify nobody yet: {result['warning']}[/]")

    def stop(self) -> None:
        from loa.app.run import terminate

        terminate(self.proc)
