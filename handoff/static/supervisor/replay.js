// Replay: a draft (the active rule set with the fields on this page changed) over a
// period, compared with the active set; flipped conversations open below; publishing
// goes through the rule-set store on the server.
import { api, el, flash, formatDateTime } from "/static/console/api.js";

const form = document.getElementById("replay-form");
const statusLine = document.getElementById("status");
const problemsBox = document.getElementById("problems");
const publishButton = document.getElementById("publish");
const results = document.getElementById("results");
const panel = document.getElementById("conversation");

const REASONS = {
  explicit_request: "vroeg om een medewerker",
  human_only: "onderwerp voor een medewerker",
  low_confidence: "niet begrepen",
  rephrase: "herformuleerde",
  frustration: "frustratie",
  bot_loop: "bot herhaalde zich",
  bot_failure: "bot faalde",
};
const AUTHORS = { customer: "Klant", bot: "Bot", system: "Systeem", agent: "Medewerker" };

let active = null; // {version, data}
let lastDraft = null;

const lines = (text) => text.split("\n").map((s) => s.trim()).filter(Boolean);
const iso = (d) => d.toISOString().slice(0, 10);

function draft() {
  const data = structuredClone(active.data);
  for (const input of form.querySelectorAll("[data-threshold]")) {
    data.thresholds[input.id] = Number(input.value);
  }
  data.backstop_phrases.nl = lines(document.getElementById("backstop").value);
  data.frustration_markers.strong.nl = lines(document.getElementById("strong").value);
  return data;
}

function fill() {
  document.getElementById("active-version").textContent = `versie ${active.version}`;
  for (const input of form.querySelectorAll("[data-threshold]")) {
    input.value = active.data.thresholds[input.id];
  }
  document.getElementById("backstop").value = active.data.backstop_phrases.nl.join("\n");
  document.getElementById("strong").value = active.data.frustration_markers.strong.nl.join("\n");
  const today = new Date();
  document.getElementById("end").value = iso(today);
  document.getElementById("start").value = iso(new Date(today.getTime() - 27 * 86400000));
}

function showProblems(error) {
  const problems = error.body && error.body.detail && error.body.detail.problems;
  if (!problems) {
    problemsBox.hidden = true;
    flash(error.message);
    return;
  }
  problemsBox.replaceChildren(
    el("h2", {}, error.body.detail.message),
    el("ul", {}, problems.map((p) => el("li", {}, p))),
  );
  problemsBox.hidden = false;
}

function totalsTable(report) {
  const row = (label, pick) =>
    el("tr", {}, el("th", { attrs: { scope: "row" } }, label), el("td", {}, pick(report.active)), el("td", {}, pick(report.draft)));
  const reasons = [...new Set([...Object.keys(report.active.by_reason), ...Object.keys(report.draft.by_reason)])].sort();
  const turns = [...new Set([...Object.keys(report.active.by_turn), ...Object.keys(report.draft.by_turn)])].sort((a, b) => a - b);
  document.getElementById("totals").replaceChildren(
    el("caption", {}, `${report.conversations} gesprekken, ${report.turns} beurten`),
    el("thead", {}, el("tr", {}, el("th", { attrs: { scope: "col" } }, ""),
      el("th", { attrs: { scope: "col" } }, `Actief (versie ${report.active_version})`),
      el("th", { attrs: { scope: "col" } }, "Concept"))),
    el("tbody", {},
      row("Naar een medewerker", (t) => t.reached_person),
      row("Bleef bij de bot", (t) => t.stayed_with_bot),
      row("Onbekend (bot zou doorgaan na een echte overdracht)", (t) => t.unknown),
      reasons.map((r) => row(`Reden: ${REASONS[r] || r}`, (t) => t.by_reason[r] || 0)),
      turns.map((n) => row(`Overdracht bij beurt ${n}`, (t) => t.by_turn[n] || 0)),
    ),
  );
}

function flippedTable(report) {
  document.getElementById("flip-summary").textContent =
    `${report.to_person} gesprekken zouden nu naar een medewerker gaan, ${report.from_person} niet meer; ` +
    `${report.changed} gaan bij een andere beurt of om een andere reden.`;
  const head = el("thead", {}, el("tr", {}, ["Begonnen", "Kanaal", "Omslag", "Actief", "Concept", ""].map(
    (h) => el("th", { attrs: { scope: "col" } }, h))));
  const body = el("tbody", {}, report.flipped.map((f) => el("tr", { dataset: { conversation: f.conversation_id } },
    el("td", {}, formatDateTime(f.created_at)),
    el("td", {}, f.channel),
    el("td", {}, f.flip === "to_person" ? "nu naar een medewerker" : "niet meer naar een medewerker"),
    el("td", {}, f.active.label),
    el("td", {}, f.draft.label),
    el("td", {}, el("button", { type: "button", on: { click: () => openConversation(f) } }, "Openen")),
  )));
  document.getElementById("flipped").replaceChildren(el("caption", { className: "visually-hidden" }, "Gesprekken die omslaan"), head, body);
}

async function openConversation(flipped) {
  try {
    const conversation = await api("GET", `/api/supervisor/replay/conversations/${encodeURIComponent(flipped.conversation_id)}`);
    document.getElementById("conversation-meta").textContent =
      `${formatDateTime(conversation.created_at)} · ${conversation.channel} · actief: ${flipped.active.label} · concept: ${flipped.draft.label}`;
    document.getElementById("transcript").replaceChildren(...conversation.lines.map((line) => el("li",
      { dataset: { author: line.author, handoff: String(line.handoff) } },
      el("span", { className: "who-line" },
        `${AUTHORS[line.author] || line.author}${line.turn ? ` · beurt ${line.turn}` : ""}` +
        `${line.intent ? ` · ${line.intent} ${Math.round((line.confidence || 0) * 100)}%` : ""}` +
        `${line.handoff ? " · eerste overdracht" : ""}`),
      line.text,
    )));
    panel.hidden = false;
    panel.focus();
  } catch (error) {
    flash(error.message);
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  flash("");
  problemsBox.hidden = true;
  const candidate = draft();
  statusLine.textContent = "Bezig met de replay…";
  try {
    const report = await api("POST", "/api/supervisor/replay", {
      start: document.getElementById("start").value,
      end: document.getElementById("end").value,
      draft: candidate,
    });
    lastDraft = candidate;
    totalsTable(report);
    flippedTable(report);
    results.hidden = false;
    publishButton.disabled = false;
    statusLine.textContent = `Replay klaar: ${report.conversations} gesprekken beoordeeld.`;
  } catch (error) {
    statusLine.textContent = "";
    showProblems(error);
  }
});

publishButton.addEventListener("click", async () => {
  if (!lastDraft) return;
  try {
    const { version } = await api("POST", "/api/supervisor/replay/publish", { draft: lastDraft });
    active = { version, data: lastDraft };
    document.getElementById("active-version").textContent = `versie ${version}`;
    publishButton.disabled = true;
    flash(`Versie ${version} gepubliceerd: de nieuwe regels gelden vanaf de volgende beurt.`, "ok");
  } catch (error) {
    showProblems(error);
  }
});

// A change after the replay must be replayed before it can be published.
form.addEventListener("input", () => { publishButton.disabled = true; });

document.getElementById("close-conversation").addEventListener("click", () => { panel.hidden = true; });

active = await api("GET", "/api/supervisor/replay/active");
fill();
