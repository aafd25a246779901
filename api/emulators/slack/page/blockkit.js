// Block Kit + mrkdwn rendering for the local workspace page. No framework: plain DOM.
(function () {
  "use strict";

  const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
  // Slack escapes &, < and > in message text; undo before escaping for HTML.
  const unent = (s) => String(s).replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  const emoji = (name) => (window.EMOJI && window.EMOJI[name]) || null;

  function el(tag, cls, html) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (html !== undefined) node.innerHTML = html;
    return node;
  }

  function emojify(html) {
    return html.replace(/:([a-z0-9_+\-']+):/g, (m, n) => emoji(n) || m);
  }

  function angle(inner, ctx) {
    const [target, label] = inner.split("|");
    if (target.startsWith("@")) {
      const u = ctx.users[target.slice(1)];
      return `<span class="mention">@${esc(u ? u.real_name : target.slice(1))}</span>`;
    }
    if (target.startsWith("#")) {
      const c = ctx.channels[target.slice(1)];
      return `<span class="mention">#${esc(label || (c ? c.name : target.slice(1)))}</span>`;
    }
    if (target.startsWith("!subteam^")) {
      const g = ctx.usergroups && ctx.usergroups[target.slice(9)];
      return `<span class="mention">@${esc(label || (g ? g.handle : "group"))}</span>`;
    }
    if (target.startsWith("!")) return `<span class="mention">@${esc(target.slice(1))}</span>`;
    const url = unent(target);
    const safe = /^(https?:|mailto:)/i.test(url) ? url : "#";
    return `<a href="${esc(safe)}" target="_blank" rel="noopener">${esc(unent(label || url))}</a>`;
  }

  // Slack mrkdwn: *bold* _italic_ ~strike~ `code` ```pre``` > quote, <links|label>, <@U…>, :emoji:
  function mrkdwn(src, ctx) {
    const stash = [];
    const keep = (html) => `\u0000${stash.push(html) - 1}\u0001`;
    let s = String(src || "");
    s = s.replace(/```([\s\S]*?)```/g, (_, c) => keep(`<pre class="code">${esc(unent(c.replace(/^\n/, "")))}</pre>`));
    s = s.replace(/`([^`\n]+)`/g, (_, c) => keep(`<code>${esc(unent(c))}</code>`));
    s = s.replace(/<([^<>\n]+)>/g, (_, inner) => keep(angle(inner, ctx)));
    s = esc(unent(s));
    const edge = "(^|[\\s(\\u0001>\"'«“])";
    const end = "(?=$|[\\s).,!?:;\\u0000<\"'»”])";
    s = s.replace(new RegExp(edge + "\\*([^*\\n]+?)\\*" + end, "g"), "$1<b>$2</b>");
    s = s.replace(new RegExp(edge + "_([^_\\n]+?)_" + end, "g"), "$1<i>$2</i>");
    s = s.replace(new RegExp(edge + "~([^~\\n]+?)~" + end, "g"), "$1<s>$2</s>");
    s = emojify(s);
    const out = [];
    let quote = [];
    const flush = () => { if (quote.length) { out.push(`<blockquote>${quote.join("<br>")}</blockquote>`); quote = []; } };
    for (const line of s.split("\n")) {
      if (line.startsWith("&gt; ") || line === "&gt;") quote.push(line.replace(/^&gt; ?/, ""));
      else { flush(); out.push(line + "<br>"); }
    }
    flush();
    let html = out.join("").replace(/<br>$/, "");
    html = html.replace(/<\/blockquote><br>/g, "</blockquote>");
    return html.replace(/\u0000(\d+)\u0001/g, (_, i) => stash[Number(i)]);
  }

  function textObj(t, ctx) {
    if (!t) return "";
    if (t.type === "mrkdwn") return mrkdwn(t.text, ctx);
    return emojify(esc(unent(t.text || ""))).replace(/\n/g, "<br>");
  }

  // plain_text: no mention or link is parsed, but Slack decodes &amp; &lt; &gt; for display there too.
  function plain(t) { return t ? unent(String(t.text || "")) : ""; }

  function optionLabel(o) { return plain(o.text); }

  function allOptions(elm) {
    const opts = [...(elm.options || [])];
    for (const g of elm.option_groups || []) opts.push(...(g.options || []));
    return opts;
  }

  // --- interactive elements -----------------------------------------------------------------
  function button(block, elm, ctx) {
    const b = el("button", `bk-btn ${elm.style || ""}`.trim(), textObj(elm.text, ctx));
    b.type = "button";
    b.dataset.actionId = elm.action_id;
    if (elm.value !== undefined) b.dataset.value = elm.value;
    b.addEventListener("click", async () => {
      if (elm.confirm && !(await ctx.confirm(elm.confirm))) return;
      if (elm.url) window.open(elm.url, "_blank", "noopener");
      ctx.onAction(block, elm, { value: elm.value, node: b });
    });
    return b;
  }

  function staticSelect(block, elm, ctx, forInput) {
    const sel = el("select", "bk-select");
    sel.dataset.actionId = elm.action_id;
    const ph = el("option", "", esc(plain(elm.placeholder) || "Choisir… / Select…"));
    ph.value = ""; ph.disabled = true; ph.selected = true;
    sel.appendChild(ph);
    const addOpt = (parent, o) => {
      const op = el("option", "", emojify(esc(optionLabel(o))));
      op.value = o.value;
      if (elm.initial_option && elm.initial_option.value === o.value) { op.selected = true; ph.selected = false; }
      parent.appendChild(op);
    };
    if (elm.option_groups) {
      for (const g of elm.option_groups) {
        const og = el("optgroup"); og.label = plain(g.label);
        (g.options || []).forEach((o) => addOpt(og, o));
        sel.appendChild(og);
      }
    } else (elm.options || []).forEach((o) => addOpt(sel, o));
    if (!forInput) {
      sel.addEventListener("change", () => ctx.onAction(block, elm, { selected: sel.value, node: sel }));
    }
    return sel;
  }

  function overflow(block, elm, ctx) {
    const wrap = el("div", "bk-overflow");
    const b = el("button", "bk-btn bk-overflow-btn", "&#8942;");
    b.type = "button"; b.title = "More actions"; b.dataset.actionId = elm.action_id;
    const menu = el("div", "bk-menu");
    for (const o of elm.options || []) {
      const item = el("button", "bk-menu-item", emojify(esc(optionLabel(o))));
      item.type = "button"; item.dataset.value = o.value;
      item.addEventListener("click", (ev) => {
        ev.stopPropagation(); wrap.classList.remove("open");
        ctx.onAction(block, elm, { selected: o.value, node: b });
      });
      menu.appendChild(item);
    }
    b.addEventListener("click", (ev) => {
      ev.stopPropagation();
      document.querySelectorAll(".bk-overflow.open").forEach((n) => n !== wrap && n.classList.remove("open"));
      wrap.classList.toggle("open");
    });
    wrap.append(b, menu);
    return wrap;
  }

  function imageEl(elm, cls) {
    const img = el("img", cls);
    img.src = elm.image_url || ""; img.alt = elm.alt_text || ""; img.loading = "lazy";
    img.onerror = () => { img.replaceWith(el("span", `${cls} img-missing`, esc(elm.alt_text || "image"))); };
    return img;
  }

  function element(block, elm, ctx, forInput) {
    switch (elm.type) {
      case "button": return button(block, elm, ctx);
      case "static_select": return staticSelect(block, elm, ctx, forInput);
      case "overflow": return overflow(block, elm, ctx);
      case "image": return imageEl(elm, "bk-accessory-img");
      case "users_select": {
        const fake = { ...elm, options: Object.values(ctx.users).filter((u) => !u.is_bot)
          .map((u) => ({ text: { type: "plain_text", text: u.real_name }, value: u.id })) };
        if (elm.initial_user) fake.initial_option = { value: elm.initial_user };
        return staticSelect(block, fake, ctx, forInput);
      }
      default: {
        const span = el("span", "bk-unsupported", esc(elm.type));
        span.title = "Not rendered by the local workspace";
        return span;
      }
    }
  }

  // --- modal inputs -------------------------------------------------------------------------
  function inputElement(block, elm, ctx) {
    let node;
    const register = (read) => ctx.inputs.push({ block_id: block.block_id, action_id: elm.action_id, read });
    switch (elm.type) {
      case "plain_text_input":
      case "email_text_input":
      case "url_text_input":
      case "number_input": {
        node = elm.multiline ? el("textarea", "bk-input bk-textarea") : el("input", "bk-input");
        if (!elm.multiline) node.type = elm.type === "number_input" ? "number" : elm.type === "email_text_input" ? "email" : "text";
        node.value = elm.initial_value || "";
        if (elm.placeholder) node.placeholder = plain(elm.placeholder);
        if (elm.max_length) node.maxLength = elm.max_length;
        if (elm.focus_on_load) node.autofocus = true;
        register(() => node.value);
        break;
      }
      case "static_select":
      case "users_select": {
        node = element(block, elm, ctx, true);
        register(() => node.value || null);
        break;
      }
      case "checkboxes":
      case "radio_buttons": {
        node = el("div", "bk-choices");
        const multi = elm.type === "checkboxes";
        const initial = new Set(multi ? (elm.initial_options || []).map((o) => o.value)
          : elm.initial_option ? [elm.initial_option.value] : []);
        const name = `${block.block_id}-${elm.action_id}`;
        for (const o of elm.options || []) {
          const lab = el("label", "bk-choice");
          const inp = el("input"); inp.type = multi ? "checkbox" : "radio"; inp.name = name; inp.value = o.value;
          inp.checked = initial.has(o.value);
          lab.append(inp, el("span", "", textObj(o.text, ctx)));
          node.appendChild(lab);
        }
        register(() => {
          const checked = [...node.querySelectorAll("input:checked")].map((i) => i.value);
          return multi ? checked : (checked[0] || null);
        });
        break;
      }
      case "datepicker": {
        node = el("input", "bk-input"); node.type = "date"; node.value = elm.initial_date || "";
        register(() => node.value || null);
        break;
      }
      default:
        node = element(block, elm, ctx, true);
    }
    node.dataset.actionId = elm.action_id;
    return node;
  }

  // --- blocks -------------------------------------------------------------------------------
  function renderBlock(block, ctx) {
    const wrap = el("div", `bk bk-${block.type}`);
    wrap.dataset.blockId = block.block_id || "";
    switch (block.type) {
      case "header":
        wrap.innerHTML = textObj(block.text, ctx);
        break;
      case "section": {
        const body = el("div", "bk-section-body");
        if (block.text) body.appendChild(el("div", "bk-text", textObj(block.text, ctx)));
        if (block.fields) {
          const grid = el("div", "bk-fields");
          block.fields.forEach((f) => grid.appendChild(el("div", "bk-field", textObj(f, ctx))));
          body.appendChild(grid);
        }
        wrap.appendChild(body);
        if (block.accessory) {
          const acc = el("div", "bk-accessory");
          acc.appendChild(element(block, block.accessory, ctx, false));
          wrap.appendChild(acc);
        }
        break;
      }
      case "divider":
        wrap.appendChild(el("hr"));
        break;
      case "context":
        for (const e of block.elements || []) {
          wrap.appendChild(e.type === "image" ? imageEl(e, "bk-context-img") : el("span", "bk-context-text", textObj(e, ctx)));
        }
        break;
      case "image": {
        if (block.title) wrap.appendChild(el("div", "bk-image-title", textObj(block.title, ctx)));
        wrap.appendChild(imageEl(block, "bk-image"));
        break;
      }
      case "actions":
        for (const e of block.elements || []) wrap.appendChild(element(block, e, ctx, false));
        break;
      case "input": {
        const label = el("label", "bk-label", esc(plain(block.label)));
        if (block.optional) label.appendChild(el("span", "bk-optional", " (optional)"));
        wrap.appendChild(label);
        if (ctx.mode === "modal" || ctx.inputs) wrap.appendChild(inputElement(block, block.element || {}, ctx));
        if (block.hint) wrap.appendChild(el("div", "bk-hint", esc(plain(block.hint))));
        const err = ctx.errors && ctx.errors[block.block_id];
        if (err) { wrap.classList.add("has-error"); wrap.appendChild(el("div", "bk-error", esc(err))); }
        break;
      }
      case "rich_text":
        wrap.innerHTML = richText(block, ctx);
        break;
      case "markdown":
        wrap.innerHTML = mrkdwn(block.text || "", ctx);
        break;
      default:
        wrap.appendChild(el("div", "bk-unsupported", `[${esc(block.type)} block]`));
    }
    return wrap;
  }

  function richText(block, ctx) {
    const inline = (e) => {
      let h;
      if (e.type === "text") h = esc(e.text).replace(/\n/g, "<br>");
      else if (e.type === "link") h = `<a href="${esc(e.url)}" target="_blank" rel="noopener">${esc(e.text || e.url)}</a>`;
      else if (e.type === "emoji") h = emoji(e.name) || `:${esc(e.name)}:`;
      else if (e.type === "user") h = angle("@" + e.user_id, ctx);
      else if (e.type === "channel") h = angle("#" + e.channel_id, ctx);
      else h = "";
      const st = e.style || {};
      if (st.code) h = `<code>${h}</code>`;
      if (st.bold) h = `<b>${h}</b>`;
      if (st.italic) h = `<i>${h}</i>`;
      if (st.strike) h = `<s>${h}</s>`;
      return h;
    };
    return (block.elements || []).map((sec) => {
      const inner = (sec.elements || []).map((e) => e.elements ? `<li>${e.elements.map(inline).join("")}</li>` : inline(e)).join("");
      if (sec.type === "rich_text_quote") return `<blockquote>${inner}</blockquote>`;
      if (sec.type === "rich_text_preformatted") return `<pre class="code">${inner}</pre>`;
      if (sec.type === "rich_text_list") return sec.style === "ordered" ? `<ol>${inner}</ol>` : `<ul>${inner}</ul>`;
      return `<div>${inner}</div>`;
    }).join("");
  }

  function renderBlocks(blocks, ctx) {
    const frag = el("div", "bk-blocks");
    for (const b of blocks || []) frag.appendChild(renderBlock(b, ctx));
    return frag;
  }

  window.BK = { mrkdwn, renderBlocks, textObj, esc, plain, emojify, allOptions };
})();
