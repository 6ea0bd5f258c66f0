// Loa's reference board (docs/boards.md): subscribes to its commune and its province,
// shows only notices whose Ed25519 signature verifies (WebCrypto), rotates them, lets an
// emergency take over the screen, acknowledges what it has shown and reports its status.
"use strict";

(() => {
  const config = JSON.parse(document.getElementById("loa-config").textContent);
  const params = new URLSearchParams(location.search);
  const boardId = params.get("board");
  // a board set up with a pre-2025 path (cao-bang/hoa-an/hong-viet) reads its 2025 commune's notices
  const area = (config.renamed || {})[params.get("area")] || params.get("area");
  const profile = params.get("profile") || config.default_profile;
  const rotateMs = 1000 * Math.max(3, Number(params.get("rotate")) || config.rotate_seconds);
  const relayUrl = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/mqtt`;
  // The board's password goes only to a broker the server allows (config/boards.yaml: the relay,
  // broker_ws_url, allowed_broker_urls): a link with ?broker=ws://elsewhere/ must not harvest it.
  const askedBroker = params.get("broker");
  const allowed = config.allowed_brokers || [""];
  const brokerAllowed = askedBroker === null || allowed.includes(askedBroker) ||
    (askedBroker === relayUrl && allowed.includes(""));
  const brokerUrl = askedBroker || config.broker_ws_url || relayUrl;
  const prefix = config.topic_prefix;
  const RANK = { emergency: 0, priority: 1, normal: 2 };
  const LABEL = { emergency: "KHẨN CẤP", priority: "Ưu tiên", normal: "Thông báo" };

  const $ = (id) => document.getElementById(id);
  const state = {
    key: null, keyId: null,
    raw: new Map(),        // topic -> payload text as received (re-verified when the key changes)
    notices: new Map(),    // topic -> verified notice
    rejected: new Map(),   // topic -> why it is not shown
    acked: new Set(),      // "id/version" already acknowledged
    shown: [],             // "id/version" in the order shown
    index: 0,
    client: null,
  };
  window.loaBoard = { state, boardId, area, profile, brokerUrl };

  // --- the protocol ---------------------------------------------------------------------------

  const statusTopic = `${prefix}/boards/${boardId}/status`;
  const ackTopic = `${prefix}/boards/${boardId}/ack`;
  const keyTopic = `${prefix}/keys/notices`;
  const chain = (path) => path.split("/").map((_, i, parts) => parts.slice(0, i + 1).join("/"));
  const subscriptions = () => chain(area).map((a) => `${prefix}/areas/${a}/notices/+`);

  // The canonical form Loa signs: the payload without "signature", object keys sorted,
  // no whitespace, strings as JSON.stringify writes them (docs/boards.md, "Signature").
  function canonical(value) {
    if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
    if (value !== null && typeof value === "object") {
      return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
    }
    return JSON.stringify(value);
  }

  const b64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const decoder = new TextDecoder("utf-8", { fatal: true });

  async function setKey(text) {
    const doc = JSON.parse(text);
    if (config.pinned_key && doc.key_id !== config.pinned_key.key_id) {
      throw new Error(`key ${doc.key_id} is not the pinned key ${config.pinned_key.key_id}`);
    }
    if (state.key && doc.key_id === state.keyId) return;  // Loa republishes the same key with each dispatch
    state.key = await crypto.subtle.importKey("raw", b64(doc.public_key), { name: "Ed25519" }, false, ["verify"]);
    state.keyId = doc.key_id;
    for (const [topic, raw] of state.raw) await accept(topic, raw);
  }

  function reject(topic, reason) {
    state.notices.delete(topic);
    state.rejected.set(topic, reason);
    console.warn(`rejected ${topic}: ${reason}`);
  }

  async function accept(topic, raw) {
    let notice;
    try { notice = JSON.parse(raw); } catch (e) { return reject(topic, "not JSON"); }
    if (!notice || notice.schema !== "loa.notice" || notice.schema_version !== 1) return reject(topic, "not a loa.notice v1");
    // the payload must be the one published for this topic (no replay onto another area or id)
    if (topic !== `${prefix}/areas/${notice.area}/notices/${notice.id}`) return reject(topic, "topic and payload disagree");
    const sig = notice.signature;
    if (!sig || sig.alg !== "Ed25519" || typeof sig.value !== "string") return reject(topic, "unsigned");
    if (sig.key_id !== state.keyId) return reject(topic, `signed with unknown key ${sig.key_id}`);
    const { signature, ...body } = notice;
    let ok = false;
    try {
      ok = await crypto.subtle.verify({ name: "Ed25519" }, state.key, b64(sig.value),
        new TextEncoder().encode(canonical(body)));
    } catch (e) { ok = false; }
    if (state.raw.get(topic) !== raw) return;  // replaced or withdrawn while we verified
    if (!ok) return reject(topic, "signature does not verify");
    state.rejected.delete(topic);
    state.notices.set(topic, notice);
  }

  async function onMessage(topic, payload) {
    if (topic === keyTopic) {
      try { await setKey(decoder.decode(payload)); } catch (e) { console.warn(`key rejected: ${e.message}`); }
      render();
      return;
    }
    if (payload.length === 0) {  // an empty retained message withdraws the notice
      state.raw.delete(topic);
      state.notices.delete(topic);
      state.rejected.delete(topic);
      render();
      return;
    }
    let raw;
    try { raw = decoder.decode(payload); } catch (e) { reject(topic, "not UTF-8"); render(); return; }
    state.raw.set(topic, raw);
    if (state.key) await accept(topic, raw);
    render();
  }

  // --- what is on screen ------------------------------------------------------------------------

  // Current notices: verified, published, not expired; one per notice id (the most local area wins),
  // emergencies first, then priority, then newest.
  function current() {
    const now = Date.now();
    const byId = new Map();
    for (const n of state.notices.values()) {
      if (n.expires_at && Date.parse(n.expires_at) <= now) continue;
      if (n.publish_at && Date.parse(n.publish_at) > now) continue;
      const seen = byId.get(n.id);
      if (!seen || n.area.length > seen.area.length) byId.set(n.id, n);
    }
    return [...byId.values()].sort((a, b) =>
      (RANK[a.priority] ?? 2) - (RANK[b.priority] ?? 2) || String(b.approved_at).localeCompare(String(a.approved_at)));
  }

  const viDate = (iso) => iso ? new Date(iso).toLocaleDateString("vi-VN", { timeZone: "Asia/Ho_Chi_Minh" }) : "";

  function show(n, position, total) {
    const emergency = n.priority === "emergency";
    document.body.classList.toggle("emergency", emergency);
    $("notice").dataset.id = n.id;
    $("notice").dataset.version = n.version;
    $("notice").dataset.priority = n.priority;
    const badge = $("notice-priority");
    badge.textContent = LABEL[n.priority] || LABEL.normal;
    badge.className = `priority priority-${n.priority}`;
    $("notice-area").textContent = capitalise(n.area_name || n.area);  // it starts the bar: "Xã Hồng Việt"
    $("notice-position").textContent = total > 1 ? `${position + 1}/${total}` : "";
    const lines = (n.lines && n.lines[profile]) || [n.body];
    const lead = leadLength(lines, n.title);
    $("notice-title").textContent = n.title;
    $("notice-title").hidden = lead > 0;  // the board text already begins with the title
    $("notice-lines").replaceChildren(...renderLines(lines, lead));
    const dates = [];
    if (n.document && n.document.number) dates.push(`Văn bản số ${n.document.number}`);
    if (n.approved_at) dates.push(`Duyệt ngày ${viDate(n.approved_at)}`);
    if (n.expires_at) dates.push(`Hiệu lực đến ${viDate(n.expires_at)}`);
    $("notice-dates").textContent = dates.join(" · ");
    $("notice-url").textContent = n.url;
    const qr = qrcode(0, "M");
    qr.addData(n.url);
    qr.make();
    $("qr").innerHTML = qr.createSvgTag({ cellSize: 4, margin: 2, scalable: true, alt: n.url });
    $("notice").hidden = false;
    $("empty").hidden = true;
    acknowledge(n);
  }

  function capitalise(text) {
    return text ? text.charAt(0).toUpperCase() + text.slice(1) : text;
  }

  // How many characters at the start of the lines are the title (Loa's board text begins with it).
  function leadLength(lines, title) {
    const lead = title.split(/\s+/).join(" ");
    const text = lines.join(" ");
    if (!text.startsWith(lead)) return 0;
    return lead.length + (text[lead.length] === "." ? 1 : 0);
  }

  // The profile's lines exactly as Loa wrapped them, the title part in bold.
  function renderLines(lines, lead) {
    let remaining = lead;
    return lines.map((line) => {
      const div = document.createElement("div");
      if (remaining > 0) {
        const strong = document.createElement("strong");
        strong.textContent = line.slice(0, remaining);
        div.append(strong, line.slice(remaining));
        remaining -= line.length + 1;
      } else {
        div.textContent = line;
      }
      return div;
    });
  }

  function render() {
    const notices = current();
    const emergencies = notices.filter((n) => n.priority === "emergency");
    const rotation = emergencies.length ? emergencies : notices;  // an emergency takes over the screen
    $("rejected").hidden = state.rejected.size === 0;
    $("rejected").textContent = `Đã từ chối ${state.rejected.size} thông báo không có chữ ký hợp lệ`;
    if (!rotation.length) {
      document.body.classList.remove("emergency");
      $("notice").hidden = true;
      $("empty").hidden = false;
      document.body.dataset.showing = "";
      return;
    }
    const n = rotation[state.index % rotation.length];
    show(n, state.index % rotation.length, rotation.length);
    document.body.dataset.showing = `${n.id}/${n.version}`;
  }

  function acknowledge(n) {
    const key = `${n.id}/${n.version}`;
    if (!state.shown.includes(key)) state.shown.push(key);
    if (state.acked.has(key) || !state.client || !state.client.connected) return;
    state.acked.add(key);
    state.client.publish(ackTopic, JSON.stringify({
      schema: "loa.board.ack", schema_version: 1, board: boardId,
      notice: n.id, version: n.version, area: n.area, shown_at: new Date().toISOString(),
    }), { qos: 1 });
  }

  // --- connection -----------------------------------------------------------------------------

  function password() {
    // kept per board *and* broker, so a stored password is only ever offered to the broker it was given for
    const storeKey = `loa-board:${boardId}@${brokerUrl}`;
    const fromHash = new URLSearchParams(location.hash.slice(1)).get("password");
    if (fromHash) {
      try { localStorage.setItem(storeKey, fromHash); } catch (e) { /* private mode: keep it in memory */ }
      history.replaceState(null, "", location.pathname + location.search);  // not left in the address bar
      return fromHash;
    }
    try {
      const legacy = `loa-board:${boardId}`;  // before 2026-12 passwords were kept per board only:
      const old = localStorage.getItem(legacy);  // move one to the configured broker's key, never elsewhere
      if (old && !askedBroker) { localStorage.setItem(storeKey, old); localStorage.removeItem(legacy); }
      return localStorage.getItem(storeKey);
    } catch (e) { return null; }
  }

  function status(value) {
    return JSON.stringify({
      schema: "loa.board.status", schema_version: 1, board: boardId, state: value,
      at: new Date().toISOString(), area, profile, software: "loa-reference-board/1",
    });
  }

  function setConnection(stateName, text) {
    document.body.dataset.state = stateName;
    $("connection").textContent = text;
  }

  function connect() {
    const client = mqtt.connect(brokerUrl, {
      protocolVersion: 5, clientId: boardId, username: boardId, password: password() || "",
      clean: true, keepalive: 30, reconnectPeriod: 3000, connectTimeout: 10000,
      will: {
        topic: statusTopic, qos: 1, retain: true,
        payload: JSON.stringify({ schema: "loa.board.status", schema_version: 1, board: boardId, state: "offline" }),
      },
    });
    state.client = client;
    client.on("connect", () => {
      setConnection("online", `Đã kết nối · bảng tin ${boardId}`);
      client.publish(statusTopic, status("online"), { qos: 1, retain: true });
      client.subscribe([keyTopic, ...subscriptions()], { qos: 1 });
      render();  // a notice shown while offline is acknowledged now
    });
    client.on("message", (topic, payload) => { onMessage(topic, payload); });
    client.on("error", (err) => {
      const refused = err && (err.code === 134 || err.code === 135 || err.code === 4 || err.code === 5);
      setConnection(refused ? "refused" : "offline",
        refused ? "Máy chủ từ chối bảng tin này: kiểm tra mã và mật khẩu" : `Lỗi kết nối: ${err.message}`);
    });
    client.on("offline", () => setConnection("offline", "Mất kết nối, đang thử lại…"));
    window.addEventListener("pagehide", () => {
      if (client.connected) client.publish(statusTopic, status("offline"), { qos: 1, retain: true });
      client.end(false);
    });
  }

  function tick() {
    const now = new Date();
    $("clock").textContent = now.toLocaleString("vi-VN", { timeZone: "Asia/Ho_Chi_Minh", hour: "2-digit",
      minute: "2-digit", day: "2-digit", month: "2-digit", year: "numeric" });
  }

  function start() {
    tick();
    setInterval(tick, 1000);
    if (!boardId || !area) {
      $("setup").hidden = false;
      setConnection("setup", "Chưa cấu hình");
      return;
    }
    $("area-name").textContent = capitalise((config.areas && config.areas[area]) || area);
    if (!brokerAllowed) {
      $("setup").hidden = false;
      setConnection("refused", "Địa chỉ máy chủ MQTT trong đường dẫn không được Loa cho phép: không kết nối");
      return;
    }
    $("empty").hidden = false;
    setConnection("connecting", "Đang kết nối…");
    connect();
    setInterval(() => { state.index += 1; render(); }, rotateMs);
  }

  start();
})();
