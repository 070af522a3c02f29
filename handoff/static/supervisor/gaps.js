// Knowledge gaps: the failed customer turns of a period in groups, largest first.
import { api, el, flash } from "/static/console/api.js";

const form = document.getElementById("period-form");
const statusLine = document.getElementById("status");
const WHY = { low_confidence: "niet begrepen", out_of_scope: "buiten het onderwerp", rephrase: "anders gevraagd" };
const iso = (d) => d.toISOString().slice(0, 10);

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
  const params = new URLSearchParams({
    start: document.getElementById("start").value,
    end: document.getElementById("end").value,
  });
  try {
    const groups = await api("GET", `/api/supervisor/gaps?${params}`);
    document.getElementById("groups").replaceChildren(...groups.slice(0, 50).map(group));
    statusLine.textContent = groups.length
      ? `${groups.length} groepen${groups.length > 50 ? "; de 50 grootste staan hieronder" : ""}.`
      : "Geen gefaalde beurten in deze periode.";
  } catch (error) {
    statusLine.textContent = "";
    flash(error.message);
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  show();
});

const today = new Date();
document.getElementById("end").value = iso(today);
document.getElementById("start").value = iso(new Date(today.getTime() - 27 * 86400000));
show();
