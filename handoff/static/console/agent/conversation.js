// The conversation view: transcript with the bot's part marked, the reason and its
// evidence, slots and form submissions, earlier conversations, and the agent's tools
// (reply, internal note, canned replies, hand back, transfer, close). A conversation
// that is not the agent's own opens read-only ("meekijken").
import { api, el, flash, formatDateTime } from "/static/console/api.js";
import { announce } from "/static/console/agent/notify.js";
import { Transcript } from "/static/console/agent/transcript.js";
import { OUTCOMES, STATES, channelName, reasonWords } from "/static/console/agent/labels.js";

const TYPING_IDLE_MS = 3000;

function definitionList(entries) {
  return el(
    "dl",
    { className: "facts" },
    ...entries.flatMap(([key, value]) => [
      el("dt", { text: key }),
      el("dd", { text: typeof value === "object" && value !== null ? JSON.stringify(value) : String(value) }),
    ]),
  );
}

export class ConversationView {
  constructor({ root, me, socket, cannedReplies, takeOver, onChanged }) {
    this.root = root;
    this.title = root.querySelector("#conversation-title");
    this.placeholder = root.querySelector("#conversation-placeholder");
    this.body = root.querySelector("#conversation-body");
    this.me = me;
    this.socket = socket;
    this.cannedReplies = cannedReplies;
    this.takeOver = takeOver; // async () => bool: may this user take over (supervisor API)
    this.onChanged = onChanged;
    this.id = null;
    this.detail = null;
    this.typingTimer = null;
    this.typingOn = false;
  }

  get mine() {
    const c = this.detail && this.detail.conversation;
    return Boolean(c && c.state === "human" && c.assigned_agent_id === this.me.id);
  }

  async open(id, { focus = true } = {}) {
    if (this.id && this.id !== id) this.leave();
    this.id = id;
    const url = new URL(location.href);
    url.searchParams.set("c", id);
    history.replaceState(null, "", url);
    this.socket.subscribe(id);
    await this.reload();
    if (focus) this.root.focus();
  }

  leave() {
    this.stopTyping();
    if (this.id) this.socket.unsubscribe(this.id);
    this.id = null;
    this.detail = null;
  }

  async reload() {
    const id = this.id;
    if (!id) return;
    let detail;
    try {
      detail = await api("GET", `/api/agent/conversations/${encodeURIComponent(id)}`);
    } catch (error) {
      flash(error.message);
      return;
    }
    if (id !== this.id) return; // another conversation was opened meanwhile
    this.detail = detail;
    await this.render();
  }

  // --- live frames for the open conversation -------------------------------------
  onFrame(frame) {
    if (!this.id || frame.conversation_id !== this.id) return;
    if (frame.type === "message" && this.transcript) {
      if (this.transcript.add(frame) && frame.author === "customer") announce(`Klant: ${frame.text}`);
      // While the bot has the conversation, customer turns are not published to staff
      // live; the bot's answer is the cue to fetch them (with their intent).
      if (frame.author === "bot" && !this.mine) this.reload();
    } else if (frame.type === "typing" && frame.author === "customer") {
      this.showCustomerTyping(Boolean(frame.on));
    } else if (frame.type === "state") {
      this.reload();
    }
  }

  showCustomerTyping(on) {
    const node = this.body.querySelector(".typing");
    if (node) node.textContent = on ? "De klant typt…" : "";
  }

  // --- rendering ----------------------------------------------------------------
  async render() {
    const { conversation: c, handoff, messages } = this.detail;
    const ownerName = c.assigned_agent_name;
    this.title.textContent = `${channelName(c.channel)}-gesprek · ${STATES[c.state] || c.state}${
      c.state === "human" && ownerName ? ` (${ownerName})` : ""
    }`;
    this.placeholder.hidden = true;
    this.body.hidden = false;

    const list = el("ol", { className: "transcript-list" });
    // role=log on a wrapper: a list keeps its list semantics, and new lines are announced.
    const log = el("div", {
      className: "transcript",
      attrs: { role: "log", "aria-label": "Gespreksverloop", tabindex: "0" },
    }, list);
    this.transcript = new Transcript(list);
    this.transcript.reset(messages);

    const main = el(
      "div",
      { className: "conversation-main" },
      this.banner(c),
      await this.actions(c),
      el("h3", { text: "Gespreksverloop" }),
      el("p", { className: "legend muted", text: "Berichten van de assistent zijn gemarkeerd met BOT; interne notities zijn geel." }),
      log,
      el("p", { className: "typing", attrs: { "aria-live": "polite" } }),
      this.mine ? this.composer(c) : null,
    );
    const side = el(
      "aside",
      { className: "conversation-context", attrs: { "aria-label": "Achtergrond" } },
      this.reasonPanel(handoff),
      this.dataPanel(handoff),
      this.earlierPanel(this.detail.earlier_conversations || []),
    );
    this.body.replaceChildren(el("div", { className: "conversation-grid" }, main, side));
    log.scrollTop = log.scrollHeight;
  }

  banner(c) {
    const lines = [];
    if (c.state === "human" && !this.mine) {
      lines.push(`Je kijkt mee. Dit gesprek is van ${c.assigned_agent_name || "een collega"}; alleen die collega antwoordt.`);
    } else if (c.state === "waiting") {
      lines.push("Deze klant wacht op een medewerker. Neem het gesprek over om te antwoorden.");
    } else if (c.state === "bot") {
      lines.push("De assistent voert dit gesprek. Je kijkt mee.");
    } else if (c.state === "closed") {
      lines.push(`Dit gesprek is gesloten${c.outcome ? ` (${OUTCOMES[c.outcome] || c.outcome})` : ""}.`);
    }
    if (c.window_closes_at) {
      lines.push(`Het WhatsApp-venster sluit om ${formatDateTime(c.window_closes_at)}; daarna kan de klant alleen nog met een sjabloonbericht bereikt worden.`);
    }
    const held = this.detail.held_messages || c.held_messages;
    if (Array.isArray(held) ? held.length : held) {
      lines.push(`Vastgehouden berichten (venster gesloten): ${Array.isArray(held) ? held.length : held}.`);
    }
    if (c.flagged) lines.push(`Let op: ${c.flag_reason || "gemarkeerd"}`);
    if (!lines.length) return null;
    return el("div", { className: "banner" }, ...lines.map((line) => el("p", { text: line })));
  }

  async actions(c) {
    const buttons = [];
    if (c.state === "waiting") {
      buttons.push(this.button("Overnemen", "primary", () => this.act("claim", "Je hebt het gesprek overgenomen.")));
    }
    if (this.mine) {
      buttons.push(
        this.button("Teruggeven aan de assistent", "", () => this.handBack()),
        this.button("Overdragen", "", (event) => this.toggleTransfer(event.currentTarget)),
        this.button("Sluiten", "danger", () => this.act("close", "Gesprek gesloten.")),
      );
    } else if (c.state === "human" && this.me.role === "supervisor" && (await this.takeOver())) {
      buttons.push(this.button("Overnemen", "primary", () => this.supervisorTakeOver()));
    }
    if (!buttons.length) return null;
    return el(
      "div",
      { className: "conversation-actions" },
      el("div", { className: "actions", attrs: { role: "group", "aria-label": "Acties" } }, ...buttons),
      el("div", { className: "transfer", hidden: true }),
    );
  }

  button(text, className, handler) {
    return el("button", { type: "button", className, text, on: { click: handler } });
  }

  reasonPanel(handoff) {
    if (!handoff) return el("section", {}, el("h3", { text: "Reden" }), el("p", { className: "muted", text: "Geen overdracht." }));
    const evidence = handoff.evidence || {};
    const details = evidence.details && Object.keys(evidence.details).length ? Object.entries(evidence.details) : [];
    const context = handoff.context || {};
    return el(
      "section",
      { className: "reason-panel" },
      el("h3", { text: "Waarom bij een medewerker" }),
      el("p", { className: "reason-words", text: reasonWords(handoff.reason, handoff.reason_text) }),
      evidence.text ? el("p", {}, el("span", { className: "label", text: "Bewijs: " }), el("span", { className: "evidence", text: evidence.text })) : null,
      details.length ? definitionList(details) : null,
      context.summary ? el("p", {}, el("span", { className: "label", text: "Samenvatting: " }), el("span", { className: "summary", text: context.summary })) : null,
      el("p", { className: "muted", text: `Aangevraagd ${formatDateTime(handoff.requested_at)}` }),
    );
  }

  dataPanel(handoff) {
    const context = (handoff && handoff.context) || {};
    const slots = Object.entries(context.slots || {});
    const submissions = context.submissions || [];
    return el(
      "section",
      { className: "data-panel" },
      el("h3", { text: "Gegevens uit het gesprek" }),
      slots.length ? definitionList(slots) : el("p", { className: "muted", text: "Geen gegevens (slots) bekend." }),
      el("h3", { text: "Ingevulde formulieren" }),
      submissions.length
        ? el(
            "ul",
            { className: "submissions" },
            ...submissions.map((s) =>
              el(
                "li",
                {},
                el("strong", { text: s.form || "formulier" }),
                s.reference ? el("span", { text: ` · referentie ${s.reference}` }) : null,
                s.data ? definitionList(Object.entries(s.data)) : null,
              ),
            ),
          )
        : el("p", { className: "muted", text: "Geen formulieren ingediend." }),
    );
  }

  earlierPanel(earlier) {
    return el(
      "section",
      { className: "earlier-panel" },
      el("h3", { text: "Eerdere gesprekken van deze klant" }),
      earlier.length
        ? el(
            "ul",
            { className: "earlier" },
            ...earlier.map((e) =>
              el(
                "li",
                {},
                el("button", {
                  type: "button",
                  className: "link-button",
                  text: `${formatDateTime(e.created_at)} · ${channelName(e.channel)} · ${
                    e.outcome ? OUTCOMES[e.outcome] || e.outcome : STATES[e.state] || e.state
                  }`,
                  on: { click: () => this.open(e.id) },
                }),
                e.first_customer_text ? el("p", { className: "quote", text: `“${e.first_customer_text}”` }) : null,
                e.reasons && e.reasons.length ? el("p", { className: "muted", text: `Naar een medewerker: ${e.reasons.map((r) => reasonWords(r)).join(", ")}` }) : null,
              ),
            ),
          )
        : el("p", { className: "muted", text: "Geen eerdere gesprekken." }),
    );
  }

  composer(c) {
    const textarea = el("textarea", {
      id: "reply-text",
      rows: 3,
      attrs: { "aria-describedby": "reply-hint", maxlength: "4000" },
    });
    const internal = el("input", { type: "checkbox", id: "reply-internal" });
    const canned = el(
      "select",
      { id: "canned-reply", attrs: { "aria-label": "Standaardantwoord invoegen" } },
      el("option", { value: "", text: "Standaardantwoord invoegen…" }),
      ...this.cannedReplies
        .filter((r) => r.language === c.language)
        .concat(this.cannedReplies.filter((r) => r.language !== c.language))
        .map((r) => el("option", { value: String(r.id), text: `${r.title}${r.language !== c.language ? ` (${r.language})` : ""}` })),
    );
    const send = el("button", { type: "submit", className: "primary", text: "Versturen" });
    const form = el(
      "form",
      { className: "composer", attrs: { "aria-label": "Antwoorden" }, noValidate: true },
      el("label", { attrs: { for: "reply-text" }, text: "Bericht aan de klant" }),
      textarea,
      el("p", { id: "reply-hint", className: "hint", text: "Enter verstuurt, Shift+Enter geeft een nieuwe regel." }),
      el(
        "div",
        { className: "composer-row" },
        canned,
        el("label", { className: "inline" }, internal, " Interne notitie (de klant ziet dit niet)"),
        send,
      ),
    );
    canned.addEventListener("change", () => {
      const reply = this.cannedReplies.find((r) => String(r.id) === canned.value);
      if (reply) {
        textarea.value = textarea.value ? `${textarea.value}\n${reply.text}` : reply.text;
        textarea.focus();
      }
      canned.value = "";
    });
    internal.addEventListener("change", () => {
      form.classList.toggle("is-note", internal.checked);
      textarea.previousSibling.textContent = internal.checked ? "Interne notitie" : "Bericht aan de klant";
      if (internal.checked) this.stopTyping();
    });
    textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    textarea.addEventListener("input", () => {
      if (!internal.checked) this.typing();
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = textarea.value;
      if (!text.trim()) {
        textarea.setAttribute("aria-invalid", "true");
        flash("Typ eerst een bericht.");
        return;
      }
      textarea.removeAttribute("aria-invalid");
      send.disabled = true;
      try {
        await api("POST", `/api/agent/conversations/${encodeURIComponent(c.id)}/messages`, {
          text,
          internal: internal.checked,
        });
        textarea.value = "";
        flash("");
        this.stopTyping();
      } catch (error) {
        flash(error.message);
      } finally {
        send.disabled = false;
        textarea.focus();
      }
    });
    return form;
  }

  // --- typing to the customer ---------------------------------------------------
  typing() {
    if (!this.mine) return;
    if (!this.typingOn) {
      this.typingOn = true;
      this.socket.typing(this.id, true);
    }
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  stopTyping() {
    clearTimeout(this.typingTimer);
    if (this.typingOn && this.id) this.socket.typing(this.id, false);
    this.typingOn = false;
  }

  // --- actions --------------------------------------------------------------------
  async act(action, done) {
    try {
      await api("POST", `/api/agent/conversations/${encodeURIComponent(this.id)}/${action}`);
      flash(done, "ok");
    } catch (error) {
      flash(error.message);
    }
    await this.reload();
    this.onChanged();
  }

  async handBack() {
    this.stopTyping();
    try {
      const result = await api("POST", `/api/agent/conversations/${encodeURIComponent(this.id)}/handback`);
      flash(
        `Teruggegeven aan de assistent.${result.cleared_form ? ` Het open formulier (${result.cleared_form}) is afgebroken.` : ""}`,
        "ok",
      );
    } catch (error) {
      flash(error.message);
    }
    await this.reload();
    this.onChanged();
  }

  async supervisorTakeOver() {
    try {
      await api("POST", `/api/supervisor/conversations/${encodeURIComponent(this.id)}/take-over`);
      flash("Je hebt het gesprek overgenomen.", "ok");
    } catch (error) {
      flash(error.message);
    }
    await this.reload();
    this.onChanged();
  }

  async toggleTransfer(trigger) {
    const box = this.body.querySelector(".transfer");
    if (!box.hidden) {
      box.hidden = true;
      trigger.setAttribute("aria-expanded", "false");
      return;
    }
    let colleagues = [];
    try {
      colleagues = (await api("GET", "/api/agent/colleagues")).colleagues;
    } catch (error) {
      flash(error.message);
      return;
    }
    const select = el(
      "select",
      { id: "transfer-to" },
      el("option", { value: "", text: "Terug in de wachtrij" }),
      ...colleagues.map((p) =>
        el("option", {
          value: String(p.id),
          text: `${p.display_name} — ${p.online && p.available ? "beschikbaar" : "afwezig"}, ${p.open_conversations} van ${p.max_concurrent} gesprekken`,
        }),
      ),
    );
    const confirm = el("button", {
      type: "button",
      className: "primary",
      text: "Overdragen",
      on: {
        click: async () => {
          const to = select.value ? Number(select.value) : null;
          try {
            await api("POST", `/api/agent/conversations/${encodeURIComponent(this.id)}/transfer`, { to_account_id: to });
            flash(to ? "Gesprek overgedragen." : "Gesprek terug in de wachtrij gezet.", "ok");
          } catch (error) {
            flash(error.message);
          }
          await this.reload();
          this.onChanged();
        },
      },
    });
    box.replaceChildren(el("label", { attrs: { for: "transfer-to" }, text: "Overdragen aan" }), select, el("div", { className: "actions" }, confirm));
    box.hidden = false;
    trigger.setAttribute("aria-expanded", "true");
    select.focus();
  }
}

