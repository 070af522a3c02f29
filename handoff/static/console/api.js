// The consoles' one way to talk to the service: JSON over fetch with the session cookie,
// the CSRF token on unsafe methods, and the server's error message as the Error's text.
// And `el`, the one way to build DOM: text only ever goes in as text, never as markup.

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);
let csrf = null;

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

export function toLogin() {
  const next = location.pathname + location.search;
  location.assign(`/console/login?next=${encodeURIComponent(next)}`);
}

export async function me() {
  const response = await fetch("/api/auth/me", { credentials: "same-origin" });
  if (response.status === 401) {
    toLogin();
    throw new ApiError(401, "Niet ingelogd", null);
  }
  const body = await response.json();
  csrf = body.csrf_token;
  return body.account;
}

function messageOf(status, body) {
  const detail = body && body.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail.map((d) => (d.loc ? `${d.loc.slice(1).join(".")}: ${d.msg}` : d.msg)).join("; ");
  }
  return `Er ging iets mis (${status})`;
}

export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (!SAFE.has(method)) {
    if (csrf === null) await me();
    headers["X-CSRF-Token"] = csrf;
  }
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) {
    toLogin();
    throw new ApiError(401, "Sessie verlopen", null);
  }
  const isJson = (response.headers.get("content-type") || "").includes("application/json");
  const data = response.status === 204 ? null : isJson ? await response.json() : await response.text();
  if (!response.ok) throw new ApiError(response.status, messageOf(response.status, data), data);
  return data;
}

// el("button", { className: "primary", on: { click: f }, attrs: { "aria-label": "x" } }, "Tekst")
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  const { className, text, attrs, on, dataset, ...rest } = props;
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== undefined && value !== null && value !== false) node.setAttribute(name, String(value));
  }
  for (const [name, value] of Object.entries(dataset || {})) node.dataset[name] = String(value);
  for (const [event, handler] of Object.entries(on || {})) node.addEventListener(event, handler);
  for (const [name, value] of Object.entries(rest)) node[name] = value;
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function flash(message, kind = "error") {
  const box = document.getElementById("flash");
  if (!box) return;
  box.textContent = message;
  box.dataset.kind = kind;
  box.hidden = !message;
}

const timeFormat = new Intl.DateTimeFormat("nl-NL", { hour: "2-digit", minute: "2-digit" });
const dateTimeFormat = new Intl.DateTimeFormat("nl-NL", { dateStyle: "short", timeStyle: "short" });

export function formatTime(iso) {
  return iso ? timeFormat.format(new Date(iso)) : "";
}

export function formatDateTime(iso) {
  return iso ? dateTimeFormat.format(new Date(iso)) : "";
}

export function formatDuration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} u ${m % 60} min`;
}
