// The agent console: wires the live socket, the queue, the agent's own conversations,
// presence and the conversation view together.
import { api, flash, me } from "/static/console/api.js";
import { ConversationView } from "/static/console/agent/conversation.js";
import { reasonWords } from "/static/console/agent/labels.js";
import { bindSoundToggle, newCustomerWaiting, setWaitingCount } from "/static/console/agent/notify.js";
import { renderMine, renderQueue, tickWaitingTimes } from "/static/console/agent/queue.js";
import { AgentSocket } from "/static/console/agent/socket.js";

const $ = (id) => document.getElementById(id);
const CONNECTION_TEXT = { connecting: "Verbinden…", online: "Live verbonden", offline: "Verbinding verbroken; opnieuw verbinden…" };

const state = { queue: [], mine: [], unread: new Set(), status: null };
let view = null;
let socket = null;
let takeOverKnown = null;

async function takeOverAvailable() {
  // The supervisor API may not be installed: a GET on its POST-only route answers 405
  // when it exists and 404 when it does not.
  if (takeOverKnown === null) {
    const probe = await fetch("/api/supervisor/conversations/probe/take-over", { credentials: "same-origin" });
    takeOverKnown = probe.status === 405;
  }
  return takeOverKnown;
}

function drawQueue() {
  renderQueue($("queue"), $("queue-empty"), state.queue, { onClaim: claim, onOpen: open, openId: view && view.id });
  $("queue-count").textContent = state.queue.length ? `(${state.queue.length})` : "";
  setWaitingCount(state.queue.length);
}

function drawMine() {
  renderMine($("mine"), $("mine-empty"), state.mine, { onOpen: open, openId: view && view.id, unread: state.unread });
}

function drawStatus() {
  const s = state.status;
  if (!s) return;
  $("available").checked = s.available;
  const full = s.open_conversations >= s.max_concurrent;
  $("load").textContent = `${s.open_conversations} van ${s.max_concurrent} gesprekken${full ? " (vol)" : ""}`;
  $("load").classList.toggle("is-full", full);
}

async function refreshQueue() {
  state.queue = (await api("GET", "/api/agent/queue")).conversations;
  drawQueue();
}

async function refreshMine() {
  const [mine, status] = await Promise.all([api("GET", "/api/agent/conversations"), api("GET", "/api/agent/status")]);
  state.mine = mine.conversations;
  state.status = status;
  drawMine();
  drawStatus();
}

async function refreshAll() {
  try {
    await Promise.all([refreshQueue(), refreshMine()]);
  } catch (error) {
    flash(error.message);
  }
}

async function open(id, options) {
  state.unread.delete(id);
  await view.open(id, options);
  drawQueue();
  drawMine();
}

async function claim(id, button) {
  if (button) button.disabled = true;
  try {
    await api("POST", `/api/agent/conversations/${encodeURIComponent(id)}/claim`);
    flash("");
    await refreshAll();
    await open(id);
  } catch (error) {
    // 409: a colleague was first, or the agent is at their cap; the server says which.
    flash(error.message);
    if (button) button.disabled = false;
    await refreshAll();
  }
}

function onFrame(frame) {
  switch (frame.type) {
    case "hello":
      state.queue = frame.queue;
      drawQueue();
      break;
    case "queue":
      if (frame.event === "added") newCustomerWaiting(reasonWords(frame.reason, frame.reason_text));
      if (frame.event === "claimed" && view.id === frame.conversation_id && frame.agent_id !== state.me.id) {
        flash(`${frame.agent_name || "Een collega"} heeft dit gesprek overgenomen.`, "ok");
      }
      refreshAll();
      if (view.id === frame.conversation_id) view.reload();
      break;
    case "transfer":
    case "presence":
      refreshAll();
      if (frame.conversation_id && view.id === frame.conversation_id) view.reload();
      break;
    case "message":
      if (frame.conversation_id !== view.id && frame.author === "customer" && state.mine.some((c) => c.id === frame.conversation_id)) {
        state.unread.add(frame.conversation_id);
        drawMine();
      }
      view.onFrame(frame);
      break;
    case "typing":
    case "state":
      view.onFrame(frame);
      if (frame.type === "state") refreshAll();
      break;
    case "error":
      flash(frame.message);
      break;
    default:
      break;
  }
}

async function start() {
  const root = $("agent-console");
  state.me = await me();
  const canned = await api("GET", "/api/agent/canned-replies").catch(() => ({ canned_replies: [] }));
  socket = new AgentSocket({
    onFrame,
    onStatus: (status) => {
      $("connection").textContent = CONNECTION_TEXT[status];
      $("connection").dataset.status = status;
    },
    onReconnected: () => {
      refreshAll();
      view.reload();
    },
  });
  view = new ConversationView({
    root: $("conversation"),
    me: { id: Number(root.dataset.accountId), role: root.dataset.role },
    socket,
    cannedReplies: canned.canned_replies,
    takeOver: takeOverAvailable,
    onChanged: refreshAll,
  });
  socket.connect();
  bindSoundToggle($("sound"));
  $("available").addEventListener("change", async (event) => {
    const wanted = event.currentTarget.checked;
    try {
      await api("POST", "/api/agent/availability", { available: wanted });
      flash(wanted ? "Je bent beschikbaar." : "Je staat op afwezig.", "ok");
    } catch (error) {
      flash(error.message);
    }
    await refreshMine();
  });
  setInterval(() => tickWaitingTimes($("queue")), 15_000);
  await refreshAll();
  const wanted = new URLSearchParams(location.search).get("c");
  // Opened from a link: the page keeps its natural focus order (skip link first).
  if (wanted) await open(wanted, { focus: false });
}

start().catch((error) => flash(error.message || String(error)));
