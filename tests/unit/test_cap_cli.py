"""`loa cap set` and `loa cap show`: the CLI twin of the desk's CAP fields."""

import json

from typer.testing import CliRunner

from channels.cap import Cap
from loa.app.cli import app
from loa.config import Env, load_config
from loa.model import Priority
from loa.publishing.dispatch import dispatch_notice
from loa.store import Store
from tests.conftest import write_config
from tests.unit.test_cap_out import CLS, FEED, TEXT, entry


def test_set_and_show(tmp_path, monkeypatch):
    folder = write_config(tmp_path / "config", feeds=[])
    values = {
        "LOA_HOME": str(tmp_path / "home"),
        "LOA_CONFIG_DIR": str(folder),
        "LOA_DATABASE_URL": f"sqlite:///{tmp_path / 'loa.db'}",
    }
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    store = Store.open(values["LOA_DATABASE_URL"])
    n = store.draft_notice(
        store.record_entry(FEED, entry(), CLS).document_version_id,
        areas=["cao-bang"],
        priority=Priority.EMERGENCY,
        variants={"website": TEXT},
    )
    run = CliRunner().invoke
    result = run(
        app, ["cap", "set", str(n.id), "--by", "Nông Thị Hoa", "--level", "4", "--instruction", "Sơ tán ngay", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert [c["field"] for c in json.loads(result.stdout)["changes"]] == ["disaster_level", "instruction"]
    bad = run(app, ["cap", "set", str(n.id), "--by", "Hoa", "--status", "drill"])
    assert bad.exit_code == 1 and "not one of actual, exercise, test" in bad.stderr
    store.transition(n.id, "approve", "Hoa")
    cfg = load_config(Env(home=tmp_path / "home", config_dir=folder))
    dispatch_notice(store, {"cap": Cap(cfg, store)}, n.id)
    shown = json.loads(run(app, ["cap", "show", str(n.id), "--json"]).stdout)
    assert shown["sent"][0]["status"] == "delivered" and f"/cap/{n.id}/v1.xml" in shown["sent"][0]["detail"]
    assert run(app, ["cap", "set", str(n.id), "--by", "Hoa", "--level", "2"]).exit_code == 1  # not a draft now
