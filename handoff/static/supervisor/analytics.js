// Analytics: the period's key numbers as a table, the service's SVG charts, the Value
// Matrix's simplify / eliminate lists, and the CSV of the same numbers.
import { periodForm, periodQuery } from "/static/supervisor/period.js";
import { api, el, flash, formatDuration } from "/static/console/api.js";

const statusLine = document.getElementById("status");
const CHARTS = [
  ["channels", "Gesprekken per kanaal"],
  ["outcomes", "Afloop van gesprekken"],
  ["reasons", "Overdrachten per reden per dag"],
  ["intents", "Overdrachten per onderwerp"],
  ["quadrants", "Gesprekken per kwadrant"],
  ["bot-turns", "Botbeurten voor een overdracht"],
  ["csat", "Tevredenheid"],
];
const percent = (share) => (share === null ? "–" : `${Math.round(share * 100)}%`);
const duration = (s) => (s === null ? "–" : formatDuration(s));


function numbers(report) {
  const rows = [
    ["Gesprekken", report.conversations],
    ["Door de bot afgehandeld", report.outcomes.contained],
    ["Naar een medewerker", report.outcomes.handed_over],
    ["Afgehaakt tijdens wachten", report.outcomes.abandoned],
    ["Tijd tot een medewerker (mediaan / p90)", `${duration(report.time_to_person.median_seconds)} / ${duration(report.time_to_person.p90_seconds)}`],
    ["Tijd in de wachtrij (mediaan / p90)", `${duration(report.time_in_queue.median_seconds)} / ${duration(report.time_in_queue.p90_seconds)}`],
    ["Herhaald contact binnen 7 dagen", `${report.repeat_contacts} (${percent(report.repeat_share)})`],
    ["Gesprekken met frustratie", `${report.frustrated} (${percent(report.frustrated_share)})`],
    ["Botbeurten voor een overdracht (gemiddeld)", report.bot_turns_before_handoff_mean === null ? "–" : report.bot_turns_before_handoff_mean.toFixed(1)],
    ["Tevredenheid (gemiddeld, antwoorden / gevraagd)", `${report.csat.mean === null ? "–" : report.csat.mean.toFixed(1)} (${report.csat.answered} / ${report.csat.asked})`],
  ];
  const table = document.getElementById("numbers");
  table.replaceChildren(table.querySelector("caption"), el("tbody", {}, rows.map(([label, value]) =>
    el("tr", {}, el("th", { attrs: { scope: "row" } }, label), el("td", { dataset: { number: label } }, value)))));
}

function charts() {
  const q = periodQuery();
  document.getElementById("charts").replaceChildren(...CHARTS.map(([name, title]) => el("figure", {},
    el("img", { src: `/api/supervisor/analytics/charts/${name}.svg?${q}`, alt: title, attrs: { loading: "lazy" } }),
  )));
}

function topList(id, rows) {
  const list = document.getElementById(id);
  list.replaceChildren(...(rows.length
    ? rows.map((r) => el("li", {}, `${r.intent}: ${r.conversations} gesprekken, ${r.handed_over} naar een medewerker`))
    : [el("li", {}, "Geen in deze periode")]));
}

async function show() {
  flash("");
  statusLine.textContent = "Bezig…";
  try {
    const report = await api("GET", `/api/supervisor/analytics?${periodQuery()}`);
    numbers(report);
    charts();
    topList("simplify", report.value_matrix.top_simplify);
    topList("eliminate", report.value_matrix.top_eliminate);
    const generated = document.getElementById("generated");
    generated.hidden = report.generated === 0;
    generated.textContent = `Let op: ${report.generated} van de ${report.conversations} gesprekken in deze periode zijn gegenereerde demo-gesprekken.`;
    document.getElementById("csv").href = `/api/supervisor/analytics.csv?${periodQuery()}`;
    statusLine.textContent = `Periode ${report.period.start} tot en met ${report.period.end}: ${report.conversations} gesprekken.`;
  } catch (error) {
    statusLine.textContent = "";
    flash(error.message);
  }
}

periodForm(show);
