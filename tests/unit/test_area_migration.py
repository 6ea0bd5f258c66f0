"""Moving a store made with the pre-2025 areas.yaml to the 2025 map (migration 0010, loa/store/area_rename.py).

The store is filled through Loa's own store API with the paths of the old areas.yaml
(tests/data/areas-2024.yaml: province → district → commune), then migration 0010 runs as it does
when Loa opens a store made before it; the test runs on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import select, text

from loa.area_migration import mappings, remap
from loa.model import DeliveryResult, NoticeState
from loa.store import Store, migrate
from loa.store.boards import Report, add_board, boards, record_reports
from loa.store.schema import AreaRenameRow, BoardAckRow
from tests.unit.test_site_publish import approve

OLD_AREAS = Path(__file__).resolve().parent.parent / "data" / "areas-2024.yaml"


def old_paths() -> list[str]:
    """Every path of the old areas.yaml, in file order."""
    out = []

    def walk(nodes, parent):
        for node in nodes:
            path = f"{parent}/{node['slug']}" if parent else node["slug"]
            out.append(path)
            walk(node.get("children", []), path)

    walk(yaml.safe_load(OLD_AREAS.read_text(encoding="utf-8"))["areas"], "")
    return out


def rerun_0010(store: Store) -> None:
    """Put the store back at the revisions before 0010 (its only schema change is the report table) and upgrade,
    as Loa does when it opens a store made by an older version."""
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE area_renames"))
        conn.execute(text("DELETE FROM alembic_version WHERE version_num = '0010'"))
        # 0010's parents, but 0004 only where no later head built on it (0016_cap) is recorded already
        has_cap = conn.execute(text("SELECT count(*) FROM alembic_version WHERE version_num = '0016_cap'")).scalar()
        for rev in ("0002", "0003") if has_cap else ("0002", "0003", "0004"):
            conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:rev)"), {"rev": rev})
    migrate.upgrade(store.engine)


def deliver(store: Store, notice, channel: str, targets: list[str]) -> None:
    store.plan_deliveries(notice.id, notice.version, "publish", {channel: targets})
    for t in targets:
        store.record_delivery(notice.id, notice.version, "publish", DeliveryResult(channel, t, True, f"sent to {t}"))
    store.settle(notice.id, notice.version)


def test_every_old_path_has_a_documented_place_on_the_2025_map():
    paths = old_paths()
    assert len(paths) == 19  # province, 10 districts, 8 communes
    for path in paths:
        hit = remap(path)
        assert hit.known, path
        assert all(p.count("/") <= 1 for p in hit.audience) and hit.place in hit.audience, path
    assert remap("cao-bang/hoa-an/hong-viet").audience == ("cao-bang/hoa-an",)
    assert remap("cao-bang/hoa-an/be-trieu").audience == ("cao-bang/hoa-an",)  # in thị trấn Nước Hai since 2020
    assert remap("cao-bang/hoa-an/nam-tuan").audience == ("cao-bang/nam-tuan",)
    assert remap("cao-bang/ha-quang/xuan-hoa").place == "cao-bang/truong-ha"  # the unit carrying its code 01392
    district = remap("cao-bang/hoa-an")
    assert district.audience == ("cao-bang/hoa-an", "cao-bang/nam-tuan", "cao-bang/nguyen-hue", "cao-bang/bach-dang")
    assert district.place == "cao-bang/hoa-an"  # the seat, thị trấn Nước Hai (01654), is in xã Hòa An
    assert not remap("cao-bang/atlantis").known and not remap("ha-noi/ba-dinh").known


def test_the_districts_successors_partition_the_56_units_by_seat_code():
    [cao_bang] = mappings()
    successors = [c for d in cao_bang.districts.values() for c in d["successors"]]
    assert sorted(successors) == sorted(u.code for u in cao_bang.province.communes) and len(successors) == 56
    assert all(d["seat"] in d["successors"] for d in cao_bang.districts.values())


def test_a_store_made_with_the_old_areas_moves_to_the_new_units(store, cfg, monkeypatch):
    # notices as editors targeted them under the old tree
    commune = approve(store, "urn:hong-viet", ["cao-bang/hoa-an/hong-viet"], title="Lịch tiếp công dân xã Hồng Việt")
    district = approve(store, "urn:hoa-an", ["cao-bang/hoa-an"], title="Cảnh báo lũ quét huyện Hòa An")
    two = approve(
        store, "urn:two", ["cao-bang/hoa-an/hong-viet", "cao-bang/hoa-an/be-trieu", "cao-bang"], title="Lịch tiêm phòng"
    )
    stray = approve(store, "urn:stray", ["cao-bang/atlantis/x", "cao-bang/trung-khanh/dam-thuy"], title="Lạc địa bàn")
    gone = approve(store, "urn:gone", ["cao-bang/ha-quang/xuan-hoa"], title="Đã thu hồi")
    for n, targets in (
        (commune, ["cao-bang/hoa-an/hong-viet"]),
        (district, ["cao-bang/hoa-an"]),
        (two, ["cao-bang/hoa-an/hong-viet", "cao-bang/hoa-an/be-trieu", "cao-bang"]),
        (gone, ["cao-bang/ha-quang/xuan-hoa"]),
    ):
        deliver(store, n, "boards", targets)
        deliver(store, n, "website", ["site"])
    deliver(store, commune, "print", ["cao-bang/hoa-an/hong-viet"])
    store.transition(gone.id, "withdraw", "Nông Thị Hoa")
    add_board(store, "hong-viet-ubnd", "cao-bang/hoa-an/hong-viet", "Nhà văn hóa xã Hồng Việt")
    add_board(store, "hoa-an-ubnd", "cao-bang/hoa-an", "UBND huyện Hòa An")
    add_board(store, "lac", "cao-bang/atlantis/x")
    record_reports(
        store, [Report("hong-viet-ubnd", "ack", None, notice=commune.id, version=1, area="cao-bang/hoa-an/hong-viet")]
    )
    history = {n.id: store.actions(n.id) for n in (commune, district, gone)}

    rerun_0010(store)

    # notices: a commune's notice goes to its 2025 unit; a district's to every successor (nobody loses it)
    assert store.notice(commune.id).areas == ["cao-bang/hoa-an"]
    assert store.notice(district.id).areas == [
        "cao-bang/hoa-an",
        "cao-bang/nam-tuan",
        "cao-bang/nguyen-hue",
        "cao-bang/bach-dang",
    ]
    assert store.notice(two.id).areas == ["cao-bang/hoa-an", "cao-bang"]  # two old communes, one unit
    assert store.notice(stray.id).areas == ["cao-bang/atlantis/x", "cao-bang/dam-thuy"]  # unknown: kept, reported
    assert store.notice(gone.id).areas == ["cao-bang/truong-ha"]
    # history is kept: every action and the titles, the withdrawn notice stays withdrawn
    for nid, actions in history.items():
        assert store.actions(nid) == actions
    assert store.notice(gone.id).state == NoticeState.WITHDRAWN
    assert store.notice(commune.id).title == "Lịch tiếp công dân xã Hồng Việt"

    # boards and their acknowledgements: the place where the board stands
    assert {b.id: b.area for b in boards(store)} == {
        "hong-viet-ubnd": "cao-bang/hoa-an",
        "hoa-an-ubnd": "cao-bang/hoa-an",
        "lac": "cao-bang/atlantis/x",
    }
    with store.session() as s:
        assert s.scalars(select(BoardAckRow.area)).all() == ["cao-bang/hoa-an"]

    # deliveries: a live notice's moved targets are pending again (the next dispatch publishes on the new
    # topic), so it is partially published until then; the website delivery is untouched
    def rows(n):
        return {(d.channel, d.target): d.status for d in store.deliveries(n.id)}

    assert rows(commune) == {
        ("boards", "cao-bang/hoa-an"): "pending",
        ("website", "site"): "delivered",
        ("print", "cao-bang/hoa-an"): "pending",
    }
    assert store.notice(commune.id).state == NoticeState.PARTIALLY_PUBLISHED
    # the district's topic is xã Hòa An's now (the same slug): delivered there; its other successors are due
    assert rows(district) == {
        ("boards", "cao-bang/hoa-an"): "delivered",
        ("boards", "cao-bang/nam-tuan"): "pending",
        ("boards", "cao-bang/nguyen-hue"): "pending",
        ("boards", "cao-bang/bach-dang"): "pending",
        ("website", "site"): "delivered",
    }
    assert store.notice(district.id).state == NoticeState.PARTIALLY_PUBLISHED
    assert rows(two) == {
        ("boards", "cao-bang/hoa-an"): "pending",
        ("boards", "cao-bang"): "delivered",
        ("website", "site"): "delivered",
    }  # hong-viet and be-trieu merged into one row
    moved = [d for d in store.deliveries(commune.id) if d.channel == "boards"][0]
    assert "was cao-bang/hoa-an/hong-viet" in moved.detail
    # a withdrawn notice's rows point at the new unit and keep their state (history, nothing to resend)
    assert ("boards", "cao-bang/truong-ha") in rows(gone)
    assert all(st == "delivered" for (ch, _), st in rows(gone).items() if ch == "boards")

    # what moved, and what could not be placed, is recorded, not dropped
    with store.session() as s:
        report = {
            (r.source, r.old_path): (list(r.new_paths), r.basis, r.rows) for r in s.scalars(select(AreaRenameRow))
        }
    assert report[("notice_versions.areas", "cao-bang/hoa-an/hong-viet")] == (["cao-bang/hoa-an"], "neighbour", 2)
    assert report[("notice_versions.areas", "cao-bang/hoa-an")][1:] == ("district", 1)
    assert report[("notice_versions.areas", "cao-bang/atlantis/x")] == ([], "unknown", 1)
    assert report[("boards.area", "cao-bang/atlantis/x")] == ([], "unknown", 1)
    assert report[("boards.area", "cao-bang/hoa-an")] == (["cao-bang/hoa-an"], "district", 1)
    assert report[("deliveries.print", "cao-bang/hoa-an/hong-viet")] == (["cao-bang/hoa-an"], "neighbour", 1)
    assert not any(old == "cao-bang" for _, old in report)  # the province is the same on both maps

    # and the operator sees it: `loa areas --migration`
    import json

    from typer.testing import CliRunner

    from loa.app.cli import app

    for name, value in (
        ("LOA_CONFIG_DIR", cfg.config_dir),
        ("LOA_HOME", cfg.home),
        ("LOA_DATABASE_URL", store.engine.url.render_as_string(hide_password=False)),
    ):
        monkeypatch.setenv(name, str(value))
    shown = json.loads(CliRunner().invoke(app, ["areas", "--migration", "--json"]).output)
    assert {
        "source": "notice_versions.areas",
        "old_path": "cao-bang/atlantis/x",
        "new_paths": [],
        "basis": "unknown",
        "rows": 1,
    } in shown and len(shown) == len(report)
    table = CliRunner().invoke(app, ["areas", "--migration"], env={"COLUMNS": "80"}).output
    assert "unknown: left as it was" in table and all(len(line) <= 80 for line in table.splitlines())


def test_a_new_store_records_no_rename(store):
    n = approve(store, "urn:new", ["cao-bang/thuc-phan"])
    with store.session() as s:
        assert s.scalars(select(AreaRenameRow)).all() == []
    assert store.notice(n.id).areas == ["cao-bang/thuc-phan"]


@pytest.mark.parametrize("args", [["areas", "--json"], ["areas"], ["areas", "--all"]])
def test_loa_areas_lists_the_province_and_its_communes_with_codes(cfg, args, monkeypatch):
    import json

    from typer.testing import CliRunner

    from loa.app.cli import app

    monkeypatch.setenv("LOA_CONFIG_DIR", str(cfg.config_dir))
    monkeypatch.setenv("LOA_HOME", str(cfg.home))
    result = CliRunner().invoke(app, args, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    if "--json" in args:
        data = json.loads(result.output)
        assert data["schema"] == "loa.areas" and data["map"]["source"] == "vietnam-provinces"
        assert data["province"] == {"path": "cao-bang", "code": 4, "name": "tỉnh Cao Bằng", "kind": "tỉnh"}
        assert data["communes_in_province"] == 56 and len(data["communes"]) == 12
        first = data["communes"][0]
        assert first == {
            "path": "cao-bang/thuc-phan",
            "code": 1273,
            "name": "phường Thục Phán",
            "kind": "phường",
            "in_use": True,
            "groupings": ["khu-vuc-trung-tam"],
        }
        assert {g["slug"]: len(g["communes"]) for g in data["groupings"]} == {
            "khu-vuc-hoa-an": 4,
            "khu-vuc-trung-tam": 3,
        }
        return
    lines = result.output.splitlines()
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    assert lines[0] == "tỉnh Cao Bằng (code 4): 12 of 56 communes in use"
    assert any(line.startswith("1273") and "phường Thục Phán" in line for line in lines)
    assert sum(1 for line in lines if line[:4].isdigit()) == (56 if "--all" in args else 12)


def test_the_reference_board_page_reads_a_pre_2025_path_as_its_2025_commune(cfg):
    from loa.app.web_boards import page_settings

    renamed = page_settings(cfg)["renamed"]
    assert renamed["cao-bang/hoa-an/hong-viet"] == "cao-bang/hoa-an"
    assert renamed["cao-bang/thanh-pho-cao-bang/hop-giang"] == "cao-bang/thuc-phan"
    assert all(new.count("/") == 1 for new in renamed.values())
    script = (Path(__file__).resolve().parents[2] / "loa/app/static/board/board.js").read_text(encoding="utf-8")
    assert '(config.renamed || {})[params.get("area")]' in script  # the page applies it before subscribing


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    """A database with no tables yet, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    from sqlalchemy import create_engine

    from tests.conftest import _postgres_database

    admin, name, url = _postgres_database()
    yield url
    create_engine(url).dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_a_store_from_before_the_map_and_full_text_reaches_every_head(empty_url):
    """A store made before both 0010 (the 2025 map) and 0021_fulltext (article text), two heads built on
    earlier revisions: Loa opens it, applies both, and the old board path moves (a fresh store reaching every
    head is test_store.py::test_fast_head_check_agrees_with_alembic)."""
    from alembic import command
    from sqlalchemy import create_engine, inspect

    engine = create_engine(empty_url)
    with engine.begin() as conn:
        for rev in ("0002", "0003", "0004"):  # what a deployment before issue 15 and full text had
            command.upgrade(migrate.alembic_config(conn), rev)
        conn.execute(
            text(
                "INSERT INTO boards (id, area, name, state, created_at) VALUES "
                "('hong-viet-ubnd', 'cao-bang/hoa-an/hong-viet', 'UBND xã Hồng Việt', 'unknown', "
                "'2025-03-01 08:00:00')"
            )
        )
    engine.dispose()
    assert migrate.current(create_engine(empty_url)) == {"0002", "0003", "0004"}

    store = Store.open(empty_url)
    assert migrate.heads() == {"0010", "0016_cap", "0022_speakers"} == migrate.current(store.engine)
    columns = {c["name"] for c in inspect(store.engine).get_columns("document_versions")}
    assert {"body_html", "article", "warnings"} <= columns
    assert {b.id: b.area for b in boards(store)} == {"hong-viet-ubnd": "cao-bang/hoa-an"}
    store.engine.dispose()
