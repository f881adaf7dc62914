/*
 * The HTML report: one self-contained page (inline CSS and SVG, no scripts, no network) that
 * renders a SimReport — each node's view of the cluster size over time with the faults drawn
 * on the same time axis (partitions and pauses as bands, crashes, restarts and heals as lines),
 * the distribution of detection latencies, the message load over time by message type, and (in
 * runs with serf's layer) each user event's delivery latency and completeness and each query's
 * answers.
 */
import type {SimReport} from "./report.ts";
import {formatSummary} from "./report.ts";

const W = 900;
const H = 300;
const PAD = {left: 60, right: 20, top: 20, bottom: 40};
const TYPE_COLORS = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
  "#393b79",
  "#637939",
];

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

type Scale = (v: number) => number;

function linear(d0: number, d1: number, r0: number, r1: number): Scale {
  const span = d1 - d0 || 1;
  return (v: number) => r0 + ((v - d0) / span) * (r1 - r0);
}

function niceTicks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => span / s <= count) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function fmtTime(ms: number): string {
  return ms >= 1000 ? `${Number((ms / 1000).toFixed(1))}s` : `${Math.round(ms)}ms`;
}

function axes(
  x: Scale,
  y: Scale,
  xTicks: number[],
  yTicks: number[],
  xLabel: string,
  yLabel: string,
  xFmt: (v: number) => string,
): string {
  const parts: string[] = [];
  const x0 = PAD.left;
  const x1 = W - PAD.right;
  const y0 = H - PAD.bottom;
  for (const t of yTicks) {
    const yy = y(t);
    parts.push(`<line x1="${x0}" x2="${x1}" y1="${yy}" y2="${yy}" stroke="#eee"/>`);
    parts.push(`<text x="${x0 - 6}" y="${yy + 4}" text-anchor="end" class="tick">${t.toLocaleString("en-US")}</text>`);
  }
  for (const t of xTicks) {
    const xx = x(t);
    parts.push(`<line x1="${xx}" x2="${xx}" y1="${y0}" y2="${y0 + 5}" stroke="#333"/>`);
    parts.push(`<text x="${xx}" y="${y0 + 18}" text-anchor="middle" class="tick">${esc(xFmt(t))}</text>`);
  }
  parts.push(`<line x1="${x0}" x2="${x1}" y1="${y0}" y2="${y0}" stroke="#333"/>`);
  parts.push(`<line x1="${x0}" x2="${x0}" y1="${PAD.top}" y2="${y0}" stroke="#333"/>`);
  parts.push(`<text x="${(x0 + x1) / 2}" y="${H - 4}" text-anchor="middle" class="label">${esc(xLabel)}</text>`);
  parts.push(
    `<text x="14" y="${(PAD.top + y0) / 2}" text-anchor="middle" class="label" transform="rotate(-90 14 ${(PAD.top + y0) / 2})">${esc(yLabel)}</text>`,
  );
  return parts.join("");
}

/** Fault bands and lines over a time axis. */
function faultMarks(r: SimReport, x: Scale, endMs: number): string {
  const parts: string[] = [];
  const top = PAD.top;
  const bottom = H - PAD.bottom;
  const colors: Record<string, string> = {
    partition: "#d62728",
    partitionOneWay: "#ff7f0e",
    flap: "#ff7f0e",
    pause: "#9467bd",
    crash: "#d62728",
    restart: "#2ca02c",
    heal: "#1f77b4",
    leave: "#7f7f7f",
    left: "#7f7f7f",
    slow: "#8c564b",
    loss: "#8c564b",
  };
  const labelled = new Set<string>();
  let lines = 0;
  for (const t of r.timeline) {
    const color = colors[t.kind] ?? "#555";
    const x0 = x(t.atMs);
    const title = `<title>${esc(`${fmtTime(t.atMs)} ${t.kind} ${t.label}`)}</title>`;
    if (t.endMs === null || t.endMs > t.atMs) {
      const x1 = x(t.endMs ?? endMs);
      parts.push(
        `<rect x="${x0}" y="${top}" width="${Math.max(1, x1 - x0)}" height="${bottom - top}" fill="${color}" opacity="0.12">${title}</rect>`,
      );
      if (!labelled.has(t.kind)) {
        labelled.add(t.kind);
        parts.push(`<text x="${x0 + 3}" y="${top + 12}" class="mark" fill="${color}">${esc(t.kind)}</text>`);
      }
    } else {
      if (lines++ > 200) continue;
      parts.push(
        `<line x1="${x0}" x2="${x0}" y1="${top}" y2="${bottom}" stroke="${color}" stroke-dasharray="4 3" stroke-width="1.2">${title}</line>`,
      );
      if (!labelled.has(t.kind)) {
        labelled.add(t.kind);
        parts.push(`<text x="${x0 + 3}" y="${bottom - 6}" class="mark" fill="${color}">${esc(t.kind)}</text>`);
      }
    }
  }
  return parts.join("");
}

function polyline(xs: number[], ys: number[], x: Scale, y: Scale, attrs: string): string {
  let d = "";
  let pen = false;
  for (let k = 0; k < xs.length; k++) {
    const v = ys[k] as number;
    if (v < 0 || !Number.isFinite(v)) {
      pen = false;
      continue;
    }
    d += `${pen ? "L" : "M"}${x(xs[k] as number).toFixed(1)},${y(v).toFixed(1)}`;
    pen = true;
  }
  return d === "" ? "" : `<path d="${d}" fill="none" ${attrs}/>`;
}

/** The time axis: virtual in a simulation, real (from the run's start) on the testbed. */
function timeAxis(r: SimReport): string {
  return r.run === "testbed" ? "time since start (real)" : "virtual time";
}

function sizeChart(r: SimReport): string {
  const s = r.series;
  const end = Math.max(r.durationMs, s.timesMs[s.timesMs.length - 1] ?? 0);
  const xs = [0, ...s.timesMs];
  const x = linear(0, end, PAD.left, W - PAD.right);
  const maxY = Math.max(r.nodes, ...s.sizeMax);
  const y = linear(0, maxY * 1.05, H - PAD.bottom, PAD.top);
  const parts = [
    faultMarks(r, x, end),
    axes(x, y, niceTicks(0, end, 10), niceTicks(0, maxY, 6), timeAxis(r), "cluster size seen", fmtTime),
  ];
  // min-max band
  if (s.timesMs.length > 0) {
    let d = `M${x(s.timesMs[0] as number)},${y(s.sizeMax[0] as number)}`;
    for (let k = 1; k < s.timesMs.length; k++) d += `L${x(s.timesMs[k] as number)},${y(s.sizeMax[k] as number)}`;
    for (let k = s.timesMs.length - 1; k >= 0; k--) d += `L${x(s.timesMs[k] as number)},${y(s.sizeMin[k] as number)}`;
    parts.push(`<path d="${d}Z" fill="#1f77b4" opacity="0.10"/>`);
  }
  s.sizeByNode.forEach((line, k) => {
    const color = TYPE_COLORS[k % TYPE_COLORS.length] as string;
    parts.push(
      polyline(xs, [-1, ...line.sizes], x, y, `stroke="${color}" stroke-width="1" opacity="0.55"`).replace(
        "/>",
        `><title>${esc(line.node)}</title></path>`,
      ),
    );
  });
  parts.push(polyline(xs, [-1, ...s.trueSize], x, y, `stroke="#000" stroke-width="1.5" stroke-dasharray="6 4"`));
  return svg(parts.join(""), "cluster size over time");
}

function histogramChart(r: SimReport): string {
  const bins = r.detection.histogram;
  if (bins.length === 0)
    return `<p class="empty">No crash was detected in this run, so there is no detection-latency distribution.</p>`;
  const lo = (bins[0] as {from: number}).from;
  const hi = (bins[bins.length - 1] as {to: number}).to;
  const maxC = Math.max(...bins.map((b) => b.count));
  const x = linear(lo, hi, PAD.left, W - PAD.right);
  const y = linear(0, maxC * 1.1, H - PAD.bottom, PAD.top);
  const parts = [
    axes(x, y, niceTicks(lo, hi, 8), niceTicks(0, maxC, 5), "crash → memberDown at an observer", "observers", fmtTime),
  ];
  for (const b of bins) {
    const x0 = x(b.from);
    const x1 = x(b.to);
    parts.push(
      `<rect x="${x0 + 0.5}" y="${y(b.count)}" width="${Math.max(1, x1 - x0 - 1)}" height="${H - PAD.bottom - y(b.count)}" fill="#1f77b4"><title>${esc(`${fmtTime(b.from)}–${fmtTime(b.to)}: ${b.count}`)}</title></rect>`,
    );
  }
  const marks: [string, number | null, string][] = [
    ["first p50", r.detection.firstMs.p50, "#2ca02c"],
    ["all p50", r.detection.allMs.p50, "#ff7f0e"],
    ["all p99", r.detection.allMs.p99, "#d62728"],
  ];
  marks.forEach(([label, v, color], k) => {
    if (v === null) return;
    const xx = Math.min(W - PAD.right, Math.max(PAD.left, x(v)));
    parts.push(
      `<line x1="${xx}" x2="${xx}" y1="${PAD.top}" y2="${H - PAD.bottom}" stroke="${color}" stroke-dasharray="4 3"/>`,
    );
    const right = xx > W - PAD.right - 110;
    parts.push(
      `<text x="${right ? xx - 3 : xx + 3}" y="${PAD.top + 12 + 13 * k}" text-anchor="${right ? "end" : "start"}" class="mark" fill="${color}">${esc(`${label} ${fmtTime(v)}`)}</text>`,
    );
  });
  return svg(parts.join(""), "detection latency distribution");
}

function loadChart(r: SimReport): string {
  const s = r.series;
  if (s.timesMs.length === 0) return `<p class="empty">No samples.</p>`;
  const end = Math.max(r.durationMs, s.timesMs[s.timesMs.length - 1] ?? 0);
  const x = linear(0, end, PAD.left, W - PAD.right);
  const interval = (s.timesMs[0] as number) / 1000 || 1;
  const types = Object.entries(s.messagesByType).sort((a, b) => sum(b[1]) - sum(a[1]));
  const perSec = types.map(([t, v]) => [t, v.map((c) => c / interval / r.nodes)] as const);
  const maxY = Math.max(1e-9, ...perSec.flatMap(([, v]) => v));
  const y = linear(0, maxY * 1.1, H - PAD.bottom, PAD.top);
  const parts = [
    faultMarks(r, x, end),
    axes(x, y, niceTicks(0, end, 10), niceTicks(0, maxY, 5), timeAxis(r), "messages / node / s", fmtTime),
  ];
  const xs = s.timesMs;
  perSec.forEach(([t, v], k) => {
    const color = TYPE_COLORS[k % TYPE_COLORS.length] as string;
    parts.push(polyline(xs, v as number[], x, y, `stroke="${color}" stroke-width="1.5"`));
    parts.push(
      `<rect x="${W - PAD.right - 150}" y="${PAD.top + 14 * k}" width="10" height="10" fill="${color}"/><text x="${W - PAD.right - 135}" y="${PAD.top + 9 + 14 * k}" class="tick">${esc(t)}</text>`,
    );
  });
  return svg(parts.join(""), "message load over time");
}

/** Each user event at its send time: p50, p99 and max delivery latency, and its completeness when short of 1. */
function serfEventChart(r: SimReport): string {
  const events = r.serf?.events.perEvent ?? [];
  const delivered = events.filter((e) => e.latencyMs.max !== null);
  if (delivered.length === 0) return `<p class="empty">No user event was delivered in this run.</p>`;
  const end = Math.max(r.durationMs, ...events.map((e) => e.atMs));
  const maxY = Math.max(1, ...delivered.map((e) => e.latencyMs.max as number));
  const x = linear(0, end, PAD.left, W - PAD.right);
  const y = linear(0, maxY * 1.1, H - PAD.bottom, PAD.top);
  const parts = [
    faultMarks(r, x, end),
    axes(x, y, niceTicks(0, end, 10), niceTicks(0, maxY, 5), "send time", "send → delivery (ms)", fmtTime),
  ];
  const series: [string, "p50" | "p99" | "max", string][] = [
    ["p50", "p50", "#2ca02c"],
    ["p99", "p99", "#ff7f0e"],
    ["max", "max", "#d62728"],
  ];
  for (const e of delivered) {
    for (const [, key, color] of series) {
      const v = e.latencyMs[key] as number;
      parts.push(
        `<circle cx="${x(e.atMs)}" cy="${y(v)}" r="2.5" fill="${color}"><title>${esc(`${e.name} from ${e.from} at ${fmtTime(e.atMs)}: ${key} ${fmtTime(v)}, ${e.delivered}/${e.eligible} nodes`)}</title></circle>`,
      );
    }
    if (e.completeness < 1) {
      parts.push(
        `<text x="${x(e.atMs)}" y="${PAD.top + 10}" text-anchor="middle" class="mark" fill="#c62828">${(e.completeness * 100).toFixed(0)}%</text>`,
      );
    }
  }
  series.forEach(([label, , color], k) => {
    parts.push(
      `<rect x="${W - PAD.right - 80}" y="${PAD.top + 14 * k}" width="10" height="10" fill="${color}"/><text x="${W - PAD.right - 65}" y="${PAD.top + 9 + 14 * k}" class="tick">${label}</text>`,
    );
  });
  return svg(parts.join(""), "user event delivery latency by send time");
}

function pct(v: number | null): string {
  return v === null ? "–" : `${(v * 100).toFixed(2)}%`;
}

/** The user events and queries section (empty in runs without serf's layer). */
function serfSection(r: SimReport): string {
  const s = r.serf;
  if (s === null) return "";
  const e = s.events;
  const q = s.queries;
  return `<h2>User events</h2>
<p class="sub">${e.count} events; ${e.delivered} of ${e.expected} owed deliveries (nodes alive from the send to the end, sender excluded): completeness ${pct(e.completeness)}, ${e.complete} events complete, the worst ${pct(e.minCompleteness)}; ${e.duplicates} duplicate deliveries. Latency send → delivery p50 ${fmtN(e.latencyMs.p50)}, p99 ${fmtN(e.latencyMs.p99)}, max ${fmtN(e.latencyMs.max)}. Red percentages mark incomplete events.</p>
${serfEventChart(r)}
${table(
  ["at", "name", "from", "delivered", "eligible", "completeness", "duplicates", "p50", "p99", "max"],
  e.perEvent
    .slice(0, 200)
    .map((x) => [
      fmtTime(x.atMs),
      x.name,
      x.from,
      x.delivered,
      x.eligible,
      pct(x.completeness),
      x.duplicates,
      fmtN(x.latencyMs.p50),
      fmtN(x.latencyMs.p99),
      fmtN(x.latencyMs.max),
    ]),
)}
<h2>Queries</h2>
<p class="sub">${q.count} queries; from the ${q.eligible} eligible (query, node) pairs (nodes alive from the send to the deadline, querier excluded) ${q.acks} acks (${pct(q.ackRate)}) and ${q.responses} responses (${pct(q.responseRate)}) arrived before the deadline. Response latency p50 ${fmtN(q.responseLatencyMs.p50)}, p99 ${fmtN(q.responseLatencyMs.p99)}.</p>
${table(
  ["at", "name", "from", "timeout", "eligible", "acks", "responses", "p50", "p99"],
  q.perQuery
    .slice(0, 200)
    .map((x) => [
      fmtTime(x.atMs),
      x.name,
      x.from,
      fmtTime(x.timeoutMs),
      x.eligible,
      x.acks,
      x.responses,
      fmtN(x.responseLatencyMs.p50),
      fmtN(x.responseLatencyMs.p99),
    ]),
)}`;
}

function sum(v: readonly number[]): number {
  let s = 0;
  for (const x of v) s += x;
  return s;
}

function svg(body: string, title: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">${body}</svg>`;
}

function table(head: string[], rows: (string | number)[][]): string {
  if (rows.length === 0) return `<p class="empty">None.</p>`;
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(String(c))}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`;
}

/** Renders `report` as one self-contained HTML page. */
export function renderHtml(report: SimReport, reproduce?: string): string {
  const r = report;
  const checks = r.checks
    .map((c) => `<li class="${c.ok ? "ok" : "fail"}">${c.ok ? "PASS" : "FAIL"} ${esc(c.name)}: ${esc(c.detail)}</li>`)
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lifeline ${r.run === "testbed" ? "testbed" : "sim"}: ${esc(r.scenario.name)} (seed ${r.seed})</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:960px;color:#222}
h1{font-size:22px;margin-bottom:4px} h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
pre{background:#f6f8fa;padding:10px;overflow-x:auto;font-size:12px}
table{border-collapse:collapse;font-size:13px} td,th{border:1px solid #ddd;padding:3px 8px;text-align:right} th{background:#f6f8fa}
td:first-child,th:first-child{text-align:left}
.tick{font-size:11px;fill:#555} .label{font-size:12px;fill:#222} .mark{font-size:11px;font-weight:600}
.ok{color:#2a7d2a} .fail{color:#c62828;font-weight:600} .empty{color:#777;font-style:italic} .sub{color:#555}
</style></head><body>
<h1>${esc(r.scenario.name)} — ${r.nodes} nodes, ${fmtTime(r.durationMs)}, seed ${r.seed}</h1>
<p class="sub">${esc(r.scenario.description)}</p>
<p class="sub">${r.run === "testbed" ? "<strong>real run</strong> (testbed: real agents in network namespaces) · " : ""}profile ${esc(r.profile)} · ${r.traceHash === null ? "no trace hash" : `trace hash <code>${r.traceHash}</code>`}${reproduce ? ` · reproduce with <code>${esc(reproduce)}</code>` : ""}</p>
${checks ? `<ul>${checks}</ul>` : ""}
<h2>Cluster size as each node sees it</h2>
<p class="sub">One thin line per node (${r.series.sizeByNode.length} of ${r.nodes} shown), the shaded band spans the smallest to the largest view among running nodes, the dashed black line is the true number of running nodes. Coloured bands and dashed lines mark the faults.</p>
${sizeChart(r)}
<h2>Detection latency</h2>
<p class="sub">${r.detection.crashes} crashes; first detection p50 ${fmtN(r.detection.firstMs.p50)}, p99 ${fmtN(r.detection.firstMs.p99)}, max ${fmtN(r.detection.firstMs.max)}; detection by all live nodes p50 ${fmtN(r.detection.allMs.p50)}, p99 ${fmtN(r.detection.allMs.p99)}, max ${fmtN(r.detection.allMs.max)}.</p>
${histogramChart(r)}
<h2>Message load</h2>
<p class="sub">${r.load.messagesPerNodePerSec.toFixed(1)} messages and ${Math.round(r.load.bytesPerNodePerSec).toLocaleString("en-US")} bytes per node per second on average.</p>
${loadChart(r)}
${table(
  ["type", "messages", "bytes", "msg/node/s", "B/node/s"],
  r.load.byType.map((t) => [
    t.type,
    t.messages,
    t.bytes,
    t.messagesPerNodePerSec.toFixed(3),
    t.bytesPerNodePerSec.toFixed(1),
  ]),
)}
${serfSection(r)}
<h2>Summary</h2>
<pre>${esc(formatSummary(r))}</pre>
<h2>Timeline</h2>
${table(
  ["at", "fault", "nodes", "until"],
  r.timeline.slice(0, 300).map((t) => [fmtTime(t.atMs), t.kind, t.label, t.endMs === null ? "end" : fmtTime(t.endMs)]),
)}
<h2>False positives (first ${r.falsePositives.examples.length} of ${r.falsePositives.count})</h2>
${table(
  ["at", "observer", "declared dead"],
  r.falsePositives.examples.map((e) => [fmtTime(e.timeMs), e.observer, e.member]),
)}
<h2>Safety</h2>
<p>${r.safety.enabled ? `${r.safety.checked.toLocaleString("en-US")} member events checked, ${r.safety.violations} violations.` : "The safety checker was off for this run."}</p>
${table(
  ["at", "observer", "member", "rule", "detail"],
  r.safety.examples.map((v) => [fmtTime(v.timeMs), v.observer, v.member, v.rule, v.detail]),
)}
</body></html>
`;
}

function fmtN(v: number | null): string {
  return v === null ? "–" : fmtTime(v);
}
