// The local workspace page: renders the workspace state and acts as the chosen user.
// Every action goes to /workspace/* which sends the bot the signed request Slack would send.
(function () {
  "use strict";
  const { esc, mrkdwn, renderBlocks, plain } = window.BK;
  const $ = (id) => document.getElementById(id);

  const st = {
    me: localStorage.getItem("sowana.me") || "U0CM",
    channel: null,
    thread: null,
    snap: null,
    version: -1,
    modalKey: null,
    seenDeliveries: null,
    local: [], // client-side notices (e.g. unknown command), like Slack's own
  };

  // --- helpers ------------------------------------------------------------------------------
  async function api(path, body) {
    const opts = body === undefined ? {} : {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    };
    const resp = await fetch(path, opts);
    let data = {};
    try { data = await resp.json(); } catch (e) { /* empty */ }
    if (!resp.ok && data.ok !== false) data = { ok: false, error: `http_${resp.status}` };
    return data;
  }

  function toast(text, kind) {
    const t = document.createElement("div");
    t.className = `toast ${kind || ""}`;
    t.innerHTML = text;
    $("toasts").appendChild(t);
    setTimeout(() => t.classList.add("gone"), 4500);
    setTimeout(() => t.remove(), 5000);
  }

  const userMap = () => Object.fromEntries((st.snap ? st.snap.users : []).map((u) => [u.id, u]));
  const channelMap = () => Object.fromEntries((st.snap ? st.snap.channels : []).map((c) => [c.id, c]));

  function ctxFor(extra) {
    return Object.assign({
      users: userMap(), channels: channelMap(), usergroups: st.snap ? st.snap.usergroups : {},
      confirm: confirmDialog, onAction: () => {},
    }, extra || {});
  }

  function timeOf(ts) {
    const d = new Date(parseFloat(ts) * 1000);
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function initials(name) {
    return (name || "?").replace(/\(.*\)/, "").trim().split(/\s+/).map((p) => p[0]).join("").slice(0, 2).toUpperCase();
  }

  function avatar(user, cls) {
    const a = document.createElement("div");
    a.className = `avatar ${cls || ""}`;
    a.style.background = `#${(user && user.color) || "888888"}`;
    a.textContent = user && user.is_bot ? "S" : initials(user ? user.real_name : "?");
    return a;
  }

  function confirmDialog(conf) {
    return new Promise((resolve) => {
      const back = document.createElement("div");
      back.className = "modal-backdrop confirm";
      const box = document.createElement("div");
      box.className = "modal small";
      box.innerHTML = `<div class="modal-head"><div class="modal-title">${esc(plain(conf.title) || "Confirmer")}</div></div>
        <div class="modal-body">${window.BK.textObj(conf.text, ctxFor())}</div>
        <div class="modal-foot"><button class="btn" data-r="0">${esc(plain(conf.deny) || "Annuler")}</button>
        <button class="btn ${conf.style === "danger" ? "danger" : "primary"}" data-r="1">${esc(plain(conf.confirm) || "Confirmer")}</button></div>`;
      back.appendChild(box);
      document.body.appendChild(back);
      box.querySelectorAll("button").forEach((b) => b.addEventListener("click", () => {
        back.remove(); resolve(b.dataset.r === "1");
      }));
    });
  }

  function deliveryProblem(d) {
    if (!d) return "no answer";
    const last = d.attempts[d.attempts.length - 1];
    return (last && (last.error || (last.status ? `HTTP ${last.status}` : ""))) || "no answer";
  }

  // --- actions ------------------------------------------------------------------------------
  async function doAction(target, block, elm, extra) {
    const node = extra.node;
    if (node) node.classList.add("loading");
    const body = Object.assign({ user: st.me, action_id: elm.action_id, block_id: block.block_id }, target);
    if (extra.value !== undefined) body.value = extra.value;
    if (extra.selected !== undefined) body.selected = extra.selected;
    const res = await api("workspace/actions", body);
    if (node) node.classList.remove("loading");
    if (!res.ok) toast(`Action impossible : ${esc(res.error)}`, "error");
    else if (!res.delivery.acked) {
      toast(`<b>${esc(st.snap.bot.name)}</b> n'a pas répondu à temps · didn't respond (${esc(deliveryProblem(res.delivery))})`, "error");
    }
    refresh();
  }

  async function toggleReaction(channel, msg, name) {
    const mine = (msg.reactions || []).some((r) => r.name === name && r.users.includes(st.me));
    const res = await api("workspace/reactions", { user: st.me, channel, ts: msg.ts, name, remove: mine });
    if (!res.ok) toast(`Réaction impossible : ${esc(res.error)}`, "error");
    refresh();
  }

  async function send(text, threadTs, broadcast) {
    text = text.trim();
    if (!text) return;
    const res = await api("workspace/messages", {
      user: st.me, channel: st.channel, text, thread_ts: threadTs || null, broadcast: !!broadcast,
    });
    if (!res.ok) {
      if (res.error === "unknown_command") {
        st.local.push({ ts: String(Date.now() / 1000), channel: st.channel,
          text: `\`${text.split(" ")[0]}\` n'est pas une commande valide · is not a valid command.` });
      } else toast(`Envoi impossible : ${esc(res.error)}`, "error");
    } else if (res.delivery && !res.delivery.acked) {
      toast(`La commande a échoué · command failed (${esc(deliveryProblem(res.delivery))})`, "error");
    }
    refresh();
  }

  // --- rendering: messages ------------------------------------------------------------------
  function messageNode(msg, opts) {
    const users = userMap();
    const user = users[msg.user] || { real_name: msg.user === "USLACKBOT" ? "Slackbot" : msg.user, color: "a0a0a0" };
    const node = document.createElement("div");
    node.className = "msg" + (opts.ephemeral ? " ephemeral" : "") + (opts.parent ? " parent" : "");
    node.dataset.ts = msg.ts;
    node.appendChild(avatar(user));
    const body = document.createElement("div");
    body.className = "msg-body";
    const head = document.createElement("div");
    head.className = "msg-head";
    head.innerHTML = `<span class="name">${esc(user.real_name)}</span>` +
      (msg.bot_id ? '<span class="app-badge">APP</span>' : "") +
      `<span class="time" title="${esc(msg.ts)}">${timeOf(msg.ts)}</span>` +
      (msg.edited ? '<span class="edited">(modifié)</span>' : "") +
      (msg.subtype === "thread_broadcast" && !opts.inThread ? '<span class="edited">a répondu dans un fil</span>' : "");
    body.appendChild(head);
    if (opts.ephemeral) {
      body.appendChild(Object.assign(document.createElement("div"), {
        className: "only-you", innerHTML: "&#128065; Visible par vous seulement · Only visible to you" }));
    }
    const content = document.createElement("div");
    content.className = "msg-content";
    const ctx = ctxFor({ onAction: (block, elm, extra) => doAction(
      { channel: opts.channel, ts: msg.ts }, block, elm, extra) });
    if (msg.blocks && msg.blocks.length) content.appendChild(renderBlocks(msg.blocks, ctx));
    else content.innerHTML = `<div class="bk-text">${mrkdwn(msg.text, ctx)}</div>`;
    for (const att of msg.attachments || []) {
      const a = document.createElement("div");
      a.className = "attachment";
      a.style.borderColor = att.color ? (att.color.startsWith("#") ? att.color : `#${att.color}`) : "#ddd";
      if (att.title) a.appendChild(Object.assign(document.createElement("div"), { className: "att-title", textContent: att.title }));
      if (att.text) a.appendChild(Object.assign(document.createElement("div"), { innerHTML: mrkdwn(att.text, ctx) }));
      if (att.blocks) a.appendChild(renderBlocks(att.blocks, ctx));
      content.appendChild(a);
    }
    body.appendChild(content);
    if (!opts.ephemeral && msg.reactions && msg.reactions.length) {
      const row = document.createElement("div");
      row.className = "reactions";
      for (const r of msg.reactions) {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "reaction" + (r.users.includes(st.me) ? " mine" : "");
        b.dataset.name = r.name;
        b.title = `${r.users.map((u) => (users[u] || { real_name: u }).real_name).join(", ")} · :${r.name}:`;
        b.innerHTML = `<span class="r-emoji">${(window.EMOJI[r.name]) || ":" + esc(r.name) + ":"}</span><span class="r-count">${r.count}</span>`;
        b.addEventListener("click", () => toggleReaction(opts.channel, msg, r.name));
        row.appendChild(b);
      }
      body.appendChild(row);
    }
    if (!opts.inThread && !opts.ephemeral && msg.reply_count) {
      const link = document.createElement("button");
      link.type = "button";
      link.className = "thread-link";
      const names = (msg.reply_users || []).slice(0, 3).map((u) => avatar(users[u], "tiny").outerHTML).join("");
      link.innerHTML = `${names}<span class="replies">${msg.reply_count} réponse${msg.reply_count > 1 ? "s" : ""}</span>` +
        `<span class="last">Dernière réponse à ${timeOf(msg.latest_reply || msg.ts)}</span>`;
      link.addEventListener("click", () => openThread(msg.ts));
      body.appendChild(link);
    }
    node.appendChild(body);
    if (!opts.ephemeral) node.appendChild(hoverBar(opts.channel, msg, opts));
    else {
      const dismiss = document.createElement("button");
      dismiss.className = "dismiss"; dismiss.type = "button"; dismiss.textContent = "Ignorer · Dismiss";
      dismiss.addEventListener("click", () => node.remove());
      body.appendChild(dismiss);
    }
    return node;
  }

  function hoverBar(channel, msg, opts) {
    const bar = document.createElement("div");
    bar.className = "hover-bar";
    for (const name of window.QUICK_REACTIONS.slice(0, 3)) {
      const b = document.createElement("button");
      b.type = "button"; b.className = "hb"; b.title = `:${name}:`; b.dataset.react = name;
      b.textContent = window.EMOJI[name];
      b.addEventListener("click", () => toggleReaction(channel, msg, name));
      bar.appendChild(b);
    }
    const more = document.createElement("button");
    more.type = "button"; more.className = "hb"; more.title = "Ajouter une réaction · Add reaction";
    more.innerHTML = "&#9786;+";
    more.addEventListener("click", (ev) => { ev.stopPropagation(); emojiPicker(more, (name) => toggleReaction(channel, msg, name)); });
    bar.appendChild(more);
    if (!opts.inThread) {
      const reply = document.createElement("button");
      reply.type = "button"; reply.className = "hb"; reply.title = "Répondre dans un fil · Reply in thread";
      reply.innerHTML = "&#128172;";
      reply.addEventListener("click", () => openThread(msg.ts));
      bar.appendChild(reply);
    }
    return bar;
  }

  function emojiPicker(anchor, pick) {
    document.querySelectorAll(".emoji-picker").forEach((n) => n.remove());
    const box = document.createElement("div");
    box.className = "emoji-picker";
    const names = [...new Set([...window.QUICK_REACTIONS, ...Object.keys(window.EMOJI)])].slice(0, 64);
    for (const name of names) {
      const b = document.createElement("button");
      b.type = "button"; b.title = `:${name}:`; b.textContent = window.EMOJI[name];
      b.addEventListener("click", () => { box.remove(); pick(name); });
      box.appendChild(b);
    }
    document.body.appendChild(box);
    const r = anchor.getBoundingClientRect();
    box.style.top = `${Math.max(8, r.top - box.offsetHeight - 6)}px`;
    box.style.left = `${Math.min(window.innerWidth - box.offsetWidth - 8, r.left - 200)}px`;
    setTimeout(() => document.addEventListener("click", () => box.remove(), { once: true }), 0);
  }

  function dayDivider(label) {
    const d = document.createElement("div");
    d.className = "day-divider";
    d.innerHTML = `<span>${esc(label)}</span>`;
    return d;
  }

  function renderMessages() {
    const box = $("messages");
    const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 120;
    box.innerHTML = "";
    const chan = channelMap()[st.channel];
    const intro = document.createElement("div");
    intro.className = "channel-intro";
    intro.innerHTML = `<div class="intro-icon">#</div><h2>Bienvenue dans #${esc(chan ? chan.name : "")}</h2>
      <p>${esc(chan && chan.topic ? chan.topic : "")}</p>
      <p class="muted">Chaque commentaire reçu par la marque arrive ici, trié, avec des réponses proposées. Approuvez, modifiez, escaladez ou masquez en un clic.<br>
      Every comment the brand receives lands here, triaged, with proposed replies. Approve, edit, escalate or hide in one click.</p>`;
    box.appendChild(intro);
    const items = st.snap.messages.map((m) => ({ m, eph: false }))
      .concat(st.snap.ephemerals.filter((e) => !e.thread_ts).map((m) => ({ m, eph: true })))
      .concat(st.local.filter((l) => l.channel === st.channel).map((l) => ({ m: Object.assign({ user: "USLACKBOT" }, l), eph: true })))
      .sort((a, b) => parseFloat(a.m.ts) - parseFloat(b.m.ts));
    let lastDay = null;
    for (const { m, eph } of items) {
      const day = new Date(parseFloat(m.ts) * 1000).toLocaleDateString([], { weekday: "long", day: "numeric", month: "long" });
      if (day !== lastDay) { box.appendChild(dayDivider(day)); lastDay = day; }
      box.appendChild(messageNode(m, { channel: st.channel, ephemeral: eph }));
    }
    if (nearBottom || st.scrollToBottom) { box.scrollTop = box.scrollHeight; st.scrollToBottom = false; }
  }

  function renderThread() {
    const panel = $("thread");
    if (!st.thread || !st.snap.thread.length) { panel.hidden = true; document.body.classList.remove("with-thread"); return; }
    panel.hidden = false;
    document.body.classList.add("with-thread");
    const chan = channelMap()[st.channel];
    $("thread-sub").textContent = `#${chan ? chan.name : ""}`;
    const box = $("thread-messages");
    const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 120;
    box.innerHTML = "";
    const [parent, ...replies] = st.snap.thread;
    box.appendChild(messageNode(parent, { channel: st.channel, inThread: true, parent: true }));
    const sep = document.createElement("div");
    sep.className = "replies-sep";
    sep.innerHTML = `<span>${replies.length} réponse${replies.length > 1 ? "s" : ""}</span>`;
    box.appendChild(sep);
    const ephs = st.snap.ephemerals.filter((e) => e.thread_ts === st.thread).map((m) => ({ m, eph: true }));
    const items = replies.map((m) => ({ m, eph: false })).concat(ephs)
      .sort((a, b) => parseFloat(a.m.ts) - parseFloat(b.m.ts));
    for (const { m, eph } of items) box.appendChild(messageNode(m, { channel: st.channel, inThread: true, ephemeral: eph }));
    if (nearBottom) box.scrollTop = box.scrollHeight;
  }

  // --- rendering: chrome --------------------------------------------------------------------
  function renderChrome() {
    const s = st.snap;
    $("team-name").textContent = s.team.name;
    $("team-name-top").textContent = s.team.name;
    $("bot-name").textContent = s.bot.name;
    const list = $("channel-list");
    list.innerHTML = "";
    for (const c of s.channels) {
      const li = document.createElement("li");
      li.className = "channel" + (c.id === st.channel ? " active" : "");
      li.dataset.channel = c.id;
      li.innerHTML = `<span class="hash">#</span><span class="cname">${esc(c.name)}</span>` +
        (c.count && c.id !== st.channel ? `<span class="count">${c.count}</span>` : "");
      li.addEventListener("click", () => { location.hash = `#/${c.id}`; });
      list.appendChild(li);
    }
    const sw = $("user-switch");
    if (!sw.options.length) {
      for (const u of s.users.filter((x) => !x.is_bot)) {
        const o = document.createElement("option");
        o.value = u.id; o.textContent = u.real_name;
        sw.appendChild(o);
      }
    }
    sw.value = st.me;
    const me = userMap()[st.me];
    const av = $("me-avatar");
    av.replaceWith(Object.assign(avatar(me, "small"), { id: "me-avatar" }));
    $("me-title").textContent = me ? me.title : "";
    const chan = channelMap()[st.channel];
    $("channel-title").textContent = `# ${chan ? chan.name : ""}`;
    $("channel-topic").textContent = chan ? chan.topic : "";
    $("channel-meta").innerHTML = "";
    $("channel-meta").appendChild(Object.assign(document.createElement("span"), {
      className: "acting", innerHTML: `Vous êtes <b>${esc(me ? me.real_name : st.me)}</b>` }));
    $("composer-input").placeholder = `Envoyer un message dans #${chan ? chan.name : ""}`;
    $("command-hint").textContent = s.commands.map((c) => c.command).join(", ");
    const last = s.deliveries[s.deliveries.length - 1];
    const dot = $("app-dot");
    dot.className = "app-dot " + (!last ? "" : last.acked ? "ok" : last.done ? "bad" : "");
    dot.title = !last ? "Aucune requête encore" : last.acked ? "L'app a répondu · app acked" : `Dernière requête en échec (${deliveryProblem(last)})`;
  }

  function reportDeliveries() {
    const ds = st.snap.deliveries;
    if (st.seenDeliveries === null) { st.seenDeliveries = new Set(ds.map((d) => d.id)); return; }
    for (const d of ds) {
      if (!d.done || st.seenDeliveries.has(d.id)) continue;
      st.seenDeliveries.add(d.id);
      if (!d.acked && d.kind === "event_callback") {
        toast(`Événement <b>${esc(d.summary)}</b> non accusé par l'app après ${d.attempts.length} essai(s) (${esc(deliveryProblem(d))})`, "error");
      }
    }
  }

  // --- modal --------------------------------------------------------------------------------
  function renderModal() {
    const back = $("modal");
    const view = st.snap.view;
    if (!view) { back.hidden = true; back.innerHTML = ""; st.modalKey = null; return; }
    const key = `${view.id}:${view.hash}`;
    const errors = st.snap.view_errors || {};
    if (key === st.modalKey) { showModalErrors(errors); return; }
    st.modalKey = key;
    back.hidden = false;
    back.innerHTML = "";
    const box = document.createElement("div");
    box.className = "modal";
    box.setAttribute("role", "dialog");
    box.innerHTML = `<div class="modal-head"><div class="modal-title">${esc(plain(view.title))}</div>
      <button class="icon-btn" data-close title="Fermer">&#10005;</button></div>`;
    const inputs = [];
    const ctx = ctxFor({ mode: "modal", inputs, errors,
      onAction: (block, elm, extra) => doAction({ view_id: view.id }, block, elm, extra) });
    const body = document.createElement("div");
    body.className = "modal-body";
    body.appendChild(renderBlocks(view.blocks, ctx));
    body.appendChild(Object.assign(document.createElement("div"), { className: "modal-error", hidden: !errors.__view__, textContent: errors.__view__ || "" }));
    box.appendChild(body);
    const foot = document.createElement("div");
    foot.className = "modal-foot";
    const close = document.createElement("button");
    close.className = "btn"; close.type = "button"; close.textContent = plain(view.close) || "Annuler";
    close.addEventListener("click", async () => { await api(`workspace/views/${view.id}/close`, { user: st.me }); refresh(); });
    foot.appendChild(close);
    if (view.submit) {
      const submit = document.createElement("button");
      submit.className = "btn primary"; submit.type = "button"; submit.textContent = plain(view.submit);
      submit.dataset.submit = "1";
      submit.addEventListener("click", async () => {
        const values = {};
        for (const i of inputs) values[i.block_id] = i.read();
        submit.classList.add("loading");
        const res = await api(`workspace/views/${view.id}/submit`, { user: st.me, values });
        submit.classList.remove("loading");
        if (res.errors) showModalErrors(res.errors);
        refresh();
      });
      foot.appendChild(submit);
    }
    box.appendChild(foot);
    box.querySelector("[data-close]").addEventListener("click", () => close.click());
    back.appendChild(box);
    const first = box.querySelector("textarea, input");
    if (first) first.focus();
  }

  function showModalErrors(errors) {
    const box = document.querySelector("#modal .modal");
    if (!box) return;
    box.querySelectorAll(".bk-error").forEach((n) => n.remove());
    box.querySelectorAll(".has-error").forEach((n) => n.classList.remove("has-error"));
    for (const [bid, msg] of Object.entries(errors || {})) {
      const blk = box.querySelector(`.bk[data-block-id="${CSS.escape(bid)}"]`);
      if (!blk) continue;
      blk.classList.add("has-error");
      blk.appendChild(Object.assign(document.createElement("div"), { className: "bk-error", textContent: msg }));
    }
    const top = box.querySelector(".modal-error");
    if (top) { top.hidden = !(errors && errors.__view__); top.textContent = (errors && errors.__view__) || ""; }
  }

  // --- navigation, composer, polling --------------------------------------------------------
  function readHash() {
    const [, ch, th] = location.hash.split("/");
    st.channel = ch || (st.snap && st.snap.channels[0] && st.snap.channels[0].id) || st.channel;
    st.thread = th || null;
  }

  function openThread(ts) { location.hash = `#/${st.channel}/${ts}`; }

  let inflight = null;
  async function refresh() {
    if (inflight) { inflight.again = true; return; }
    inflight = { again: false };
    try {
      const q = new URLSearchParams({ user: st.me });
      if (st.channel) q.set("channel", st.channel);
      if (st.thread) q.set("thread", st.thread);
      const snap = await api(`workspace/snapshot?${q}`);
      if (snap.version === undefined) return;
      st.snap = snap;
      st.version = snap.version;
      if (!st.channel) { readHash(); if (st.channel) return void setTimeout(refresh, 0); }
      renderChrome();
      renderMessages();
      renderThread();
      renderModal();
      reportDeliveries();
      document.body.dataset.version = String(snap.version);
    } finally {
      const again = inflight.again;
      inflight = null;
      if (again) refresh();
    }
  }

  async function poll() {
    for (;;) {
      try {
        const res = await api(`workspace/updates?since=${st.version}&timeout=20`);
        if (res.version !== undefined && res.version !== st.version) await refresh();
      } catch (e) {
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  function setupComposer(formId, inputId, getThread, getBroadcast) {
    const form = $(formId), input = $(inputId);
    const grow = () => { input.style.height = "auto"; input.style.height = `${Math.min(200, input.scrollHeight)}px`; };
    input.addEventListener("input", () => { grow(); if (formId === "composer") slashMenu(input.value); });
    input.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); form.requestSubmit(); }
    });
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const text = input.value;
      input.value = ""; grow(); slashMenu("");
      await send(text, getThread(), getBroadcast());
    });
  }

  function slashMenu(value) {
    const menu = $("slash-menu");
    if (!st.snap || !value.startsWith("/") || value.includes(" ")) { menu.classList.remove("open"); return; }
    const matches = st.snap.commands.filter((c) => c.command.startsWith(value));
    menu.innerHTML = "";
    for (const c of matches) {
      const item = document.createElement("button");
      item.type = "button"; item.className = "slash-item";
      item.innerHTML = `<b>${esc(c.command)}</b> <span class="hint">${esc(c.usage_hint)}</span><div class="desc">${esc(c.description)}</div>`;
      item.addEventListener("click", () => {
        const input = $("composer-input"); input.value = `${c.command} `; input.focus(); menu.classList.remove("open");
      });
      menu.appendChild(item);
    }
    menu.classList.toggle("open", matches.length > 0);
  }

  function init() {
    readHash();
    $("user-switch").addEventListener("change", (ev) => {
      st.me = ev.target.value; localStorage.setItem("sowana.me", st.me); st.modalKey = null; refresh();
    });
    const asParam = new URLSearchParams(location.search).get("as");
    if (asParam) st.me = asParam;
    window.addEventListener("hashchange", () => { readHash(); st.scrollToBottom = true; refresh(); });
    $("thread-close").addEventListener("click", () => { location.hash = `#/${st.channel}`; });
    document.addEventListener("click", () => document.querySelectorAll(".bk-overflow.open").forEach((n) => n.classList.remove("open")));
    setupComposer("composer", "composer-input", () => null, () => false);
    setupComposer("thread-composer", "thread-input", () => st.thread, () => $("thread-broadcast").checked);
    st.scrollToBottom = true;
    refresh().then(poll);
  }

  init();
})();
