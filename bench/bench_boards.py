"""Boards at scale: 1,000 simulated boards on Loa's own Mosquitto (auth + per-board ACL), in several processes.

Measured in the same run, against the same boards, rounds interleaved:
  raw     a plain paho QoS-1 publish of a same-size payload to the province topic → every board has it
  loa     Boards.dispatch of an approved, signed province-wide notice (connect, key check, sign, publish,
          PUBACK) → every board has it, boards only receiving (the same board-side work as raw)
  loa+ack the same while every board verifies the Ed25519 signature and acks at once (the real protocol;
          1,000 simulated boards share this machine's 2 cores with the broker and Loa, so their
          verifying and acking slows the fan-out more than real boards, each with its own CPU, would)
  acks    approve → all 1,000 acks in Loa's store (through Loa's board listener, as under `loa run`)
Goal (issue 5): every board within 3 s of approval; Loa's publish→received within 1.5× the raw fan-out.

    .venv/bin/python bench/bench_boards.py [--boards 1000] [--procs 4] [--rounds 15]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import secrets
import selectors
import shutil
import socket
import sys
import tempfile
import threading
import time
from datetime import UTC
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


# --- a process of simulated boards (one selector loop drives all its MQTT clients) ----------------


def boards_process(accounts, host, port, prefix, out, ready, stop, verify_and_ack):
    import paho.mqtt.client as mqtt

    from loa.board_protocol import ack_payload, ack_topic, board_subscriptions, key_topic
    from loa.signing import verify

    sel = selectors.DefaultSelector()
    clients, state = [], {"subscribed": 0, "key": None}
    # verifying and acking wait until every socket that is ready has been read, so one board's work
    # does not delay the next board's receive timestamp (real boards each have their own CPU)
    work: list = []

    def make(board_id, password, area):
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=board_id, protocol=mqtt.MQTTv5)
        c.username_pw_set(board_id, password)

        def on_connect(client, _u, _f, rc, _p):
            if rc.is_failure:
                out.put(("refused", board_id, str(rc)))
                return
            client.subscribe([(key_topic(prefix), 1)] + [(t, 1) for t in board_subscriptions(prefix, area)])

        def on_subscribe(*_a):
            state["subscribed"] += 1

        def on_message(client, _u, msg):
            now = time.time()
            if msg.topic == key_topic(prefix):
                state["key"] = json.loads(msg.payload)["public_key"]
                return
            if not msg.payload:
                return
            work.append((client, board_id, msg.payload, now))

        def process(client, board_id, payload, now):
            doc = json.loads(payload)
            if "raw" in doc:
                out.put(("raw", board_id, doc["raw"], now))
                return
            if not verify_and_ack.value:
                out.put(("loa", board_id, doc["id"], now, True))
                return
            ok = state["key"] is not None and verify(doc, state["key"])  # a real board verifies before showing
            out.put(("loa", board_id, doc["id"], now, ok))
            if ok:
                client.publish(ack_topic(prefix, board_id), json.dumps(ack_payload(board_id, doc)), qos=1)

        c.process = process

        c.on_connect, c.on_subscribe, c.on_message = on_connect, on_subscribe, on_message
        c.connect(host, port, keepalive=120)
        sel.register(c.socket(), selectors.EVENT_READ, c)
        clients.append(c)

    for account in accounts:
        make(*account)
        for key, _ in sel.select(0):
            key.data.loop_read()
    signalled, last_misc = False, time.monotonic()
    while not stop.is_set():
        for key, _ in sel.select(0.02):
            key.data.loop_read()
        while work:
            client, *job = work.pop(0)
            client.process(client, *job)
        for c in clients:
            if c.want_write():
                c.loop_write()
        if time.monotonic() - last_misc > 1:
            for c in clients:
                c.loop_misc()
            last_misc = time.monotonic()
        if not signalled and state["subscribed"] == len(clients):
            ready.release()
            signalled = True
    for c in clients:
        c.disconnect()


# --- the run ---------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--boards", type=int, default=1000)
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    started = time.monotonic()

    import paho.mqtt.client as mqtt
    import yaml
    from sqlalchemy import func, select

    from channels.board_listener import BoardListener
    from channels.boards import Boards
    from loa.app import broker
    from loa.config import Env, load_config
    from loa.model import Classification, DocumentMeta, Entry
    from loa.store import Store
    from loa.store.boards import add_board
    from loa.store.schema import BoardAckRow

    tmp = Path(tempfile.mkdtemp(prefix="loa-bench-boards-"))
    shutil.copytree(ROOT / "config", tmp / "config")
    main_cfg = yaml.safe_load((tmp / "config" / "loa.yaml").read_text())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    main_cfg["ports"]["mqtt"] = port
    (tmp / "config" / "loa.yaml").write_text(yaml.safe_dump(main_cfg, allow_unicode=True))
    cfg = load_config(Env(home=tmp / "home", config_dir=tmp / "config"))
    store = Store.open(cfg.database_url)

    # boards spread over every commune and every district without communes
    leaves = [p for p in cfg.areas if not any(q.startswith(p + "/") for q in cfg.areas)]
    accounts = [(f"bench-{i:04d}", secrets.token_urlsafe(12), leaves[i % len(leaves)]) for i in range(args.boards)]
    for board_id, _, area in accounts:
        add_board(store, board_id, area)
    proc = broker.start(cfg)
    t = time.monotonic()
    broker.set_device_accounts(cfg, [(b, p) for b, p, _ in accounts])
    time.sleep(0.5)  # SIGHUP applied on the broker's next loop turn
    print(
        f"{args.boards} board accounts hashed and loaded in {time.monotonic() - t:.1f} s; "
        f"{len(leaves)} areas; Mosquitto 2.0 on 127.0.0.1:{port}"
    )

    ctx = mp.get_context("fork")  # before any thread of ours exists: the boards' processes fork cleanly
    out, ready, stop, verify_and_ack = ctx.Queue(), ctx.Semaphore(0), ctx.Event(), ctx.Value("b", 0)
    share = [accounts[i :: args.procs] for i in range(args.procs)]
    procs = [
        ctx.Process(
            target=boards_process,
            args=(share[i], cfg.mqtt.host, port, cfg.mqtt_topic_prefix, out, ready, stop, verify_and_ack),
            daemon=True,
        )
        for i in range(args.procs)
    ]
    t = time.monotonic()
    for p in procs:
        p.start()
    for _ in procs:
        if not ready.acquire(timeout=60):
            print("boards did not all connect and subscribe within 60 s", file=sys.stderr)
            return 1
    print(f"{args.boards} boards connected and subscribed in {args.procs} processes in {time.monotonic() - t:.1f} s")
    listener = BoardListener(cfg, store, client_id="bench-listener").start().wait_ready()

    received: dict[tuple, dict[str, float]] = {}
    refused, lock = [], threading.Lock()

    def collect():
        while True:
            item = out.get()
            if item is None:
                return
            if item[0] == "refused":
                refused.append(item)
                continue
            kind, board, ident, at = item[:4]
            if kind == "loa" and not item[4]:
                refused.append(("unverified", board, ident))
            with lock:
                received.setdefault((kind, ident), {})[board] = at

    collector = threading.Thread(target=collect, daemon=True)
    collector.start()

    def wait_all(key, timeout=10.0) -> dict[str, float]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with lock:
                got = received.get(key, {})
                if len(got) >= args.boards:
                    return dict(got)
            time.sleep(0.005)
        with lock:
            return dict(received.get(key, {}))

    boards_channel = Boards(cfg, store)
    # when Boards.dispatch hands the notice to paho: splits its latency into Loa's work and the fan-out
    from channels import mqtt as loa_mqtt

    sent_at: dict[str, float] = {}
    original_send = loa_mqtt.Publisher.send

    def timed_send(self, topic, payload, **kw):
        sent_at[topic] = time.time()
        return original_send(self, topic, payload, **kw)

    loa_mqtt.Publisher.send = timed_send
    province = "cao-bang"
    feed = "bench://boards"

    def notice(i):
        import hashlib
        from datetime import datetime

        title = f"Thông báo thử tải số {i}: lịch tiếp công dân và giải quyết thủ tục hành chính"
        body = "<p>" + "Người dân nộp hồ sơ trực tuyến qua Cổng dịch vụ công quốc gia. " * 6 + "</p>"
        e = Entry(
            identity=f"bench:{i}",
            title=title,
            summary_html=body,
            link=None,
            published=datetime.now(UTC),
            content_hash=hashlib.sha256(f"{i}".encode()).hexdigest(),
        )
        change = store.record_entry(feed, e, Classification(True, 1.0, meta=DocumentMeta(number="3627/KH-UBND")))
        text = f"{title}. " + "Người dân nộp hồ sơ trực tuyến qua Cổng dịch vụ công quốc gia. " * 6
        return store.draft_notice(change.document_version_id, areas=[province], variants={"boards": text[:600]})

    # raw baseline: plain paho QoS 1 on a long-lived connection, the same message shape as Loa's
    # (topic, payload size, retained, content type, payload format and schema user property): paho's
    # pure-Python decoding of MQTT v5 properties is a real per-board cost, so both pay it
    sample = json.dumps(
        boards_channel.payload(store.transition(notice(0).id, "approve", "bench"), province), ensure_ascii=False
    ).encode()
    raw = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-raw", protocol=mqtt.MQTTv5)
    raw.username_pw_set(cfg.mqtt.username, cfg.mqtt.password)
    raw.connect(cfg.mqtt.host, port)
    raw.loop_start()
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    from channels.boards import USER_PROPERTIES
    from loa.board_protocol import CONTENT_TYPE

    raw_props = Properties(PacketTypes.PUBLISH)
    raw_props.ContentType, raw_props.PayloadFormatIndicator = CONTENT_TYPE, 1
    raw_props.UserProperty = list(USER_PROPERTIES.items())
    raw_board, raw_all = [], []
    quiet_board, quiet_all, publish_step, before_publish, fanout_board = [], [], [], [], []
    loa_board, loa_all, approve_step, acks_all = [], [], [], []
    for r in range(1, args.rounds + 1):
        # raw fan-out
        pad = json.dumps({"raw": r, "pad": ""})
        payload = json.dumps({"raw": r, "pad": "x" * max(0, len(sample) - len(pad))}).encode()
        t0 = time.time()
        raw.publish(
            f"{cfg.mqtt_topic_prefix}/areas/{province}/notices/raw{r}",
            payload,
            qos=1,
            retain=True,
            properties=raw_props,
        ).wait_for_publish(5)
        got = wait_all(("raw", r))
        raw_board += [at - t0 for at in got.values()]
        raw_all.append(max(got.values()) - t0 if len(got) == args.boards else float("inf"))

        # Loa's publish step: Boards.dispatch (what the dispatch task runs); boards only receive
        verify_and_ack.value = 0
        n = store.transition(notice(1000 + r).id, "approve", "bench")
        t0 = time.time()
        results = boards_channel.dispatch(n, [province])
        publish_step.append(time.time() - t0)
        assert all(x.ok for x in results), results
        got = wait_all(("loa", n.id))
        t_pub = sent_at[f"{cfg.mqtt_topic_prefix}/areas/{province}/notices/{n.id}"]
        before_publish.append(t_pub - t0)
        fanout_board += [at - t_pub for at in got.values()]
        quiet_board += [at - t0 for at in got.values()]
        quiet_all.append(max(got.values()) - t0 if len(got) == args.boards else float("inf"))
        time.sleep(0.1)

        # the whole protocol: approve, dispatch, every board verifies and acks, acks reach the store
        verify_and_ack.value = 1
        n = notice(r)
        t_approve = time.time()
        n = store.transition(n.id, "approve", "bench")
        t0 = time.time()
        approve_step.append(t0 - t_approve)
        results = boards_channel.dispatch(n, [province])
        assert all(x.ok for x in results), results
        got = wait_all(("loa", n.id))
        loa_board += [at - t0 for at in got.values()]
        loa_all.append(max(got.values()) - t_approve if len(got) == args.boards else float("inf"))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with store.session() as s:
                count = s.scalar(select(func.count()).select_from(BoardAckRow).where(BoardAckRow.notice_id == n.id))
            if count >= args.boards:
                acks_all.append(time.time() - t_approve)
                break
            time.sleep(0.02)
        else:
            acks_all.append(float("inf"))
        time.sleep(0.2)

    stop.set()
    raw.disconnect()
    raw.loop_stop()
    for p in procs:
        p.join(10)
    out.put(None)
    listener.stop()
    proc.terminate()
    proc.wait(10)
    shutil.rmtree(tmp, ignore_errors=True)

    ms = lambda v: f"{v * 1000:7.1f} ms"  # noqa: E731
    print(
        f"\n{args.rounds} rounds, {args.boards} boards, payload {len(sample)} bytes, {len(refused)} refused/unverified"
    )
    ratio = lambda a, b, q: f"{pct(a, q) / pct(b, q):9.2f}x"  # noqa: E731
    print(f"{'':50} {'p50':>10} {'p99':>10}")
    print(f"{'raw publish → each board received':50} {ms(pct(raw_board, 50))} {ms(pct(raw_board, 99))}")
    print(f"{'raw publish → all boards received':50} {ms(pct(raw_all, 50))} {ms(pct(raw_all, 99))}")
    print(f"{'Loa Boards.dispatch → each board received':50} {ms(pct(quiet_board, 50))} {ms(pct(quiet_board, 99))}")
    print(f"{'Loa Boards.dispatch → all boards received':50} {ms(pct(quiet_all, 50))} {ms(pct(quiet_all, 99))}")
    print(
        f"{'  ratio Loa / raw, all boards received':50} {ratio(quiet_all, raw_all, 50)} "
        f"{ratio(quiet_all, raw_all, 99)}   (goal ≤ 1.5x)"
    )
    print(
        f"{'  ratio Loa / raw, each board':50} {ratio(quiet_board, raw_board, 50)} {ratio(quiet_board, raw_board, 99)}"
    )
    print(
        f"{'  the Boards.dispatch call itself (to PUBACK)':50} {ms(pct(publish_step, 50))} {ms(pct(publish_step, 99))}"
    )
    print(
        f"{'  Loa before the notice PUBLISH (connect, sign…)':50} {ms(pct(before_publish, 50))} "
        f"{ms(pct(before_publish, 99))}"
    )
    print(f"{'  Loa notice PUBLISH → each board received':50} {ms(pct(fanout_board, 50))} {ms(pct(fanout_board, 99))}")
    print("with every board verifying the signature and acking:")
    print(f"{'Loa Boards.dispatch → each board received':50} {ms(pct(loa_board, 50))} {ms(pct(loa_board, 99))}")
    print(f"{'Loa approve → all boards received':50} {ms(pct(loa_all, 50))} {ms(pct(loa_all, 99))}   (goal ≤ 3 s)")
    print(f"{'  of which approve (store transition)':50} {ms(pct(approve_step, 50))} {ms(pct(approve_step, 99))}")
    print(f"{'Loa approve → all acks in the store':50} {ms(pct(acks_all, 50))} {ms(pct(acks_all, 99))}")
    print(f"total bench time {time.monotonic() - started:.0f} s")
    return 0 if not refused and max(loa_all) <= 3 else 1


if __name__ == "__main__":
    sys.exit(main())
