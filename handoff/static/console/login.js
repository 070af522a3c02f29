import { el } from "/static/console/api.js";

const form = document.getElementById("login-form");
const error = document.getElementById("login-error");

function show(message) {
  error.replaceChildren(el("span", { text: message }));
  error.hidden = false;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  const email = form.email.value.trim();
  const password = form.password.value;
  if (!email || !password) {
    show("Vul je e-mailadres en wachtwoord in.");
    return;
  }
  const response = await fetch("/api/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    credentials: "same-origin",
    body: JSON.stringify({ email, password }),
  });
  if (response.ok) {
    location.assign(form.dataset.next || "/console");
    return;
  }
  const body = await response.json().catch(() => ({}));
  show(typeof body.detail === "string" ? body.detail : `Inloggen mislukt (${response.status})`);
  form.password.value = "";
  form.password.focus();
});
