// One transcript line per stored message. Every piece of text goes in through `el`
// (textContent): whatever a customer typed stays text.
import { el, formatTime } from "/static/console/api.js";
import { DELIVERY, percent } from "/static/console/agent/labels.js";

function authorLabel(message) {
  if (message.internal) return `Interne notitie van ${message.author_name || "een collega"}`;
  switch (message.author) {
    case "customer":
      return "Klant";
    case "bot":
      return "Assistent (bot)";
    case "agent":
      return message.author_name || "Medewerker";
    default:
      return "Systeembericht";
  }
}

function safeHref(url) {
  // Sources come from the bot's domain file; still, only our own paths or http(s).
  if (typeof url !== "string") return null;
  if (url.startsWith("/") && !url.startsWith("//")) return url;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}

function understood(message) {
  if (message.author !== "customer") return null;
  if (!message.intent) {
    return el("p", { className: "nlu muted", text: "Niet door de bot geïnterpreteerd" });
  }
  const share = percent(message.confidence);
  return el(
    "p",
    { className: "nlu" },
    el("span", { className: "nlu-label", text: "Intentie: " }),
    el("code", { text: message.intent }),
    share ? el("span", { text: ` · zekerheid ${share}` }) : null,
  );
}

function delivery(message) {
  if (message.held) {
    return el("p", { className: "delivery delivery--held", text: "Vastgehouden: het WhatsApp-venster is dicht; wordt verstuurd zodra de klant weer schrijft" });
  }
  if (!message.delivery_status || message.author === "customer") return null;
  const words = DELIVERY[message.delivery_status] || message.delivery_status;
  const error = [message.delivery_error_code, message.delivery_error].filter(Boolean).join(": ");
  return el(
    "p",
    { className: `delivery delivery--${message.delivery_status}` },
    `Bezorging: ${words}`,
    error ? ` (${error})` : "",
  );
}

// What a WhatsApp customer sent besides text: media (through the agents' proxy) and
// a shared location, all as links or text.
function attachments(message) {
  const media = Array.isArray(message.media) ? message.media : [];
  const items = media
    .map((item, index) => {
      const href = safeHref(item.url);
      return href ? el("li", {}, el("a", { href, target: "_blank", rel: "noopener", text: `Bijlage ${index + 1} (${item.content_type || "bestand"})` })) : null;
    })
    .filter(Boolean);
  const location = message.location && typeof message.location === "object"
    ? el("p", { className: "muted", text: `Locatie: ${Object.values(message.location).filter((v) => v !== null && v !== "").join(", ")}` })
    : null;
  if (!items.length && !location) return null;
  return el("div", { className: "attachments" }, items.length ? el("ul", { className: "sources", attrs: { "aria-label": "Bijlagen" } }, ...items) : null, location);
}

export function messageItem(message) {
  const kind = message.internal ? "note" : message.author;
  return el(
    "li",
    {
      className: `msg msg--${kind}`,
      dataset: { messageId: message.id, author: message.author },
    },
    el(
      "div",
      { className: "msg-meta" },
      message.author === "bot" ? el("span", { className: "bot-mark", text: "BOT" }) : null,
      el("span", { className: "msg-author", text: authorLabel(message) }),
      el("time", { attrs: { datetime: message.created_at }, text: formatTime(message.created_at) }),
      message.internal ? el("span", { className: "note-mark", text: "klant ziet dit niet" }) : null,
    ),
    el("p", { className: "msg-text", text: message.text }),
    message.buttons && message.buttons.length
      ? el("p", { className: "msg-buttons muted", text: `Knoppen: ${message.buttons.map((b) => b.title).join(" · ")}` })
      : null,
    message.sources && message.sources.length
      ? el(
          "ul",
          { className: "sources", attrs: { "aria-label": "Bronnen" } },
          ...message.sources.map((source) => {
            const href = safeHref(source.url);
            return el(
              "li",
              {},
              href
                ? el("a", { href, target: "_blank", rel: "noopener", text: source.title || source.url })
                : el("span", { text: source.title || "" }),
            );
          }),
        )
      : null,
    attachments(message),
    understood(message),
    delivery(message),
  );
}

// Keeps the list ordered by message id and each message once, whichever way it came.
export class Transcript {
  constructor(list) {
    this.list = list;
    this.ids = new Set();
  }

  reset(messages) {
    this.ids = new Set(messages.map((m) => m.id));
    this.list.replaceChildren(...messages.map(messageItem));
  }

  add(message) {
    if (this.ids.has(message.id)) return false;
    this.ids.add(message.id);
    const item = messageItem(message);
    const later = [...this.list.children].find((li) => Number(li.dataset.messageId) > message.id);
    this.list.insertBefore(item, later || null);
    item.scrollIntoView({ block: "nearest" });
    return true;
  }
}
