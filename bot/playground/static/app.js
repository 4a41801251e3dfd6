// Recall playground: draws the emulated channel and turns clicks and typed commands into calls to the local server.
// All text from the bot (deck content included) is inserted as text nodes, never as HTML.
"use strict";

const BUTTON_STYLES = { 1: "primary", 2: "secondary", 3: "success", 4: "danger", 5: "link", 6: "primary" };
const AVATAR_COLOURS = ["#5865f2", "#3ba55c", "#faa61a", "#ed4245", "#eb459e", "#747f8d"];
const OPTION_TYPES = { 3: "text", 4: "whole number", 5: "True/False", 6: "member", 10: "number", 11: "file" };
const SAVED_MEMBER = "recall-playground-member";
const SAVED_LANGUAGES = "recall-playground-languages"; // {"members": {name: locale}, "server": locale}

const state = {
  member: null,          // the id (string) of the member the page plays as
  members: [],
  commands: [],          // as the member's Discord client lists them: name (sent), label (shown, in their language)
  languages: { client: "en-US", server: "en-US", offered: [] },
  messages: [],
  problems: [],
  socket: null,
  rendered: new Map(),   // message id -> {key, element}: unchanged messages keep their element
  hidden: new Set(),     // ephemeral messages dismissed on this page
  modal: null,           // {interaction, data}
  suggest: { items: [], index: -1, explicit: false, token: 0, blur: null },
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// --- talking to the server -------------------------------------------------------------------------------

async function api(path, body) {
  const response = await fetch(path, body === undefined ? {} : {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  let data = {};
  try { data = await response.json(); } catch (_) { data = { ok: false, error: `HTTP ${response.status}` }; }
  if (!response.ok && data.ok === undefined) data.ok = false;
  return data;
}

function toast(text) {
  const node = el("div", { class: "toast", role: "alert", text });
  $("toasts").append(node);
  setTimeout(() => node.remove(), 6000);
}

async function act(path, body) {
  const result = await api(path, { member: state.member, ...body });
  if (result.modal) openModal(result.interaction, result.modal);
  else if (result.ok === false) toast(result.error || "Something went wrong.");
  return result;
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/ws?member=${encodeURIComponent(state.member)}`);
  state.socket = socket;
  socket.addEventListener("open", () => setStatus("live", true));
  socket.addEventListener("message", (event) => {
    const data = JSON.parse(event.data);
    if (data.type === "channel") {
      state.messages = data.messages;
      state.problems = data.problems || [];
      renderMessages();
      renderProblems();
    }
  });
  socket.addEventListener("close", () => {
    if (state.socket !== socket) return;
    setStatus("reconnecting…", false);
    setTimeout(connect, 1000);
  });
}

function setStatus(text, ok) {
  const node = $("bot-status");
  node.textContent = text;
  node.classList.toggle("ok", ok);
}

// --- members ---------------------------------------------------------------------------------------------

function renderMembers() {
  const box = $("member-switch");
  box.replaceChildren(...state.members.map((m) => el("button", {
    type: "button", class: "member", role: "radio", "aria-checked": String(m.id === state.member),
    "data-member": m.name, onclick: () => switchMember(m.id),
  }, avatar(m.name, m.id, 24), el("span", { text: m.name }), m.manage_guild ? el("span", { class: "role", text: "Manage Server" }) : null,
  m.locale && m.locale !== "en-US" ? el("span", { class: "locale", title: "Client language", text: m.locale }) : null)));
  const me = currentMember();
  $("command-input").placeholder = me ? `Type / to use a command, as ${me.name}` : "Type / to use a command";
}

function currentMember() {
  return state.members.find((m) => m.id === state.member);
}

async function switchMember(id) {
  state.member = id;
  localStorage.setItem(SAVED_MEMBER, currentMember().name);
  state.rendered.clear();
  renderMembers();
  if (state.socket && state.socket.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify({ member: id }));
  await refreshLanguages(); // each member's client has its own language: their commands are listed in it
}

// --- languages -------------------------------------------------------------------------------------------

function savedLanguages() {
  try {
    const saved = JSON.parse(localStorage.getItem(SAVED_LANGUAGES) || "{}");
    return { members: saved.members || {}, server: saved.server || null };
  } catch (_) {
    return { members: {}, server: null };
  }
}

function saveLanguages(change) {
  const saved = savedLanguages();
  if (change.member) saved.members[change.member] = change.client;
  if (change.server) saved.server = change.server;
  localStorage.setItem(SAVED_LANGUAGES, JSON.stringify(saved));
}

function applyLanguages(languages, commands) {
  state.languages = languages;
  if (commands) state.commands = commands;
  state.rendered.clear(); // "alice used /…" lines name commands in the viewer's language
  renderMessages();
  const me = currentMember();
  if (me) me.locale = languages.client;
  renderMembers();
  renderLanguages();
  if (document.activeElement === $("command-input")) updateComposer();
}

function renderLanguages() {
  const { offered, client, server } = state.languages;
  for (const [id, current] of [["client-language", client], ["server-language", server]]) {
    const select = $(id);
    const known = offered.some((o) => o.locale === current);
    // A locale without a catalog (set through the API) is still shown: Recall answers it in English.
    const choices = known ? offered : [...offered, { locale: current, name: `${current} (English replies)` }];
    select.replaceChildren(...choices.map((o) => el("option", { value: o.locale, selected: o.locale === current, text: o.name })));
    select.value = current;
  }
  const chosen = state.languages.chosen;
  const note = $("chosen-language");
  note.hidden = !chosen;
  note.textContent = chosen ? `An admin chose ${chosen.name} with /recall-admin language: public posts use it, whatever the server language.` : "";
}

async function setLanguage(change) {
  const body = { member: state.member };
  if (change.client) body.client_locale = change.client;
  if (change.server) body.server_locale = change.server;
  const result = await api("/api/language", body);
  if (result.ok === false) {
    toast(result.error || "Could not change the language.");
    renderLanguages();
    return false;
  }
  if (body.member === state.member) applyLanguages(result, result.commands);
  return true;
}

async function onLanguageChange(which) {
  const locale = $(`${which}-language`).value;
  const me = currentMember();
  if (!(await setLanguage({ [which]: locale }))) return;
  saveLanguages(which === "client" ? { member: me.name, client: locale } : { server: locale });
}

async function refreshLanguages() {
  const id = state.member;
  const fresh = await api(`/api/state?member=${encodeURIComponent(id)}`);
  if (fresh.ok === false || state.member !== id) return; // switched again meanwhile
  state.members = fresh.members;
  applyLanguages(fresh.languages, fresh.commands);
}

async function restoreLanguages(members) {
  // The emulator forgets them when the playground restarts; the page remembers them.
  const saved = savedLanguages();
  for (const m of members) {
    const wanted = saved.members[m.name];
    if (wanted && wanted !== m.locale) await api("/api/language", { member: m.id, client_locale: wanted });
  }
  if (saved.server) await api("/api/language", { member: members[0].id, server_locale: saved.server });
}

function avatar(name, id, size = 40) {
  const colour = AVATAR_COLOURS[Number(BigInt(id) % BigInt(AVATAR_COLOURS.length))];
  const node = el("div", { class: "avatar", "aria-hidden": "true", text: (name || "?").slice(0, 1).toUpperCase() });
  node.style.background = colour;
  if (size !== 40) Object.assign(node.style, { width: `${size}px`, height: `${size}px`, fontSize: `${size / 2}px` });
  return node;
}

// --- deck problems ---------------------------------------------------------------------------------------

function renderProblems() {
  const box = $("problems");
  box.hidden = state.problems.length === 0;
  $("problems-title").textContent = `${state.problems.length} deck problem${state.problems.length === 1 ? "" : "s"}`;
  $("problem-list").replaceChildren(...state.problems.map((p) => el("li", { text: p })));
}

async function reloadDecks() {
  const result = await api("/api/reload-decks", {});
  if (result.ok === false) return toast(result.error);
  state.problems = result.problems;
  renderProblems();
  $("deck-folder").textContent = `${result.count} deck(s) loaded from ${state.deckFolder}`;
  toast(result.problems.length ? `Reloaded: ${result.problems.length} problem(s).` : `Reloaded ${result.count} deck(s), no problems.`);
}

// --- messages --------------------------------------------------------------------------------------------

function renderMessages() {
  const box = $("messages");
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  const nodes = [$("welcome")];
  const seen = new Set();
  for (const message of state.messages) {
    if (state.hidden.has(message.id)) continue;
    const key = JSON.stringify(message);
    let cached = state.rendered.get(message.id);
    if (!cached || cached.key !== key) {
      cached = { key, element: renderMessage(message) };
      state.rendered.set(message.id, cached);
    }
    seen.add(message.id);
    nodes.push(cached.element);
  }
  for (const id of [...state.rendered.keys()]) if (!seen.has(id)) state.rendered.delete(id);
  box.replaceChildren(...nodes);
  refreshTimestamps();
  if (nearBottom) box.scrollTop = box.scrollHeight;
}

function renderMessage(message) {
  const time = message.timestamp ? new Date(message.timestamp) : null;
  const body = el("div", { class: "body" },
    el("div", { class: "meta" },
      el("span", { class: "author", text: message.author.name }),
      message.author.bot ? el("span", { class: "bot-tag", text: "App" }) : null,
      time ? el("time", { class: "time", datetime: message.timestamp, text: time.toLocaleTimeString(clientLocale(), { hour: "2-digit", minute: "2-digit" }) }) : null,
      message.edited ? el("span", { class: "edited", text: "(edited)" }) : null),
  );
  if (message.loading) body.append(el("div", { class: "thinking", text: `${message.author.name} is thinking` }));
  if (message.content) body.append(markdown(message.content, "content"));
  // Discord shows an attachment that an embed names as attachment://file inside that embed, not again below.
  const byName = new Map(message.attachments.map((a) => [a.filename, a.url]));
  const used = new Set();
  const resolve = (url) => {
    if (!url || !url.startsWith("attachment://")) return url;
    const name = url.slice("attachment://".length);
    used.add(name);
    return byName.get(name) || null;
  };
  for (const embed of message.embeds) body.append(renderEmbed(embed, resolve));
  const loose = message.attachments.filter((a) => !used.has(a.filename));
  if (loose.length) body.append(renderAttachments(loose));
  if (message.components.length) body.append(renderComponents(message.components, message));
  if (message.reactions.length) body.append(renderReactions(message));
  else if (!message.ephemeral && !message.loading) body.append(addReactionHover(message));
  if (message.ephemeral) {
    body.append(el("div", { class: "ephemeral-note" }, "👁 Only you can see this · ",
      el("button", { type: "button", text: "Dismiss message", onclick: () => { state.hidden.add(message.id); renderMessages(); } })));
  }
  const article = el("article", { class: `message${message.ephemeral ? " ephemeral" : ""}`, "data-id": message.id, "data-author": message.author.name });
  if (message.interaction) {
    // The viewer's client names the command in its own language.
    const entry = state.commands.find((c) => c.name === message.interaction.command);
    const command = entry ? labelOf(entry) : message.interaction.command;
    const used = command ? ` used /${command}` : " used a command";
    article.append(el("div", { class: "reply-line", text: `↱ ${message.interaction.user}${used}` }));
  }
  article.append(avatar(message.author.name, message.author.id), body);
  return article;
}

function colourOf(value) {
  return value === undefined || value === null ? null : `#${Number(value).toString(16).padStart(6, "0")}`;
}

function renderEmbed(embed, resolve) {
  const box = el("div", { class: "embed" });
  const colour = colourOf(embed.color);
  if (colour) box.style.borderLeftColor = colour;
  const thumbnail = resolve(embed.thumbnail && embed.thumbnail.url);
  if (thumbnail) box.append(el("img", { class: "embed-thumbnail", src: thumbnail, alt: "" }));
  if (embed.author && embed.author.name) box.append(el("div", { class: "embed-author", text: embed.author.name }));
  if (embed.title) {
    const title = markdown(embed.title, "embed-title");
    box.append(embed.url ? el("a", { href: embed.url, target: "_blank", rel: "noopener" }, title) : title);
  }
  if (embed.description) box.append(markdown(embed.description, "embed-description content"));
  if (embed.fields && embed.fields.length) {
    box.append(el("div", { class: "embed-fields" }, embed.fields.map((f) => el("div", { class: `embed-field${f.inline ? " inline" : ""}` },
      markdown(f.name, "embed-field-name content"), markdown(f.value, "embed-field-value content")))));
  }
  const image = resolve(embed.image && embed.image.url);
  if (image) box.append(el("div", { class: "embed-image" }, el("img", { src: image, alt: "" })));
  const footer = [embed.footer && embed.footer.text, embed.timestamp && new Date(embed.timestamp).toLocaleString(clientLocale())].filter(Boolean);
  if (footer.length) box.append(el("div", { class: "embed-footer", text: footer.join(" • ") }));
  return box;
}

function renderAttachments(attachments) {
  return el("div", { class: "attachments" }, attachments.map((a) => a.image
    ? el("img", { class: "attachment-image", src: a.url, alt: a.filename, title: a.filename })
    : el("a", { class: "attachment-file", href: a.url, target: "_blank", rel: "noopener", text: `📄 ${a.filename}` })));
}

function renderReactions(message) {
  const add = el("button", {
    type: "button", class: "reaction add-reaction", title: "Add a reaction", "aria-label": "Add a reaction",
    onclick: () => {
      const emoji = (window.prompt("React with which emoji? (for example 🇦 or 👍)") || "").trim();
      if (emoji) act("/api/react", { message: message.id, emoji });
    },
  }, "➕");
  return el("div", { class: "reactions" }, message.reactions.map((r) => el("button", {
    type: "button", class: "reaction", "aria-pressed": String(r.me), "data-emoji": r.emoji,
    title: r.me ? "Remove your reaction" : "React",
    onclick: () => act("/api/react", { message: message.id, emoji: r.emoji }),
  }, el("span", { class: "emoji", text: r.emoji }), el("span", { class: "count", text: String(r.count) }))), add);
}

function addReactionHover(message) {
  // Messages without reactions offer one on hover, as Discord's toolbar does.
  const box = renderReactions({ ...message, reactions: [] });
  box.classList.add("on-hover");
  return box;
}

// --- components (buttons, selects, and Components V2 layouts) ---------------------------------------------

function renderComponents(components, message) {
  return el("div", { class: "components" }, components.map((c) => renderComponent(c, message)));
}

function renderComponent(comp, message) {
  switch (comp.type) {
    case 1: return el("div", { class: "action-row" }, (comp.components || []).map((c) => renderComponent(c, message)));
    case 2: return renderButton(comp, message);
    case 3: case 5: case 6: case 7: case 8: return renderSelect(comp, message);
    case 9: return el("div", { class: "section" }, (comp.components || []).map((c) => renderComponent(c, message)),
      comp.accessory ? renderComponent(comp.accessory, message) : null);
    case 10: return markdown(comp.content || "", "content");
    case 11: return comp.media && comp.media.url ? el("img", { class: "embed-thumbnail", src: comp.media.url, alt: comp.description || "" }) : null;
    case 12: return el("div", { class: "attachments" }, (comp.items || []).map((i) => el("img", { class: "attachment-image", src: i.media.url, alt: i.description || "" })));
    case 14: return el("hr", { class: "separator" });
    case 17: {
      const box = el("div", { class: "container" }, (comp.components || []).map((c) => renderComponent(c, message)));
      const colour = colourOf(comp.accent_color);
      if (colour) box.style.borderLeftColor = colour;
      return box;
    }
    default: return null;
  }
}

function renderButton(comp, message) {
  const style = BUTTON_STYLES[comp.style] || "secondary";
  const label = [comp.emoji && comp.emoji.name, comp.label].filter(Boolean).join(" ");
  if (comp.style === 5) {
    return el("a", { class: "btn btn-link", href: comp.url, target: "_blank", rel: "noopener", text: `${label} ↗` });
  }
  const button = el("button", {
    type: "button", class: `btn btn-${style}`, disabled: Boolean(comp.disabled), "data-custom-id": comp.custom_id, text: label || "\u00a0",
  });
  button.addEventListener("click", async () => {
    button.classList.add("busy");
    try { await act("/api/click", { message: message.id, custom_id: comp.custom_id }); } finally { button.classList.remove("busy"); }
  });
  return button;
}

function renderSelect(comp, message) {
  const multiple = (comp.max_values || 1) > 1;
  const options = (comp.options || []).map((o) => el("option", { value: o.value, selected: Boolean(o.default), text: [o.emoji && o.emoji.name, o.label].filter(Boolean).join(" ") }));
  const select = el("select", { class: "select", "data-custom-id": comp.custom_id, disabled: Boolean(comp.disabled), multiple },
    multiple ? null : el("option", { value: "", disabled: true, selected: !comp.options || !comp.options.some((o) => o.default), text: comp.placeholder || "Make a selection" }),
    options);
  const send = () => {
    const values = [...select.selectedOptions].map((o) => o.value).filter(Boolean);
    if (values.length) act("/api/select", { message: message.id, custom_id: comp.custom_id, values });
  };
  if (!multiple) {
    select.addEventListener("change", send);
    return select;
  }
  return el("div", { class: "action-row" }, select, el("button", { type: "button", class: "btn btn-primary", text: "Choose", onclick: send }));
}

// --- Discord markdown (a useful subset) --------------------------------------------------------------------

const INLINE = /(`[^`\n]+`|\*\*[\s\S]+?\*\*|__[\s\S]+?__|~~[\s\S]+?~~|\|\|[\s\S]+?\|\||\*(?!\s)[^*\n]+?\*|\b_[^_\n]+?_\b|<t:-?\d+(?::[tTdDfFR])?>|<@!?\d+>|<#\d+>|<a?:\w+:\d+>|\[[^\]\n]+\]\(<?https?:\/\/[^)\s>]+>?\))/;

function markdown(text, className) {
  const box = el("div", { class: className });
  const parts = String(text).split(/```(?:[\w+-]*\n)?([\s\S]*?)```/);
  parts.forEach((part, i) => {
    if (i % 2 === 1) box.append(el("pre", { text: part.replace(/\n$/, "") }));
    else appendLines(box, part);
  });
  return box;
}

function appendLines(box, text) {
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    const heading = /^(#{1,3}) (.*)$/.exec(line);
    const quote = /^>>?>? ?(.*)$/.exec(line);
    const item = /^\s*[-*] (.*)$/.exec(line);
    if (heading) box.append(el(`h${heading[1].length}`, {}, inline(heading[2])));
    else if (quote) box.append(el("blockquote", {}, inline(quote[1])));
    else if (item) box.append(el("div", { class: "li" }, inline(item[1])));
    else {
      box.append(...inline(line));
      if (i < lines.length - 1) box.append("\n");
    }
  });
}

function inline(text) {
  const out = [];
  let rest = text;
  while (rest) {
    const match = INLINE.exec(rest);
    if (!match) { out.push(document.createTextNode(rest)); break; }
    if (match.index) out.push(document.createTextNode(rest.slice(0, match.index)));
    out.push(token(match[0]));
    rest = rest.slice(match.index + match[0].length);
  }
  return out;
}

function token(raw) {
  if (raw.startsWith("`")) return el("code", { text: raw.slice(1, -1) });
  if (raw.startsWith("**")) return el("strong", {}, inline(raw.slice(2, -2)));
  if (raw.startsWith("__")) return el("u", {}, inline(raw.slice(2, -2)));
  if (raw.startsWith("~~")) return el("s", {}, inline(raw.slice(2, -2)));
  if (raw.startsWith("||")) {
    const node = el("span", { class: "spoiler", title: "Spoiler: click to show" }, inline(raw.slice(2, -2)));
    node.addEventListener("click", () => node.classList.add("shown"));
    return node;
  }
  if (raw.startsWith("<t:")) {
    const [, unix, style] = /<t:(-?\d+)(?::(\w))?>/.exec(raw);
    return el("span", { class: "timestamp", "data-unix": unix, "data-style": style || "f", text: formatTimestamp(Number(unix), style || "f") });
  }
  if (raw.startsWith("<@")) {
    const id = raw.replace(/[<@!>]/g, "");
    const who = state.members.find((m) => m.id === id);
    return el("span", { class: "mention", text: `@${who ? who.name : id === state.botId ? state.botName : "unknown-user"}` });
  }
  if (raw.startsWith("<#")) return el("span", { class: "mention", text: "#general" });
  if (raw.startsWith("<")) return document.createTextNode(`:${raw.split(":")[1]}:`);
  if (raw.startsWith("[")) {
    const [, label, url] = /^\[([^\]]+)\]\(<?([^)>]+)>?\)$/.exec(raw);
    return el("a", { href: url, target: "_blank", rel: "noopener" }, inline(label));
  }
  return el("em", {}, inline(raw.slice(1, -1)));
}

function formatTimestamp(unix, style) {
  const date = new Date(unix * 1000);
  switch (style) {
    case "t": return date.toLocaleTimeString(clientLocale(), { hour: "2-digit", minute: "2-digit" });
    case "T": return date.toLocaleTimeString(clientLocale());
    case "d": return date.toLocaleDateString(clientLocale());
    case "D": return date.toLocaleDateString(clientLocale(), { dateStyle: "long" });
    case "F": return date.toLocaleString(clientLocale(), { dateStyle: "full", timeStyle: "short" });
    case "R": return relative(unix - Date.now() / 1000);
    default: return date.toLocaleString(clientLocale(), { dateStyle: "long", timeStyle: "short" });
  }
}

function clientLocale() {
  // Discord's own timestamps (<t:…>) are written by each member's client, in its language.
  return state.languages.client || undefined;
}

function relative(seconds) {
  const units = [["year", 31536000], ["month", 2592000], ["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];
  const size = Math.abs(seconds);
  const [unit, length] = units.find(([, s]) => size >= s) || ["second", 1];
  const count = Math.round(size / length);
  return new Intl.RelativeTimeFormat(clientLocale(), { numeric: "always" }).format(seconds >= 0 ? count : -count, unit);
}

function refreshTimestamps() {
  for (const node of document.querySelectorAll('.timestamp[data-style="R"]')) {
    node.textContent = formatTimestamp(Number(node.dataset.unix), "R");
  }
}

// --- the composer: "/command name:value other:value" ---------------------------------------------------------

function labelOf(item) {
  return item.label || item.name;
}

function parseInput(text) {
  if (!text.startsWith("/")) return { mode: "text" };
  const body = text.slice(1);
  // A member types a command as their client shows it (label) or by its registered name; the longest match wins.
  const typed = state.commands.flatMap((c) => [{ c, as: labelOf(c) }, { c, as: c.name }])
    .sort((a, b) => b.as.length - a.as.length)
    .find(({ as }) => body === as || body.startsWith(`${as} `));
  if (!typed) return { mode: "command", query: body.trim().toLowerCase() };
  const entry = typed.c;
  const rest = body.slice(typed.as.length);
  // Option names as typed -> registered names; a registered name wins over another option's label.
  const names = new Map();
  for (const o of entry.options) names.set(labelOf(o), o.name);
  for (const o of entry.options) names.set(o.name, o.name);
  const pattern = new RegExp(`(^|\\s)(${[...names.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp).join("|") || "(?!)"}):`, "g");
  const marks = [];
  let match;
  while ((match = pattern.exec(rest)) !== null) marks.push({ name: names.get(match[2]), start: match.index + match[1].length, valueStart: pattern.lastIndex });
  const options = {};
  marks.forEach((mark, i) => {
    const end = i + 1 < marks.length ? marks[i + 1].start : rest.length;
    options[mark.name] = rest.slice(mark.valueStart, end);
  });
  const stray = rest.slice(0, marks.length ? marks[0].start : rest.length).trim();
  const last = marks.length ? marks[marks.length - 1] : null;
  return { mode: "options", entry, options, stray, last: last && last.name, endsWithSpace: /\s$/.test(text) };
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function optionSpec(entry, name) {
  return entry.options.find((o) => o.name === name);
}

async function updateComposer() {
  const input = $("command-input");
  const parsed = parseInput(input.value);
  renderChips(parsed);
  renderFileInputs(parsed);
  const token = ++state.suggest.token;
  const items = await suggestionsFor(parsed, input.value);
  if (token !== state.suggest.token) return; // a newer keystroke already answered
  showSuggestions(items);
}

async function suggestionsFor(parsed, text) {
  if (parsed.mode === "text") return [];
  if (parsed.mode === "command") {
    const query = parsed.query;
    const matches = (name) => name.toLowerCase().startsWith(query) || (query && name.toLowerCase().includes(query));
    return state.commands.filter((c) => matches(labelOf(c)) || matches(c.name))
      .sort((a, b) => labelOf(a).localeCompare(labelOf(b)))
      .map((c) => ({
        heading: "Commands", name: `/${labelOf(c)}`,
        desc: `${c.admin ? "🔒 Manage Server · " : ""}${c.description}${labelOf(c) !== c.name ? ` · /${c.name}` : ""}`,
        apply: () => `/${labelOf(c)} `,
      }));
  }
  const { entry, options, last } = parsed;
  const lastValue = last ? options[last] : "";
  const partial = /(\S*)$/.exec(text)[1];
  const unused = entry.options.filter((o) => !(o.name in options) && o.type !== 11);
  const typingName = !last || parsed.endsWithSpace || /\s/.test(lastValue.trim());
  if (typingName) {
    const start = partial.toLowerCase();
    const names = unused.filter((o) => (labelOf(o).toLowerCase().startsWith(start) || o.name.startsWith(start)) && !partial.includes(":"));
    if (names.length || !last) {
      return names.map((o) => ({
        heading: `Options of /${labelOf(entry)}`, name: `${labelOf(o)}${o.required ? " *" : ""}`, desc: `${OPTION_TYPES[o.type] || ""} · ${o.description}`,
        apply: () => text.slice(0, text.length - partial.length) + `${labelOf(o)}:`,
      }));
    }
  }
  return valueSuggestions(parsed, text);
}

async function valueSuggestions(parsed, text) {
  const { entry, options, last } = parsed;
  const spec = optionSpec(entry, last);
  const typed = options[last];
  const prefix = text.slice(0, text.length - typed.length);
  const pick = (value) => () => `${prefix}${value} `;
  let choices = [];
  if (spec.autocomplete) {
    const others = Object.fromEntries(Object.entries(options).filter(([k]) => k !== last).map(([k, v]) => [k, v.trim()]));
    const result = await api("/api/autocomplete", { member: state.member, command: entry.name, option: last, value: typed.trim(), options: others });
    choices = result.choices || [];
  } else if (spec.choices) {
    choices = spec.choices.filter((c) => String(c.name).toLowerCase().includes(typed.trim().toLowerCase()));
  } else if (spec.type === 5) {
    choices = [{ name: "True", value: "True" }, { name: "False", value: "False" }];
  } else if (spec.type === 6 || spec.type === 9) {
    choices = state.members.map((m) => ({ name: m.name, value: m.name }));
  }
  const heading = `${labelOf(spec)}: ${spec.description || OPTION_TYPES[spec.type] || ""}`;
  if (!choices.length) return [{ heading, name: OPTION_TYPES[spec.type] || "value", desc: rangeHint(spec), apply: null }];
  return choices.map((c) => ({ heading, name: String(c.name), desc: String(c.value) === String(c.name) ? "" : String(c.value), apply: pick(c.value) }));
}

function rangeHint(spec) {
  const bits = [];
  if (spec.min_value !== undefined || spec.max_value !== undefined) bits.push(`from ${spec.min_value ?? "…"} to ${spec.max_value ?? "…"}`);
  if (spec.max_length !== undefined) bits.push(`up to ${spec.max_length} characters`);
  return bits.join(", ") || "type a value";
}

function showSuggestions(items) {
  const box = $("suggestions");
  state.suggest.items = items;
  state.suggest.index = items.length ? 0 : -1;
  state.suggest.explicit = false;
  box.hidden = items.length === 0;
  const nodes = [];
  let heading = null;
  items.forEach((item, i) => {
    if (item.heading !== heading) { heading = item.heading; nodes.push(el("div", { class: "heading", text: heading })); }
    nodes.push(el("div", {
      class: `suggestion${i === 0 ? " active" : ""}`, role: "option", "data-index": i,
      onmousedown: (event) => { event.preventDefault(); applySuggestion(i); },
    }, el("span", { class: "name", text: item.name }), el("span", { class: "desc", text: item.desc || "" })));
  });
  box.replaceChildren(...nodes);
}

function moveSuggestion(step) {
  const { items } = state.suggest;
  if (!items.length) return;
  state.suggest.index = (state.suggest.index + step + items.length) % items.length;
  state.suggest.explicit = true;
  document.querySelectorAll("#suggestions .suggestion").forEach((node) => {
    const active = Number(node.dataset.index) === state.suggest.index;
    node.classList.toggle("active", active);
    if (active) node.scrollIntoView({ block: "nearest" });
  });
}

function applySuggestion(index) {
  const item = state.suggest.items[index];
  if (!item || !item.apply) return false;
  const input = $("command-input");
  input.value = item.apply();
  input.focus();
  updateComposer();
  return true;
}

function renderChips(parsed) {
  const box = $("option-chips");
  if (parsed.mode !== "options") return box.replaceChildren();
  box.replaceChildren(...parsed.entry.options.filter((o) => o.type !== 11).map((o) => {
    const value = parsed.options[o.name];
    const filled = value !== undefined && value.trim() !== "";
    return el("button", {
      type: "button", class: `chip${o.required ? " required" : ""}${filled ? " filled" : ""}`, title: o.description,
      onclick: () => {
        const input = $("command-input");
        if (!(o.name in parsed.options)) input.value = `${input.value.replace(/\s*$/, " ")}${labelOf(o)}:`;
        input.focus();
        updateComposer();
      },
    }, `${labelOf(o)}${o.required ? "*" : ""}`, filled ? el("span", { class: "chip-value", text: `: ${value.trim()}` }) : null);
  }));
}

function renderFileInputs(parsed) {
  const box = $("file-inputs");
  const wanted = parsed.mode === "options" ? parsed.entry.options.filter((o) => o.type === 11) : [];
  const key = parsed.mode === "options" ? parsed.entry.name : "";
  if (box.dataset.command === key) return; // keep chosen files while the rest of the line is edited
  box.dataset.command = key;
  box.replaceChildren(...wanted.map((o) => el("label", {}, `${labelOf(o)}${o.required ? "*" : ""}: `,
    el("input", { type: "file", "data-option": o.name, "aria-label": o.name }))));
}

async function readFiles() {
  const files = {};
  for (const input of document.querySelectorAll("#file-inputs input[type=file]")) {
    const file = input.files && input.files[0];
    if (!file) continue;
    const buffer = new Uint8Array(await file.arrayBuffer());
    let binary = "";
    for (let i = 0; i < buffer.length; i += 0x8000) binary += String.fromCharCode(...buffer.subarray(i, i + 0x8000));
    files[input.dataset.option] = { filename: file.name, data: btoa(binary) };
  }
  return files;
}

async function submitComposer(event) {
  event.preventDefault();
  const input = $("command-input");
  const parsed = parseInput(input.value.trim());
  if (parsed.mode === "text") {
    if (input.value.trim()) toast("Recall only listens to slash commands: type / to pick one.");
    return;
  }
  if (parsed.mode === "command") return toast(`There is no command /${parsed.query}. Type / to see them.`);
  if (parsed.stray) return toast(`"${parsed.stray}" is not an option of /${labelOf(parsed.entry)}; write options as name:value.`);
  const options = Object.fromEntries(Object.entries(parsed.options).map(([k, v]) => [k, v.trim()]));
  const files = await readFiles();
  showSuggestions([]);
  input.disabled = true;
  try {
    const result = await act("/api/command", { command: parsed.entry.name, options, files });
    if (result.ok !== false && parsed.entry.name === "recall-admin language") refreshLanguages();
    if (result.ok !== false) {
      input.value = "";
      $("file-inputs").dataset.command = "";
      updateComposer();
    }
  } finally {
    input.disabled = false;
    input.focus();
  }
}

function onComposerKey(event) {
  const open = !$("suggestions").hidden && state.suggest.items.length > 0;
  if (!open) return;
  if (event.key === "ArrowDown") { event.preventDefault(); moveSuggestion(1); }
  else if (event.key === "ArrowUp") { event.preventDefault(); moveSuggestion(-1); }
  else if (event.key === "Tab" || (event.key === "Enter" && state.suggest.explicit)) {
    if (applySuggestion(Math.max(state.suggest.index, 0))) event.preventDefault();
  } else if (event.key === "Escape") showSuggestions([]);
}

// --- modals ------------------------------------------------------------------------------------------------

function openModal(interaction, data) {
  state.modal = { interaction, data };
  $("modal-title").textContent = data.title || "";
  $("modal-error").hidden = true;
  $("modal-body").replaceChildren(...(data.components || []).flatMap((comp) => modalParts(comp)));
  const dialog = $("modal");
  if (!dialog.open) dialog.showModal();
  const first = dialog.querySelector("input, textarea, select");
  if (first) first.focus();
}

function modalParts(comp) {
  if (comp.type === 1) return (comp.components || []).map((c) => modalField(c, c.label, null));
  if (comp.type === 18) return [modalField(comp.component, comp.label, comp.description)];
  if (comp.type === 10) return [markdown(comp.content || "", "content")];
  return [];
}

function modalField(comp, label, description) {
  const id = `modal-${comp.custom_id}`;
  let control;
  if (comp.type === 4) {
    const attrs = {
      id, name: comp.custom_id, "data-custom-id": comp.custom_id, placeholder: comp.placeholder,
      required: comp.required !== false, minlength: comp.min_length, maxlength: comp.max_length,
    };
    control = comp.style === 2 ? el("textarea", attrs) : el("input", { ...attrs, type: "text" });
    if (comp.value) control.value = comp.value;
  } else {
    control = el("select", { id, name: comp.custom_id, "data-custom-id": comp.custom_id, multiple: (comp.max_values || 1) > 1 },
      (comp.options || []).map((o) => el("option", { value: o.value, selected: Boolean(o.default), text: o.label })));
  }
  return el("div", { class: "field" }, el("label", { for: id, text: label || comp.custom_id }),
    description ? el("div", { class: "description", text: description }) : null, control);
}

async function submitModal(event) {
  event.preventDefault();
  if (!state.modal) return;
  const values = {};
  for (const control of $("modal-body").querySelectorAll("[data-custom-id]")) {
    values[control.dataset.customId] = control.tagName === "SELECT" ? [...control.selectedOptions].map((o) => o.value) : control.value;
  }
  const submit = $("modal-submit");
  submit.disabled = true;
  try {
    const result = await api("/api/modal", { member: state.member, interaction: state.modal.interaction, values });
    if (result.ok === false) {
      $("modal-error").textContent = result.error || "Something went wrong.";
      $("modal-error").hidden = false;
      return;
    }
    closeModal();
    if (result.modal) openModal(result.interaction, result.modal);
  } finally {
    submit.disabled = false;
  }
}

function closeModal() {
  state.modal = null;
  const dialog = $("modal");
  if (dialog.open) dialog.close();
}

// --- start ---------------------------------------------------------------------------------------------------

async function start() {
  const saved = localStorage.getItem(SAVED_MEMBER);
  let first = await api("/api/state");
  await restoreLanguages(first.members);
  const member = (first.members.find((m) => m.name === saved) || first.members[0]).id;
  first = await api(`/api/state?member=${encodeURIComponent(member)}`);
  state.members = first.members;
  state.member = member;
  state.commands = first.commands;
  state.languages = first.languages;
  state.problems = first.decks.problems;
  state.deckFolder = first.decks.folder;
  state.botId = first.bot.id;
  state.botName = first.bot.name;
  $("server-name").textContent = first.server.name;
  $("channel-name").textContent = `# ${first.channel.name}`;
  $("channel-title").textContent = first.channel.name;
  $("deck-folder").textContent = `${first.decks.count} deck(s) loaded from ${first.decks.folder}`;
  renderMembers();
  renderLanguages();
  renderProblems();
  connect();
  const input = $("command-input");
  input.addEventListener("input", updateComposer);
  input.addEventListener("keydown", onComposerKey);
  // Hidden a moment after the box loses focus (a click on a suggestion lands first), unless it is back by then.
  input.addEventListener("blur", () => { state.suggest.blur = setTimeout(() => showSuggestions([]), 150); });
  input.addEventListener("focus", () => { clearTimeout(state.suggest.blur); updateComposer(); });
  $("composer").addEventListener("submit", submitComposer);
  $("modal-form").addEventListener("submit", submitModal);
  $("modal-cancel").addEventListener("click", closeModal);
  $("modal").addEventListener("close", () => { state.modal = null; });
  $("reload-decks").addEventListener("click", reloadDecks);
  $("client-language").addEventListener("change", () => onLanguageChange("client"));
  $("server-language").addEventListener("change", () => onLanguageChange("server"));
  setInterval(refreshTimestamps, 1000);
  document.body.dataset.ready = "true";
}

document.addEventListener("DOMContentLoaded", () => start().catch((error) => toast(`The playground could not start: ${error}`)));
