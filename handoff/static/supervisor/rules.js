// The rules form: every setting from the server's field list (label, explanation,
// default), saved as a new version; problems shown next to their fields; the version
// history with what changed and a restore per version.
import { api, el, flash, formatDateTime, ApiError } from "/static/console/api.js";

const form = document.getElementById("rules-form");
const fieldsBox = document.getElementById("rules-fields");
const matrixRows = document.getElementById("matrix-rows");
const problemsBox = document.getElementById("problems");
const versionsBody = document.getElementById("versions");
const diffBox = document.getElementById("diff");
const currentVersion = document.getElementById("current-version");

let state = null; // { version, data, form }

const idOf = (name) => "f-" + name.replace(/[^A-Za-z0-9_-]/g, "-");

function getPath(data, name) {
  return name.split(".").reduce((node, part) => (node && typeof node === "object" ? node[part] : undefined), data);
}

function setPath(data, name, value) {
  const parts = name.split(".");
  let node = data;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== "object" || node[part] === null) node[part] = {};
    node = node[part];
  }
  node[parts[parts.length - 1]] = value;
}

function shown(kind, value) {
  if (value === null || value === undefined) return "";
  if (kind === "lines" || kind === "dates") return value.join("\n");
  if (kind === "periods") return value.map((p) => p.join("-")).join(", ");
  return String(value);
}

function defaultText(field) {
  const value = field.default;
  if (field.kind === "boolean") return value ? "ja" : "nee";
  if (field.kind === "lines" || field.kind === "dates") return value.length ? value.join(", ") : "(leeg)";
  if (field.kind === "periods") return value.length ? value.map((p) => p.join("-")).join(", ") : "dicht";
  return String(value);
}

function control(field) {
  const id = idOf(field.name);
  const common = { id, name: field.name, attrs: { "aria-describedby": `${id}-hint ${id}-default` } };
  if (field.kind === "boolean") {
    return el("input", { ...common, type: "checkbox", checked: Boolean(field.value) });
  }
  if (field.kind === "number" || field.kind === "integer") {
    return el("input", {
      ...common,
      type: "number",
      value: shown(field.kind, field.value),
      attrs: { ...common.attrs, min: field.minimum, max: field.maximum, step: field.step, inputmode: "decimal" },
    });
  }
  if (field.kind === "lines" || field.kind === "dates" || field.name.startsWith("texts.")) {
    return el("textarea", { ...common, value: shown(field.kind, field.value), rows: field.kind === "text" ? 4 : 6 });
  }
  return el("input", { ...common, type: "text", value: shown(field.kind, field.value) });
}

function fieldBlock(field) {
  const id = idOf(field.name);
  const input = control(field);
  const label = el("label", { attrs: { for: id } }, field.label);
  const hint = el("p", { className: "hint", id: `${id}-hint` }, field.help);
  const fallback = field.name.startsWith("texts.")
    ? el("details", { id: `${id}-default`, className: "default" }, el("summary", {}, "Standaardtekst"), el("p", {}, defaultText(field)))
    : el("p", { className: "default", id: `${id}-default` }, `Standaard: ${defaultText(field)}`);
  const error = el("p", { className: "field-error", id: `${id}-error`, hidden: true });
  const head = field.kind === "boolean" ? el("div", { className: "checkbox-row" }, input, label) : [label, input];
  return el("div", { className: "field", dataset: { field: field.name } }, head, hint, fallback, error);
}

function render() {
  const groups = new Map();
  for (const field of state.form.fields) {
    if (!groups.has(field.group)) groups.set(field.group, []);
    groups.get(field.group).push(field);
  }
  fieldsBox.replaceChildren(
    ...[...groups].map(([group, fields]) => el("fieldset", {}, el("legend", {}, group), fields.map(fieldBlock))),
  );
  matrixRows.replaceChildren(
    ...state.form.value_matrix.map((row) => {
      const id = idOf(row.name);
      const select = el(
        "select",
        { id, name: row.name, attrs: { "aria-describedby": `${id}-default` } },
        state.form.quadrants.map((q) => el("option", { value: q.value, selected: q.value === row.value }, q.label)),
      );
      const defaultLabel = state.form.quadrants.find((q) => q.value === row.default)?.label ?? row.default;
      return el(
        "tr",
        { dataset: { field: row.name } },
        el("th", { attrs: { scope: "row" } }, el("label", { attrs: { for: id } }, row.label), el("span", { className: "muted" }, ` (${row.intent})`)),
        el("td", {}, select, el("p", { className: "field-error", id: `${id}-error`, hidden: true })),
        el("td", { id: `${id}-default` }, `Standaard: ${defaultLabel}`),
      );
    }),
  );
  currentVersion.textContent =
    `Actieve versie ${state.version}` +
    (state.created_by ? `, opgeslagen door ${state.created_by}` : "") +
    (state.created_at ? ` op ${formatDateTime(state.created_at)}` : "") + ".";
  form.setAttribute("aria-busy", "false");
}

function readValue(field, input) {
  const raw = input.value;
  switch (field.kind) {
    case "boolean":
      return input.checked;
    case "number":
    case "integer": {
      if (raw.trim() === "") return null;
      const number = Number(raw.replace(",", "."));
      return Number.isNaN(number) ? raw : number;
    }
    case "lines":
    case "dates":
      return raw.split("\n").map((line) => line.trim()).filter(Boolean);
    case "periods":
      return raw.split(",").map((p) => p.trim()).filter(Boolean).map((p) => p.split("-").map((t) => t.trim()));
    default:
      return raw;
  }
}

function collect() {
  const data = structuredClone(state.data);
  for (const field of state.form.fields) {
    const input = document.getElementById(idOf(field.name));
    setPath(data, field.name, readValue(field, input));
  }
  for (const row of state.form.value_matrix) {
    data.value_matrix[row.intent] = document.getElementById(idOf(row.name)).value;
  }
  return data;
}

function clearProblems() {
  problemsBox.hidden = true;
  problemsBox.replaceChildren();
  for (const node of form.querySelectorAll("[aria-invalid]")) {
    node.removeAttribute("aria-invalid");
    const id = node.id;
    node.setAttribute("aria-describedby", node.getAttribute("aria-describedby").replace(` ${id}-error`, ""));
  }
  for (const node of form.querySelectorAll(".field-error")) {
    node.hidden = true;
    node.textContent = "";
  }
}

function labelOf(name) {
  const field = state.form.fields.find((f) => f.name === name);
  if (field) return field.label;
  const row = state.form.value_matrix.find((r) => r.name === name);
  return row ? `Waardematrix: ${row.label}` : name || "De regels";
}

function showProblems(problems, summary) {
  clearProblems();
  const items = problems.map((problem) => {
    const id = idOf(problem.field);
    const input = document.getElementById(id);
    const error = document.getElementById(`${id}-error`);
    if (input && error) {
      error.textContent = problem.message;
      error.hidden = false;
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", `${input.getAttribute("aria-describedby")} ${id}-error`);
      return el("li", {}, el("a", { href: `#${id}` }, `${labelOf(problem.field)}: ${problem.message}`));
    }
    return el("li", {}, `${labelOf(problem.field)}: ${problem.message}`);
  });
  problemsBox.replaceChildren(el("h2", {}, summary), el("ul", {}, items));
  problemsBox.hidden = false;
  problemsBox.focus();
}

async function load() {
  const view = await api("GET", "/api/supervisor/ruleset");
  state = view;
  render();
  await loadVersions();
}

function versionStatus(row) {
  const parts = [];
  if (row.active) parts.push("actief");
  if (row.restored_from) parts.push(`teruggezet van versie ${row.restored_from}`);
  return parts.join(", ");
}

async function loadVersions() {
  const { versions } = await api("GET", "/api/supervisor/ruleset/versions");
  versionsBody.replaceChildren(
    ...versions.map((row) => {
      const actions = [];
      if (row.version > 1) {
        actions.push(el("button", { type: "button", on: { click: () => showDiff(row.version - 1, row.version) } }, `Wijzigingen in versie ${row.version}`));
      }
      if (!row.active) {
        actions.push(el("button", { type: "button", on: { click: () => restore(row.version) } }, `Versie ${row.version} terugzetten`));
      }
      return el(
        "tr",
        { dataset: { version: row.version } },
        el("td", { dataset: { label: "Versie" } }, String(row.version)),
        el("td", { dataset: { label: "Wanneer" } }, formatDateTime(row.created_at)),
        el("td", { dataset: { label: "Door" } }, row.created_by || "systeem (standaard)"),
        el("td", { dataset: { label: "Status" } }, versionStatus(row)),
        el("td", {}, el("div", { className: "actions" }, actions)),
      );
    }),
  );
}

function formatValue(value) {
  if (value === null || value === undefined) return "(niet ingesteld)";
  if (Array.isArray(value)) return value.map((v) => (Array.isArray(v) ? v.join("-") : String(v))).join(", ") || "(leeg)";
  if (typeof value === "boolean") return value ? "ja" : "nee";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

async function showDiff(from, to) {
  const result = await api("GET", `/api/supervisor/ruleset/diff?from=${from}&to=${to}`);
  const title = el("h3", {}, `Wat veranderde van versie ${from} naar ${to}`);
  const body = result.changes.length
    ? el(
        "dl",
        {},
        result.changes.flatMap((change) => [
          el("dt", {}, change.label, el("span", { className: "muted" }, ` (${change.path})`)),
          el("dd", {}, el("span", { className: "old" }, formatValue(change.old)), " → ", el("span", { className: "new" }, formatValue(change.new))),
        ]),
      )
    : el("p", {}, "Geen verschillen.");
  diffBox.replaceChildren(title, body);
  diffBox.hidden = false;
}

async function restore(version) {
  try {
    const result = await api("POST", `/api/supervisor/ruleset/versions/${version}/restore`);
    flash(`Versie ${version} is teruggezet als nieuwe versie ${result.version}.`, "ok");
    await load();
  } catch (error) {
    flash(error.message);
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!state) return;
  const save = document.getElementById("save");
  save.disabled = true;
  flash("");
  try {
    const result = await api("POST", "/api/supervisor/ruleset", { data: collect(), based_on: state.version });
    clearProblems();
    await load();
    flash(`Opgeslagen als versie ${result.version}. Dit geldt vanaf het volgende bericht van elke klant.`, "ok");
  } catch (error) {
    if (error instanceof ApiError && error.status === 422 && error.body && Array.isArray(error.body.problems)) {
      showProblems(error.body.problems, error.message);
    } else {
      flash(error.message);
    }
  } finally {
    save.disabled = false;
  }
});

load().catch((error) => flash(error.message));
