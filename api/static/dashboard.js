// Sowana dashboard: fetches /dashboard/data and draws it with plain SVG (no outside script: works offline).
"use strict";

const SENT = [
  ["neg", "négatif · negative"],
  ["neu", "neutre · neutral"],
  ["pos", "positif · positive"],
  ["untriaged", "non trié · untriaged"],
];
const COLOR = { pos: "#2e9e6b", neu: "#9aa7b6", neg: "#d64545", untriaged: "#d5dbe3" };
const SVGNS = "http://www.w3.org/2000/svg";
const params = new URLSearchParams(location.search);

function el(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

// Outside text is only ever set as textContent; a comment's URL becomes a link only when it is http(s)
// (a `javascript:` or `data:` URL from a webhook or an import would run in the dashboard's origin).
function webUrl(raw) {
  try {
    const url = new URL(String(raw || ""));
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch (e) {
    return null;
  }
}

function minutes(m) {
  if (m === null || m === undefined) return "—";
  if (m >= 120) return (m / 60).toFixed(1) + " h";
  return Math.round(m) + " min";
}

function pct(x) {
  return x === null || x === undefined ? "—" : Math.round(100 * x) + " %";
}

function tick(iso, step) {
  const d = new Date(iso);
  if (step === "hour") return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return d.toLocaleDateString([], { day: "numeric", month: "short" });
}

function niceMax(v) {
  if (v <= 5) return 5;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function frame(width, height, max, labels, step) {
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" });
  const pad = { l: 36, r: 8, t: 8, b: 24 };
  const h = height - pad.t - pad.b;
  for (let i = 0; i <= 4; i++) {
    const y = pad.t + h - (h * i) / 4;
    root.appendChild(svg("line", { x1: pad.l, x2: width - pad.r, y1: y, y2: y, class: "gridline" }));
    root.appendChild(svg("text", { x: pad.l - 6, y: y + 4, "text-anchor": "end", class: "axis" }, String(Math.round((max * i) / 4))));
  }
  const n = labels.length;
  const bw = (width - pad.l - pad.r) / Math.max(n, 1);
  const every = Math.max(1, Math.ceil(n / Math.floor((width - pad.l - pad.r) / 72)));  // labels ~72 px apart
  labels.forEach((t, i) => {
    if (i % every === 0) {
      root.appendChild(svg("text", { x: pad.l + bw * i + bw / 2, y: height - 6, "text-anchor": "middle", class: "axis" }, tick(t, step)));
    }
  });
  return { root, pad, h, bw };
}

function drawVolume(data) {
  const box = document.getElementById("volume");
  box.replaceChildren();
  const legend = document.getElementById("legend");
  legend.replaceChildren(...SENT.map(([k, label]) => {
    const s = el("span");
    s.append(el("span", { class: "dot " + k }), label);
    return s;
  }));
  const rows = data.volume;
  const totals = rows.map((r) => SENT.reduce((a, [k]) => a + r[k], 0));
  const max = niceMax(Math.max(1, ...totals));
  const { root, pad, h, bw } = frame(1100, 260, max, rows.map((r) => r.t), data.step);
  rows.forEach((r, i) => {
    let y = pad.t + h;
    for (const [k, label] of SENT) {
      if (!r[k]) continue;
      const bh = (h * r[k]) / max;
      y -= bh;
      const rect = svg("rect", { x: pad.l + bw * i + bw * 0.12, y, width: bw * 0.76, height: bh, fill: COLOR[k], rx: 2 });
      rect.appendChild(svg("title", {}, `${tick(r.t, data.step)} — ${label}: ${r[k]}`));
      root.appendChild(rect);
    }
  });
  box.appendChild(root);
}

function drawReply(data) {
  const box = document.getElementById("reply");
  box.replaceChildren();
  const rows = data.reply_minutes;
  const values = rows.map((r) => r.median).filter((v) => v !== null);
  if (!values.length) {
    box.appendChild(el("div", { class: "empty" }, "Aucune réponse publiée · no reply published"));
  } else {
    const max = niceMax(Math.max(...values));
    const { root, pad, h, bw } = frame(420, 200, max, rows.map((r) => r.t), data.step);
    const points = rows
      .map((r, i) => [r, pad.l + bw * i + bw / 2, r.median === null ? null : pad.t + h - (h * r.median) / max])
      .filter(([, , y]) => y !== null);
    root.appendChild(svg("polyline", { points: points.map(([, x, y]) => `${x},${y}`).join(" "), fill: "none", stroke: "#3559d6", "stroke-width": 2 }));
    for (const [r, x, y] of points) {
      const c = svg("circle", { cx: x, cy: y, r: 3.5, fill: "#3559d6" });
      c.appendChild(svg("title", {}, `${tick(r.t, data.step)}: ${minutes(r.median)} (${r.n})`));
      root.appendChild(c);
    }
    box.appendChild(root);
  }
  const k = data.kpis;
  const sla = document.getElementById("sla");
  sla.replaceChildren(
    slaBox("1re réponse SAC · first response", k.first_response_median_minutes, k.first_response_target_minutes),
    slaBox("Résolution · resolution", k.resolution_median_minutes, k.resolution_target_minutes),
  );
}

function slaBox(label, value, target) {
  const late = value !== null && value > target;
  const box = el("div", { class: "box " + (value === null ? "" : late ? "late" : "ok") });
  box.append(el("b", {}, minutes(value)), `${label} — cible · target ${minutes(target)}`);
  return box;
}

function drawTopics(data) {
  const box = document.getElementById("topics");
  box.replaceChildren();
  if (!data.topics.length) {
    box.appendChild(el("div", { class: "empty" }, "Aucun sujet · no topic"));
    return;
  }
  const max = Math.max(...data.topics.map((t) => t.n));
  for (const t of data.topics) {
    const row = el("div", { class: "topic" });
    const bar = el("div", { class: "bar", title: `${t.n} · ${t.neg} négatifs · negative` });
    bar.append(
      el("div", { class: "negpart", style: `width:${(100 * t.neg) / max}%` }),
      el("div", { class: "all", style: `width:${(100 * (t.n - t.neg)) / max}%` }),
    );
    row.append(el("span", { class: "name" }, t.topic), bar, el("span", { class: "n" }, String(t.n)));
    box.appendChild(row);
  }
}

function drawAlerts(data) {
  const list = document.getElementById("alerts");
  list.replaceChildren();
  if (!data.alerts.length) {
    list.appendChild(el("li", { class: "empty" }, "Aucune alerte · no alert — tout est calme · all quiet"));
  }
  for (const a of data.alerts) {
    const li = el("li");
    const badge = el("span", { class: "badge " + a.status }, a.status === "open" ? "EN COURS · ONGOING" : "TERMINÉ · OVER");
    const what = el("div");
    const link = el("a", { href: `?${new URLSearchParams({ brand: data.brand, days: params.get("days") || "1", topic: a.topic, since: a.opened_at })}` }, a.topic);
    what.append(el("span", { class: "what" }), ` pic · peak ${a.peak} (≈ ${a.baseline} d'habitude · usually)`);
    what.firstChild.appendChild(link);
    const end = a.closed_at ? " → " + new Date(a.closed_at).toLocaleString() : "";
    what.appendChild(el("div", { class: "when" }, new Date(a.opened_at).toLocaleString() + end));
    li.append(badge, what);
    list.appendChild(li);
  }
}

function drawBest(data) {
  const list = document.getElementById("best");
  list.replaceChildren();
  if (!data.best.length) list.appendChild(el("li", { class: "empty" }, "Pas encore de réactions · no engagement yet"));
  for (const b of data.best) {
    const li = el("li");
    li.append(el("div", { class: "txt" }, "« " + b.text + " »"), el("div", { class: "meta" }, `${b.platform} · ♥ ${b.likes} j'aime · likes · ${b.replies} réponses · replies · ↻ ${b.shares}`));
    list.appendChild(li);
  }
}

function drawNegatives(data) {
  const body = document.getElementById("negatives");
  body.replaceChildren();
  const f = data.filter;
  document.getElementById("neg-title").textContent = f.topic
    ? `Commentaires négatifs · Negative comments — ${f.topic} (depuis · since ${new Date(f.since).toLocaleString()})`
    : "Commentaires négatifs · Negative comments";
  if (!data.negatives.length) {
    const tr = el("tr");
    tr.appendChild(el("td", { colspan: 4, class: "empty" }, "Aucun · none"));
    body.appendChild(tr);
  }
  for (const c of data.negatives) {
    const tr = el("tr");
    const text = el("td");
    const url = webUrl(c.url);
    if (url) text.appendChild(el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, c.text));
    else text.textContent = c.text;
    const topics = el("td");
    for (const t of c.topics) topics.appendChild(el("span", { class: "chip" }, t));
    tr.append(el("td", { class: "when" }, new Date(c.at).toLocaleString()), el("td", {}, `${c.author} · ${c.platform}`), text, topics);
    body.appendChild(tr);
  }
}

function drawKpis(data) {
  const k = data.kpis;
  const tiles = [
    ["Commentaires · comments", String(k.received), Object.entries(data.platforms).map(([p, n]) => `${p} ${n}`).join(" · ") || "—", ""],
    ["Part négative · negative", pct(k.negative_share), "plaintes et négatifs · complaints & negative", k.negative_share > 0.3 ? "bad" : ""],
    ["Réponses publiées · replies", String(k.replies), `p90 ${minutes(k.reply_p90_minutes)}`, ""],
    ["Délai médian · median time", minutes(k.reply_median_minutes), "arrivée → réponse · arrival → reply", ""],
    ["Cas SAC ouverts · open cases", String(k.open_cases), `${k.breaches} hors délai · past target`, k.breaches ? "bad" : ""],
    ["Alertes en cours · open alerts", String(k.open_alerts), "bad buzz", k.open_alerts ? "bad" : "good"],
    // Direct messages: only their number, apart from the comments (never listed on this page).
    ["Messages privés · private messages", String(k.private_messages ?? 0), "hors chiffres ci-dessus · not in the figures above", ""],
  ];
  const box = document.getElementById("kpis");
  box.replaceChildren(...tiles.map(([label, value, note, cls]) => {
    const d = el("div", { class: "kpi " + cls });
    d.append(el("div", { class: "label" }, label), el("div", { class: "value" }, value), el("div", { class: "note" }, note));
    return d;
  }));
  const banner = document.getElementById("banner");
  const open = data.alerts.filter((a) => a.status === "open");
  banner.hidden = !open.length;
  banner.textContent = open.length
    ? `⚠ Bad buzz en cours · ongoing: ${open.map((a) => `${a.topic} (${a.peak})`).join(", ")}`
    : "";
}

function drawViewer(viewer) {
  // Who is signed in (Slack) or "API" (the token), with a way out.
  const form = document.getElementById("viewer");
  if (!viewer) return;
  form.hidden = false;
  document.getElementById("viewer-name").textContent = viewer.via === "slack" ? viewer.name : "jeton · token";
}

async function load() {
  const days = params.get("days") || "1";
  for (const b of document.querySelectorAll("#days button")) b.classList.toggle("on", b.dataset.days === days);
  const response = await fetch("/dashboard/data?" + params.toString(), { credentials: "same-origin" });
  if (!response.ok) {
    document.querySelector("main").textContent = "Accès refusé · access denied (" + response.status + ")";
    return;
  }
  const data = await response.json();
  const select = document.getElementById("brand");
  select.replaceChildren(...data.brands.map((b) => el("option", b === data.brand ? { value: b, selected: "" } : { value: b }, b)));
  drawViewer(data.viewer);
  drawKpis(data);
  drawVolume(data);
  drawReply(data);
  drawTopics(data);
  drawAlerts(data);
  drawBest(data);
  drawNegatives(data);
  document.body.dataset.loaded = "1";
}

document.getElementById("brand").addEventListener("change", (e) => {
  params.set("brand", e.target.value);
  params.delete("topic");
  params.delete("since");
  location.search = params.toString();
});
for (const b of document.querySelectorAll("#days button")) {
  b.addEventListener("click", () => {
    params.set("days", b.dataset.days);
    location.search = params.toString();
  });
}
load();
setInterval(() => { if (!document.hidden) load(); }, 60000);
