"""What `loa approve` and `loa show` import: the approval path (CLI process start → boards delivered) must
not pay for the other channels, the other commands or the heavy libraries only a dispatch run needs; the
show path not for the web server (FastAPI), rendering, CAP validation or Prefect."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from channels.catalogue import AT_APPROVAL, CATALOGUE, NAMES, build_channels, channel_class, channel_classes
from loa.store import Store
from tests.conftest import seed_migrated
from tests.unit.test_cap_out import CLS, FEED, TEXT
from tests.unit.test_cap_out import entry as feed_entry

#: never imported on the approve path (the channels that render, speak, print, validate CAP or call out)
HEAVY = ("weasyprint", "matplotlib", "trafilatura", "prefect", "apprise", "lxml", "jinja2", "zxingcpp")
#: never imported by `loa show` (it uses the desk's board preview, not the desk's web app)
SHOW_HEAVY = ("fastapi", "starlette", "uvicorn", "weasyprint", "matplotlib", "trafilatura", "prefect", "lxml")
#: offline (no Prefect server, no webhook) no command makes an HTTP request
OFFLINE_UNUSED = ("requests", "urllib3")
OTHER_CHANNELS = ("channels.website", "channels.radio", "channels.printed", "channels.webhook", "channels.cap")
OTHER_COMMANDS = ("loa.app.cli_radio", "loa.app.cli_print", "loa.app.cli_report", "loa.app.cli_cap")

APPROVE = """
import json, sys
from loa.app.cli import app
from typer.main import get_command
group = get_command(app)
group.get_command(None, "approve")
try:
    group.main(["approve", "424242", "--by", "Kiểm tra"], standalone_mode=False)
except SystemExit:
    pass
from loa.app.prefect_scheduler import publishing_for
from loa.runtime import runtime
cfg, store = runtime()
built = publishing_for(cfg, store).channels()  # what a due approval delivers from this process
print(json.dumps({"built": sorted(built), "modules": sorted(sys.modules)}))
"""


def _run(cfg, code: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "LOA_"))}
    env |= {"LOA_HOME": str(cfg.home), "LOA_CONFIG_DIR": str(cfg.config_dir)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_approve_path_imports_only_the_boards_channel(cfg):
    seen = _run(cfg, APPROVE)
    assert seen["built"] == ["boards"]
    modules = set(seen["modules"])
    assert "loa.app.cli_editorial" in modules and "channels.boards" in modules  # the path was taken
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY)
    assert heavy == [], f"the approve path imports {heavy}"
    assert sorted(modules & set(OTHER_CHANNELS + OTHER_COMMANDS)) == []
    unused = sorted(m for m in modules if m.split(".")[0] in OFFLINE_UNUSED)
    assert unused == [], f"an offline approval imports {unused}"


SHOW = """
import contextlib, io, json, sys
from loa.app.cli import main
shown = io.StringIO()
sys.argv = ["loa", "show", "%d", "--json"]
with contextlib.redirect_stdout(shown):
    try:
        main()
    except SystemExit as exc:
        assert not exc.code, exc.code
print(json.dumps({"shown": json.loads(shown.getvalue()), "modules": sorted(sys.modules)}))
"""


def test_loa_show_imports_neither_the_web_app_nor_the_heavy_libraries(cfg, migrated_sqlite):
    seed_migrated(migrated_sqlite, cfg.database_url)  # the store `loa show` opens, without the migrations
    store = Store.open(cfg.database_url)
    version = store.record_entry(FEED, feed_entry(), CLS).document_version_id
    n = store.draft_notice(version, areas=["cao-bang"], variants={"website": TEXT, "boards": "Cảnh báo lũ quét."})
    seen = _run(cfg, SHOW % n.id)
    assert seen["shown"]["id"] == n.id and seen["shown"]["board_lines"]  # the path was taken
    modules = set(seen["modules"])
    assert "loa.app.desk.present" in modules and "loa.app.desk.app" not in modules
    heavy = sorted(m for m in modules if m.split(".")[0] in SHOW_HEAVY + OFFLINE_UNUSED)
    assert heavy == [], f"loa show imports {heavy}"


def test_loa_help_still_lists_every_command(cfg):
    seen = _run(
        cfg,
        "import json\nfrom typer.main import get_command\nfrom loa.app.cli import app, LAZY\n"
        "g = get_command(app)\nprint(json.dumps({'names': g.list_commands(None), "
        "'built': [g.get_command(None, n).name for n in g.list_commands(None)], 'lazy': list(LAZY)}))",
    )
    assert seen["names"] == seen["built"]
    assert set(seen["lazy"]) <= set(seen["names"]) and {"run", "ingest", "show", "board"} <= set(seen["names"])


def test_each_catalogue_entry_names_its_class():
    assert [cls.name for cls in channel_classes()] == list(NAMES)
    assert AT_APPROVAL == ("boards",)
    for entry in CATALOGUE:
        assert not hasattr(channel_class(entry.name), "at_approval"), "at_approval is the catalogue's, not the class's"


def test_built_channels_carry_the_catalogue_at_approval(cfg, sqlite_store):
    built = build_channels(cfg, sqlite_store, ["boards", "webhook"])
    assert {n: ch.at_approval for n, ch in built.items()} == {"boards": True, "webhook": False}
    with pytest.raises(ValueError, match="no channel named nope"):
        build_channels(cfg, sqlite_store, ["nope"])
