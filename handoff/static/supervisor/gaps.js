// Knowledge gaps: the failed customer turns of a period in groups, largest first.
import { periodForm, periodQuery } from "/static/supervisor/period.js";
import { api, el, flash } from "/static/console/api.js";

const statusLine = document.getElementById("status");
const WHY = {
  low_confidence: "niet begrepen",
  out_of_scope: "buiten het onderwerp",
  unfamiliar: "onbekende vraag",
  bot_fallback: "geen antwoord",
  rephrase: "anders gevraagd",
};

function group(g, index) {
  const why = Object.entries(g.why).map(([k, n]) => `${WHY[k] || k} ${n}×`).join(", ");
  return el("li", { className: "gap card" },
    el("h2", {}, `Groep ${index + 1}: ${g.keywords.join(", ") || "(geen trefwoorden)"}`),
    el("p", {}, `${g.size} beurten in ${g.conversations} gesprekken; ${g.reached_person} daarvan kwamen bij een medewerker. ${why}.`),
    el("h3", {}, "Voorbeelden"),
    g.examples.map((text) => el("blockquote", {}, text)),
  );
}

async function show() {
  flash("");
  statusLine.textContent = "Bezig…";
  try {
    const groups = await api("GET", `/api/supervisor/gaps?${periodQuery()}`);
    document.getElementById("groups").replaceChildren(...groups.slice(0, 50).map(group));
    statusLine.textContent = groups.length
      ? `${groups.length} groepen${groups.length > 50 ? "; de 50 grootste staan hieronder" : ""}.`
      : "Geen gefaalde beurten in deze periode.";
  } catch (error) {
    statusLine.textContent = "";
    flash(error.message);
  }
}

periodForm(show);
