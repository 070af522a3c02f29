// The waiting queue and the agent's own conversations, as lists with one-click actions.
import { el, formatDuration } from "/static/console/api.js";
import { channelName, reasonWords } from "/static/console/agent/labels.js";

function waitedSeconds(iso) {
  return iso ? (Date.now() - new Date(iso).getTime()) / 1000 : 0;
}

function waitingLabel(item) {
  return `wacht ${formatDuration(waitedSeconds(item.waiting_since || item.requested_at))}`;
}

export function renderQueue(list, empty, items, { onClaim, onOpen, openId }) {
  empty.hidden = items.length > 0;
  list.replaceChildren(
    ...items.map((item) => {
      const reason = reasonWords(item.reason, item.reason_text);
      const title = `${channelName(item.channel)} · ${reason}`;
      return el(
        "li",
        {
          className: `queue-item${item.conversation_id === openId ? " is-open" : ""}`,
          dataset: { conversationId: item.conversation_id },
        },
        el(
          "div",
          { className: "queue-head" },
          el("span", { className: "channel", text: channelName(item.channel) }),
          el("span", { className: "reason", text: reason }),
          el("span", {
            className: "waited",
            text: waitingLabel(item),
            dataset: { since: item.waiting_since || item.requested_at || "" },
          }),
        ),
        item.flagged ? el("p", { className: "flag", text: `Let op: ${item.flag_reason || "gemarkeerd"}` }) : null,
        el("p", { className: "summary", text: item.summary || "Geen samenvatting" }),
        el(
          "div",
          { className: "actions" },
          el("button", {
            type: "button",
            className: "primary",
            text: "Overnemen",
            attrs: { "aria-label": `Overnemen: ${title}` },
            on: { click: (event) => onClaim(item.conversation_id, event.currentTarget) },
          }),
          el("button", {
            type: "button",
            text: "Bekijken",
            attrs: { "aria-label": `Bekijken: ${title}` },
            on: { click: () => onOpen(item.conversation_id) },
          }),
        ),
      );
    }),
  );
}

// Refreshes the "wacht 3 min" labels without rebuilding the list (focus stays put).
export function tickWaitingTimes(list) {
  for (const node of list.querySelectorAll(".waited[data-since]")) {
    if (node.dataset.since) node.textContent = `wacht ${formatDuration(waitedSeconds(node.dataset.since))}`;
  }
}

export function renderMine(list, empty, conversations, { onOpen, openId, unread }) {
  empty.hidden = conversations.length > 0;
  list.replaceChildren(
    ...conversations.map((c) => {
      const isUnread = unread.has(c.id);
      const label = `${channelName(c.channel)} · sinds ${new Date(c.created_at).toLocaleTimeString("nl-NL", { hour: "2-digit", minute: "2-digit" })}`;
      return el(
        "li",
        { className: c.id === openId ? "is-open" : "" },
        el(
          "button",
          {
            type: "button",
            className: "link-row",
            attrs: { "aria-current": c.id === openId ? "true" : null },
            on: { click: () => onOpen(c.id) },
          },
          el("span", { text: label }),
          isUnread ? el("span", { className: "badge warn", text: "nieuw bericht" }) : null,
        ),
      );
    }),
  );
}
