// The console's live line to the service (/ws/agent): queue and conversation events in,
// subscriptions, typing and heartbeats out. Reconnects by itself and subscribes again;
// a session that ended sends the agent to the login page.
import { me, toLogin } from "/static/console/api.js";

const PING_MS = 20_000;
const SESSION_ENDED = 4401;

export class AgentSocket {
  constructor({ onFrame, onStatus, onReconnected }) {
    this.onFrame = onFrame;
    this.onStatus = onStatus;
    this.onReconnected = onReconnected;
    this.subscriptions = new Set();
    this.ws = null;
    this.retry = 0;
    this.everOpened = false;
    this.pinger = null;
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}/ws/agent`);
    this.ws = ws;
    this.onStatus("connecting");
    ws.addEventListener("open", () => {
      this.retry = 0;
      for (const id of this.subscriptions) this.send({ type: "subscribe", conversation_id: id });
      clearInterval(this.pinger);
      this.pinger = setInterval(() => this.send({ type: "ping" }), PING_MS);
      this.onStatus("online");
      if (this.everOpened) this.onReconnected();
      this.everOpened = true;
    });
    ws.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame.type === "error" && frame.code === "session_ended") {
        toLogin();
        return;
      }
      this.onFrame(frame);
    });
    ws.addEventListener("close", (event) => this.closed(event.code));
  }

  async closed(code) {
    clearInterval(this.pinger);
    this.onStatus("offline");
    if (code === SESSION_ENDED) {
      toLogin();
      return;
    }
    // A refused handshake looks like any other drop: ask the API whether the login is
    // still good (me() goes to the login page when it is not).
    try {
      await me();
    } catch {
      return;
    }
    const delay = Math.min(15_000, 500 * 2 ** this.retry);
    this.retry += 1;
    setTimeout(() => this.connect(), delay);
  }

  send(frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  subscribe(id) {
    this.subscriptions.add(id);
    this.send({ type: "subscribe", conversation_id: id });
  }

  unsubscribe(id) {
    if (!this.subscriptions.delete(id)) return;
    this.send({ type: "unsubscribe", conversation_id: id });
  }

  typing(id, on) {
    this.send({ type: "typing", conversation_id: id, on });
  }
}
