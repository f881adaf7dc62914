/*
 * The live dashboard served at GET /ui: one self-contained page (HTML, CSS and script inline, no
 * CDN, nothing built at run time). It reads the JSON API with fetch and follows /v1/events as a
 * fetch stream (not EventSource, which cannot send a bearer token), so it works with and without
 * --http-token: on a 401 it asks for the token and keeps it in sessionStorage (or takes it from
 * the URL fragment, #token=..., which never reaches the server or its logs).
 *
 *   /v1/members once, then every member event applied as it streams in (and a full refresh every 10 s)
 *   /v1/health, /v1/stats, /v1/ring, /v1/heartbeats polled every second
 *
 * The markup carries data-member / data-state attributes so a test (or a script) can read it.
 * The script avoids backticks and dollar-brace so it can live in this template literal.
 */
export const DASHBOARD_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Lifeline</title>
<style>
  :root { --bg:#f6f7f9; --card:#fff; --ink:#1d2330; --mute:#687083; --line:#e3e6ec;
          --alive:#1f9d55; --suspect:#d69e2e; --dead:#d64545; --left:#718096; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; background:var(--bg); color:var(--ink); }
  header { display:flex; flex-wrap:wrap; gap:8px 16px; align-items:center; padding:12px 16px; background:#1d2330; color:#fff; }
  header h1 { font-size:18px; margin:0; }
  header .meta { color:#c3c9d6; font-size:13px; }
  #conn { margin-left:auto; font-size:13px; padding:2px 8px; border-radius:10px; background:#4a5568; }
  #conn.live { background:var(--alive); }
  main { display:grid; gap:12px; padding:12px; grid-template-columns:repeat(auto-fit,minmax(340px,1fr)); }
  section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px; min-width:0; }
  section.wide { grid-column:1/-1; }
  h2 { font-size:14px; margin:0 0 8px; text-transform:uppercase; letter-spacing:.04em; color:var(--mute); }
  table { width:100%; border-collapse:collapse; }
  th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
  th { font-weight:600; color:var(--mute); font-size:12px; }
  td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
  .scroll { overflow-x:auto; }
  .badge { display:inline-block; padding:1px 8px; border-radius:10px; color:#fff; font-size:12px; font-weight:600; }
  .alive, .up { background:var(--alive); } .suspect { background:var(--suspect); }
  .dead, .down { background:var(--dead); } .left { background:var(--left); }
  .summary { display:flex; flex-wrap:wrap; gap:6px; margin-bottom:8px; }
  .tags { color:var(--mute); font-size:12px; word-break:break-all; }
  #timeline { list-style:none; margin:0; padding:0; max-height:320px; overflow-y:auto; }
  #timeline li { display:flex; gap:8px; padding:4px 0; border-bottom:1px solid var(--line); align-items:baseline; }
  #timeline time { color:var(--mute); font-variant-numeric:tabular-nums; font-size:12px; flex:none; }
  .counters { display:grid; grid-template-columns:repeat(auto-fill,minmax(140px,1fr)); gap:8px; }
  .counter { border:1px solid var(--line); border-radius:6px; padding:8px; }
  .counter b { display:block; font-size:20px; font-variant-numeric:tabular-nums; }
  .counter span { color:var(--mute); font-size:12px; }
  .bar { height:10px; background:#4c6ef5; border-radius:5px; min-width:2px; }
  .empty { color:var(--mute); }
  form#auth { display:none; gap:8px; padding:12px 16px; background:#fff3cd; flex-wrap:wrap; }
  form#auth input { flex:1; min-width:200px; padding:6px; }
  @media (max-width:480px) { main { padding:6px; gap:8px; grid-template-columns:1fr; } td, th { padding:4px; } }
</style>
</head>
<body>
<header>
  <h1>Lifeline</h1>
  <span class="meta" id="self">connecting…</span>
  <span class="meta" id="health"></span>
  <span id="conn">offline</span>
</header>
<form id="auth"><label for="token">This agent needs its API token:</label>
  <input id="token" type="password" autocomplete="off" placeholder="bearer token"><button>Use token</button></form>
<main>
  <section class="wide">
    <h2>Members</h2>
    <div class="summary" id="summary"></div>
    <div class="scroll"><table>
      <thead><tr><th>Name</th><th>State</th><th>Address</th><th class="num">Inc.</th><th class="num">Ring</th><th>Tags</th></tr></thead>
      <tbody id="members"></tbody>
    </table></div>
  </section>
  <section>
    <h2>Timeline</h2>
    <ul id="timeline"><li class="empty">no events yet</li></ul>
  </section>
  <section>
    <h2>Counters</h2>
    <div class="counters" id="counters"></div>
  </section>
  <section>
    <h2>Ring ownership</h2>
    <table><tbody id="ring"></tbody></table>
  </section>
  <section>
    <h2>Plain-heartbeat devices</h2>
    <div class="scroll"><table>
      <thead><tr><th>Device</th><th>State</th><th class="num">Phi</th><th class="num">Last beat</th></tr></thead>
      <tbody id="devices"></tbody>
    </table></div>
  </section>
</main>
<script>
"use strict";
(function () {
  var STATE_LABEL = { alive: "alive", suspect: "suspect", dead: "failed", left: "left" };
  var EVENT_LABEL = { "member:up": "joined", "member:suspect": "suspected", "member:alive": "alive again",
    "member:updated": "updated", "heartbeat:up": "device up", "heartbeat:down": "device down" };
  var TIMELINE_MAX = 200;
  var COUNTERS = [
    ["probes", "probes", function (s) { return s.core.probes; }],
    ["probe-failures", "failed probes", function (s) { return s.core.probeFailures; }],
    ["suspicions", "suspicions", function (s) { return s.core.suspicions; }],
    ["refutations", "refutations", function (s) { return s.core.refutations; }],
    ["deaths", "declared dead", function (s) { return s.core.deaths; }],
    ["packets-in", "packets in", function (s) { return s.driver.packetsIn; }],
    ["packets-out", "packets out", function (s) { return s.driver.packetsOut; }],
    ["bytes-in", "bytes in", function (s) { return s.driver.bytesIn; }],
    ["bytes-out", "bytes out", function (s) { return s.driver.bytesOut; }],
    ["decode-errors", "bad datagrams", function (s) { return s.driver.decodeErrors; }]
  ];
  var members = new Map();
  var ownership = {};
  var previousStats = null;
  var token = readToken();
  var authWanted = false;

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === "text") node.textContent = attrs[k]; else node.setAttribute(k, attrs[k]);
    }
    (children || []).forEach(function (c) { node.appendChild(c); });
    return node;
  }
  function readToken() {
    var m = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
    if (m) {
      sessionStorage.setItem("lifeline-token", decodeURIComponent(m[1]));
      history.replaceState(null, "", location.pathname);
    }
    return sessionStorage.getItem("lifeline-token") || "";
  }
  function headers() { return token ? { authorization: "Bearer " + token } : {}; }
  function needToken() {
    authWanted = true;
    $("auth").style.display = "flex";
    setConn(false, "token needed");
  }
  $("auth").addEventListener("submit", function (e) {
    e.preventDefault();
    token = $("token").value.trim();
    sessionStorage.setItem("lifeline-token", token);
    $("auth").style.display = "none";
    authWanted = false;
    refreshMembers();
  });
  function getJson(path) {
    return fetch(path, { headers: headers(), cache: "no-store" }).then(function (r) {
      if (r.status === 401) { needToken(); throw new Error("401"); }
      return r.json();
    });
  }
  function setConn(live, text) {
    $("conn").textContent = text;
    $("conn").className = live ? "live" : "";
  }
  function fmt(n) {
    if (n >= 1e9) return (n / 1e9).toFixed(1) + " G";
    if (n >= 1e6) return (n / 1e6).toFixed(1) + " M";
    if (n >= 1e4) return (n / 1e3).toFixed(1) + " k";
    return String(n);
  }
  function clock(date) { return date.toTimeString().slice(0, 8); }

  function renderMembers() {
    var rows = Array.from(members.values()).sort(function (a, b) { return a.name < b.name ? -1 : 1; });
    var counts = { alive: 0, suspect: 0, dead: 0, left: 0 };
    var body = $("members");
    body.textContent = "";
    rows.forEach(function (m) {
      counts[m.state] = (counts[m.state] || 0) + 1;
      var tags = Object.keys(m.tags || {}).map(function (k) { return k + "=" + m.tags[k]; }).join(" ");
      var share = ownership[m.name];
      body.appendChild(el("tr", { "data-member": m.name, "data-state": m.state }, [
        el("td", { text: m.name }),
        el("td", {}, [el("span", { class: "badge " + m.state, text: STATE_LABEL[m.state] || m.state })]),
        el("td", { text: m.addr + ":" + m.port }),
        el("td", { class: "num", text: String(m.incarnation) }),
        el("td", { class: "num", text: share === undefined ? "–" : (share * 100).toFixed(1) + " %" }),
        el("td", { class: "tags", text: tags })
      ]));
    });
    if (rows.length === 0) body.appendChild(el("tr", {}, [el("td", { class: "empty", colspan: "6", text: "no members" })]));
    var summary = $("summary");
    summary.textContent = "";
    Object.keys(counts).forEach(function (state) {
      summary.appendChild(el("span", { class: "badge " + state, "data-count": state,
        text: counts[state] + " " + STATE_LABEL[state] }));
    });
  }

  function addTimeline(event) {
    var list = $("timeline");
    var empty = list.querySelector(".empty");
    if (empty) empty.remove();
    var who = event.member ? event.member.name : event.device ? event.device.name : "?";
    var what = event.type === "member:down" ? (event.reason === "left" ? "left" : "failed") : EVENT_LABEL[event.type] || event.type;
    var kind = event.type === "member:down" ? (event.reason === "left" ? "left" : "dead")
      : event.type === "member:suspect" ? "suspect" : event.type === "heartbeat:down" ? "down" : "alive";
    list.insertBefore(el("li", { "data-event": event.type, "data-member": who }, [
      el("time", { text: clock(event.time ? new Date(event.time) : new Date()) }),
      el("span", { class: "badge " + kind, text: what }),
      el("span", { text: who })
    ]), list.firstChild);
    while (list.children.length > TIMELINE_MAX) list.removeChild(list.lastChild);
  }

  function applyEvent(event) {
    if (event.member) {
      members.set(event.member.name, event.member);
      renderMembers();
    }
    if (event.type !== "member:updated") addTimeline(event);
  }

  function refreshMembers() {
    return getJson("/v1/members").then(function (list) {
      members = new Map(list.map(function (m) { return [m.name, m]; }));
      renderMembers();
    }).catch(function () {});
  }

  function renderCounters(stats) {
    var box = $("counters");
    box.textContent = "";
    var seconds = previousStats ? (stats.at - previousStats.at) / 1000 : 0;
    COUNTERS.forEach(function (c) {
      var value = c[2](stats);
      var rate = seconds > 0 ? (value - c[2](previousStats)) / seconds : null;
      box.appendChild(el("div", { class: "counter", "data-counter": c[0] }, [
        el("b", { text: fmt(value) }),
        el("span", { text: c[1] + (rate === null ? "" : " · " + fmt(Math.round(rate)) + "/s") })
      ]));
    });
    previousStats = stats;
  }

  function renderRing(ring) {
    ownership = ring.ownership || {};
    var body = $("ring");
    body.textContent = "";
    var names = Object.keys(ownership).sort();
    names.forEach(function (name) {
      var share = ownership[name];
      body.appendChild(el("tr", { "data-member": name }, [
        el("td", { text: name }),
        el("td", { style: "width:60%" }, [el("div", { class: "bar", style: "width:" + (share * 100).toFixed(1) + "%" })]),
        el("td", { class: "num", text: (share * 100).toFixed(1) + " %" })
      ]));
    });
    if (names.length === 0) body.appendChild(el("tr", {}, [el("td", { class: "empty", text: "ring is empty" })]));
  }

  function renderDevices(devices) {
    var body = $("devices");
    body.textContent = "";
    devices.forEach(function (d) {
      body.appendChild(el("tr", { "data-device": d.name, "data-state": d.state }, [
        el("td", { text: d.name }),
        el("td", {}, [el("span", { class: "badge " + d.state, text: d.state })]),
        el("td", { class: "num", text: d.phi === null || d.phi === undefined ? "–" : Number(d.phi).toFixed(2) }),
        el("td", { class: "num", text: d.lastBeatAgoMs === null || d.lastBeatAgoMs === undefined ? "–" : (d.lastBeatAgoMs / 1000).toFixed(1) + " s ago" })
      ]));
    });
    if (devices.length === 0) body.appendChild(el("tr", {}, [el("td", { class: "empty", colspan: "4", text: "no devices" })]));
  }

  function poll() {
    if (authWanted) return;
    getJson("/v1/stats").then(function (stats) {
      stats.at = Date.now();
      $("self").textContent = stats.name + " · incarnation " + stats.incarnation;
      $("health").textContent = "local health " + stats.awarenessScore + " · " + stats.state;
      renderCounters(stats);
    }).catch(function () {});
    getJson("/v1/ring").then(function (ring) { renderRing(ring); renderMembers(); }).catch(function () {});
    getJson("/v1/heartbeats").then(renderDevices).catch(function () {});
  }

  // Server-sent events over fetch, so the Authorization header can be sent.
  var backoffMs = 500;
  function follow() {
    if (authWanted) { setTimeout(follow, 1000); return; }
    fetch("/v1/events", { headers: headers(), cache: "no-store" }).then(function (response) {
      if (response.status === 401) { needToken(); throw new Error("401"); }
      if (!response.ok || !response.body) throw new Error("status " + response.status);
      setConn(true, "live");
      backoffMs = 500;
      refreshMembers();
      var reader = response.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) throw new Error("stream closed");
          buffer += decoder.decode(chunk.value, { stream: true });
          var end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            var block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            var data = block.split("\n").filter(function (l) { return l.indexOf("data: ") === 0; })
              .map(function (l) { return l.slice(6); }).join("\n");
            if (data) { try { applyEvent(JSON.parse(data)); } catch (e) { /* a malformed event is skipped */ } }
          }
          return pump();
        });
      }
      return pump();
    }).catch(function () {
      setConn(false, authWanted ? "token needed" : "reconnecting…");
      setTimeout(follow, backoffMs);
      backoffMs = Math.min(backoffMs * 2, 5000);
    });
  }

  follow();
  poll();
  setInterval(poll, 1000);
  setInterval(refreshMembers, 10000);
})();
</script>
</body>
</html>
`;
