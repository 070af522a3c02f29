// The team page: who is online and available, what each holds, and managing accounts.
// New accounts and resets produce a one-time link the supervisor passes on.
import { api, el, flash, me } from "/static/console/api.js";

const body = document.getElementById("members");
const form = document.getElementById("member-form");
const formTitle = document.getElementById("member-form-title");
const submit = document.getElementById("member-submit");
const cancel = document.getElementById("member-cancel");
const formError = document.getElementById("member-error");
const linkBox = document.getElementById("link-box");
const REFRESH_MS = 15000;

let editing = null;
let myId = null; // my own account: no deactivate button for it // the member being edited, or null when adding

const ROLE = { agent: "Medewerker", supervisor: "Supervisor" };
const yesNo = (on) => el("span", { className: "badge", dataset: { on } }, on ? "ja" : "nee");

function showLink(member, result) {
  const id = "reset-url";
  linkBox.replaceChildren(
    el("p", {}, `Eenmalige link voor ${member}: geef hem door, de persoon kiest daarmee zelf een wachtwoord. Geldig tot ${new Date(result.expires_at).toLocaleString("nl-NL")}.`),
    el("label", { attrs: { for: id } }, "Link"),
    el("input", { id, type: "text", value: result.reset_url, readOnly: true, on: { focus: (e) => e.target.select() } }),
  );
  linkBox.hidden = false;
  document.getElementById(id).focus();
}

async function act(promise, okMessage) {
  try {
    const result = await promise;
    if (okMessage) flash(okMessage, "ok");
    await refresh();
    return result;
  } catch (error) {
    flash(error.message);
    return null;
  }
}

function startEdit(member) {
  editing = member;
  formTitle.textContent = `${member.display_name} bewerken`;
  form.display_name.value = member.display_name;
  form.email.value = member.email;
  form.role.value = member.role;
  form.max_concurrent.value = member.max_concurrent;
  submit.textContent = "Wijzigingen opslaan";
  cancel.hidden = false;
  form.display_name.focus();
}

function stopEdit() {
  editing = null;
  form.reset();
  formTitle.textContent = "Account toevoegen";
  submit.textContent = "Account toevoegen";
  cancel.hidden = true;
  formError.hidden = true;
}

// FastAPI's own checks answer in English; the form says what to fix in Dutch.
const FIELD_PROBLEMS = {
  email: "Dit is geen geldig e-mailadres.",
  display_name: "Vul een naam in van hoogstens 100 tekens.",
  max_concurrent: "Het aantal open gesprekken moet tussen 1 en 20 liggen.",
  role: "Kies een rol.",
};

function dutchProblem(error) {
  const detail = error.body && error.body.detail;
  if (error.status === 422 && Array.isArray(detail)) {
    return detail.map((d) => FIELD_PROBLEMS[d.loc[d.loc.length - 1]] || d.msg).join(" ");
  }
  return error.message;
}

function row(member) {
  const actions = [
    el("button", { type: "button", on: { click: () => startEdit(member) } }, `${member.display_name} bewerken`),
  ];
  if (member.active) {
    actions.push(
      el("button", {
        type: "button",
        on: {
          click: async () => {
            const result = await act(api("POST", `/api/supervisor/team/${member.id}/reset-link`));
            if (result) showLink(member.display_name, result);
          },
        },
      }, `Wachtwoordlink voor ${member.display_name}`),
    );
  }
  if (member.active && member.id !== myId) {
    actions.push(
      el("button", {
        type: "button",
        className: "danger",
        on: { click: () => act(api("POST", `/api/supervisor/team/${member.id}/deactivate`), `${member.display_name} is gedeactiveerd en overal uitgelogd.`) },
      }, `${member.display_name} deactiveren`),
    );
  }
  if (!member.active) {
    actions.push(
      el("button", {
        type: "button",
        on: { click: () => act(api("PATCH", `/api/supervisor/team/${member.id}`, { active: true }), `${member.display_name} is weer actief.`) },
      }, `${member.display_name} activeren`),
    );
  }
  const watch = member.conversations.map((id, index) =>
    el("a", { href: `/console?c=${encodeURIComponent(id)}`, attrs: { "aria-label": `Meekijken in gesprek ${index + 1} van ${member.display_name}` } }, `meekijken ${index + 1}`),
  );
  return el(
    "tr",
    { dataset: { member: member.email } },
    el("th", { attrs: { scope: "row" } }, member.display_name),
    el("td", { dataset: { label: "E-mailadres" } }, member.email),
    el("td", { dataset: { label: "Rol" } }, ROLE[member.role] || member.role),
    el("td", { dataset: { label: "Status" } }, member.active ? "actief" : "gedeactiveerd"),
    el("td", { dataset: { label: "Online" } }, yesNo(member.online)),
    el("td", { dataset: { label: "Beschikbaar" } }, yesNo(member.available)),
    el("td", { dataset: { label: "Gesprekken" } }, `${member.holding} van ${member.max_concurrent}`, watch.length ? el("div", { className: "actions" }, watch) : null),
    el("td", {}, el("div", { className: "actions" }, actions)),
  );
}

async function refresh() {
  const { members } = await api("GET", "/api/supervisor/team");
  body.replaceChildren(...members.map(row));
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  formError.hidden = true;
  const payload = {
    display_name: form.display_name.value.trim(),
    email: form.email.value.trim(),
    role: form.role.value,
    max_concurrent: Number(form.max_concurrent.value),
  };
  if (!payload.display_name || !payload.email) {
    formError.textContent = "Vul een naam en een e-mailadres in.";
    formError.hidden = false;
    return;
  }
  try {
    if (editing) {
      await api("PATCH", `/api/supervisor/team/${editing.id}`, payload);
      flash(`${payload.display_name} is bijgewerkt.`, "ok");
      stopEdit();
    } else {
      const result = await api("POST", "/api/supervisor/team", payload);
      stopEdit();
      showLink(payload.display_name, result);
    }
    await refresh();
  } catch (error) {
    formError.textContent = dutchProblem(error);
    formError.hidden = false;
  }
});

cancel.addEventListener("click", stopEdit);

me()
  .then((account) => {
    myId = account.id;
    return refresh();
  })
  .catch((error) => flash(error.message));
setInterval(() => refresh().catch(() => {}), REFRESH_MS);
