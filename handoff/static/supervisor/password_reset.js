// Setting a password through a one-time link: the token is the last part of the path.
const form = document.getElementById("reset-form");
const error = document.getElementById("reset-error");
const done = document.getElementById("reset-done");

function show(message) {
  error.textContent = message;
  error.hidden = false;
}

if (form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const password = form.password.value;
    if (password !== form.repeat.value) {
      show("De twee wachtwoorden zijn niet gelijk.");
      return;
    }
    const token = location.pathname.split("/").pop();
    const response = await fetch(`/password-reset/${encodeURIComponent(token)}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({ password }),
    });
    if (response.ok) {
      form.hidden = true;
      done.hidden = false;
      return;
    }
    const body = await response.json().catch(() => ({}));
    show(typeof body.detail === "string" ? body.detail : `Opslaan mislukt (${response.status})`);
  });
}
