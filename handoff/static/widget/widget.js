/* The website chat widget: one classic <script src=".../static/widget/widget.js" defer>
   embeds it in any page (a classic script, not a module, because only a classic script
   knows its own URL through document.currentScript, and from that the service's origin).

   It speaks the customer protocol (docs/customer-protocol.md) over a WebSocket. Tokens
   live in localStorage (never in a URL). Every string from the server is rendered with
   textContent; links only for http(s) sources. No framework, no build step. */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.__handoffWidget) return;
  window.__handoffWidget = true;

  var SERVICE = new URL(script.src, document.baseURI).origin;
  var WS_URL = SERVICE.replace(/^http/, "ws") + "/ws/web";
  var STORAGE_KEY = "handoff-widget:" + SERVICE;
  var OPEN_KEY = STORAGE_KEY + ":open";
  var pageLang = (script.getAttribute("data-lang") || document.documentElement.lang || "nl")
    .toLowerCase();
  var LANG = pageLang.indexOf("en") === 0 ? "en" : "nl";

  var TEXT = {
    nl: {
      launcher: "Chat met ons",
      title: "Chat met de klantenservice",
      close: "Chat sluiten",
      human: "Praat met een medewerker",
      requestHuman: "Ik wil graag een medewerker spreken.",
      humanWaiting: "Je staat in de wachtrij voor een medewerker",
      humanJoined: "Je praat met een medewerker",
      log: "Gesprek",
      messages: "Berichten",
      you: "Jij",
      bot: "Digitale assistent",
      agent: "Medewerker",
      notice: "Mededeling van de klantenservice",
      choices: "Keuzes",
      sources: "Bronnen",
      input: "Je bericht",
      send: "Versturen",
      hint: "Enter verstuurt, Shift+Enter voor een nieuwe regel.",
      typingBot: "De digitale assistent typt…",
      typingAgent: "{name} typt…",
      connecting: "Verbinden…",
      reconnecting: "Verbinding verbroken. Opnieuw verbinden…",
      unavailable: "De chat is op deze pagina niet beschikbaar.",
      sending: "Wordt verstuurd…",
      queue: "Je bent nummer {n} in de rij.",
      wait: "Verwachte wachttijd: ongeveer {m} {unit}.",
      minute: "minuut",
      minutes: "minuten",
      emailIntro: "Er is nu niemand beschikbaar. Laat je e-mailadres achter, dan sturen we het antwoord en het gesprek ook per e-mail.",
      emailLabel: "E-mailadres",
      emailConsent: "Ik geef toestemming om mijn e-mailadres te gebruiken voor het antwoord op deze vraag.",
      emailSubmit: "Stuur mij het antwoord per e-mail",
      emailNeedConsent: "Vink de toestemming aan om je e-mailadres achter te laten.",
      emailInvalid: "Vul een geldig e-mailadres in, bijvoorbeeld naam@voorbeeld.nl.",
      emailFailed: "Dat lukte niet. Probeer het later nog eens.",
      emailThanks: "Dank je. We sturen het antwoord naar {email}.",
      emailStored: "Je hebt je e-mailadres achtergelaten; we sturen het antwoord ook per e-mail.",
      closed: "Dit gesprek is gesloten. Stuur een bericht om een nieuw gesprek te beginnen.",
      tooLong: "Je bericht is te lang.",
      rateLimited: "Je stuurt veel berichten achter elkaar. Wacht even en probeer het opnieuw.",
      error: "Er ging iets mis. Probeer het opnieuw."
    },
    en: {
      launcher: "Chat with us",
      title: "Chat with customer service",
      close: "Close chat",
      human: "Talk to a person",
      requestHuman: "I would like to talk to a person.",
      humanWaiting: "You are in the queue for a team member",
      humanJoined: "You are talking to a team member",
      log: "Conversation",
      messages: "Messages",
      you: "You",
      bot: "Digital assistant",
      agent: "Team member",
      notice: "Notice from customer service",
      choices: "Choices",
      sources: "Sources",
      input: "Your message",
      send: "Send",
      hint: "Enter sends, Shift+Enter for a new line.",
      typingBot: "The digital assistant is typing…",
      typingAgent: "{name} is typing…",
      connecting: "Connecting…",
      reconnecting: "Connection lost. Reconnecting…",
      unavailable: "The chat is not available on this page.",
      sending: "Sending…",
      queue: "You are number {n} in the queue.",
      wait: "Expected wait: about {m} {unit}.",
      minute: "minute",
      minutes: "minutes",
      emailIntro: "Nobody is available right now. Leave your e-mail address and we will also send the answer and the conversation by e-mail.",
      emailLabel: "E-mail address",
      emailConsent: "I agree that my e-mail address is used for the answer to this question.",
      emailSubmit: "Send me the answer by e-mail",
      emailNeedConsent: "Tick the consent box to leave your e-mail address.",
      emailInvalid: "Enter a valid e-mail address, for example name@example.com.",
      emailFailed: "That did not work. Please try again later.",
      emailThanks: "Thank you. We will send the answer to {email}.",
      emailStored: "You left your e-mail address; we will also send the answer by e-mail.",
      closed: "This conversation is closed. Send a message to start a new one.",
      tooLong: "Your message is too long.",
      rateLimited: "You are sending many messages in a row. Wait a moment and try again.",
      error: "Something went wrong. Please try again."
    }
  }[LANG];

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) {
      return values[key] === undefined ? "" : String(values[key]);
    });
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        node.setAttribute(name, attrs[name]);
      });
    }
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function loadTokens() {
    try {
      var stored = JSON.parse(localStorage.getItem(STORAGE_KEY) || "null");
      if (stored && typeof stored.contact_token === "string") return stored;
    } catch (e) {
      /* unreadable storage: start afresh */
    }
    return null;
  }

  function saveTokens(tokens) {
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(tokens));
    } catch (e) {
      /* private mode: the conversation lasts as long as the page */
    }
  }

  function safeUrl(raw) {
    if (typeof raw !== "string") return null;
    try {
      var url = new URL(raw, SERVICE);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function newClientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "c-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }

  /* --- the DOM --- */

  var stylesheet = el("link", { rel: "stylesheet", href: SERVICE + "/static/widget/widget.css" });
  document.head.appendChild(stylesheet);

  var root = el("div", { class: "hw-root", lang: LANG });
  var launcher = el("button", {
    type: "button",
    class: "hw-launcher",
    "aria-expanded": "false",
    "aria-controls": "hw-panel"
  }, TEXT.launcher);
  var panel = el("section", {
    id: "hw-panel",
    class: "hw-panel",
    role: "dialog",
    "aria-modal": "false",
    "aria-labelledby": "hw-title"
  });
  panel.hidden = true;

  var header = el("div", { class: "hw-header" });
  var title = el("h2", { id: "hw-title", class: "hw-title" }, TEXT.title);
  var closeButton = el("button", { type: "button", class: "hw-close", "aria-label": TEXT.close }, "×");
  header.appendChild(title);
  header.appendChild(closeButton);

  var humanButton = el("button", { type: "button", class: "hw-human" }, TEXT.human);
  var status = el("p", { class: "hw-status", role: "status" });
  // The live region wraps the list: a list with role="log" would lose its list semantics.
  var log = el("div", { class: "hw-log", role: "log", "aria-live": "polite", "aria-label": TEXT.messages });
  var list = el("ol", { class: "hw-list" });
  log.appendChild(list);
  // One scroll area for the conversation and what belongs under it (typing, e-mail offer).
  var body = el("div", { class: "hw-body", tabindex: "0", "aria-label": TEXT.log, role: "region" });
  var typing = el("p", { class: "hw-typing", "aria-live": "polite" });

  var emailForm = el("form", { class: "hw-email", novalidate: "" });
  emailForm.hidden = true;
  var emailIntro = el("p", { class: "hw-email-intro" }, TEXT.emailIntro);
  var emailLabel = el("label", { for: "hw-email-input" }, TEXT.emailLabel);
  var emailInput = el("input", { id: "hw-email-input", type: "email", autocomplete: "email", required: "" });
  var consentWrap = el("div", { class: "hw-consent" });
  var consentBox = el("input", { id: "hw-email-consent", type: "checkbox" });
  var consentLabel = el("label", { for: "hw-email-consent" }, TEXT.emailConsent);
  consentWrap.appendChild(consentBox);
  consentWrap.appendChild(consentLabel);
  var emailSubmit = el("button", { type: "submit", class: "hw-secondary" }, TEXT.emailSubmit);
  var emailError = el("p", { class: "hw-error", role: "alert" });
  emailError.hidden = true;
  [emailIntro, emailLabel, emailInput, consentWrap, emailError, emailSubmit].forEach(function (n) {
    emailForm.appendChild(n);
  });
  var emailDone = el("p", { class: "hw-email-done", role: "status" });
  emailDone.hidden = true;

  var composer = el("form", { class: "hw-composer" });
  var inputLabel = el("label", { for: "hw-input", class: "hw-visually-hidden" }, TEXT.input);
  var input = el("textarea", {
    id: "hw-input",
    rows: "2",
    maxlength: "4000",
    placeholder: TEXT.input,
    "aria-describedby": "hw-hint"
  });
  var hint = el("p", { id: "hw-hint", class: "hw-visually-hidden" }, TEXT.hint);
  var sendButton = el("button", { type: "submit", class: "hw-send" }, TEXT.send);
  var composerError = el("p", { class: "hw-error", role: "alert" });
  composerError.hidden = true;
  [inputLabel, input, sendButton, hint].forEach(function (n) {
    composer.appendChild(n);
  });

  [log, typing, emailForm, emailDone].forEach(function (n) {
    body.appendChild(n);
  });
  [header, humanButton, status, body, composerError, composer].forEach(function (n) {
    panel.appendChild(n);
  });
  root.appendChild(panel);
  root.appendChild(launcher);
  document.body.appendChild(root);

  /* --- state --- */

  var tokens = loadTokens();
  var socket = null;
  var started = false;
  var lastId = null; // highest message id shown: the replay cursor
  var seen = {}; // message ids shown (own messages come back in a replay after a reload)
  var pending = []; // frames sent but not yet acknowledged: resent on every reconnect
  var retries = 0;
  var reconnectTimer = null;
  var stopped = false;
  var conversationState = "bot";
  var agentName = null;
  var closed = false;
  var typingSent = false;
  var typingTimer = null;
  var lastButtons = null;

  function setStatus(text) {
    status.textContent = text || "";
    status.hidden = !text;
  }

  function showComposerError(text) {
    composerError.textContent = text || "";
    composerError.hidden = !text;
  }

  function scrollToEnd() {
    body.scrollTop = body.scrollHeight;
  }

  /* Who speaks comes from the frame's kind alone (docs/customer-protocol.md): the
     assistant is named only for what the assistant said, so a service notice never
     passes for the bot and the bot never for a person. Anything else is the service. */
  var KINDS = { bot: true, agent: true, customer: true, system: true };

  function kindOf(frame) {
    return KINDS[frame.kind] === true ? frame.kind : "system";
  }

  function authorLabel(frame) {
    var kind = kindOf(frame);
    if (kind === "customer") return TEXT.you;
    if (kind === "agent") return frame.author_name || TEXT.agent;
    if (kind === "bot") return TEXT.bot;
    return null;
  }

  function renderMessage(frame) {
    if (typeof frame.id === "number") {
      if (seen[frame.id]) return;
      seen[frame.id] = true;
      lastId = lastId === null ? frame.id : Math.max(lastId, frame.id);
    }
    var kind = kindOf(frame);
    var label = authorLabel(frame);
    var item = el("li", { class: "hw-msg hw-" + kind });
    if (label) {
      item.appendChild(el("span", { class: "hw-author" }, label));
    } else {
      // Seen as a notice by its style; a screen reader hears whose it is.
      item.appendChild(el("span", { class: "hw-visually-hidden" }, TEXT.notice + ":"));
    }
    item.appendChild(el("p", { class: "hw-text" }, frame.text || ""));
    var sources = Array.isArray(frame.sources) ? frame.sources : [];
    var links = [];
    sources.forEach(function (source) {
      var href = source && safeUrl(source.url);
      if (!href) return;
      var link = el("a", { href: href, target: "_blank", rel: "noopener" }, source.title || href);
      var li = el("li");
      li.appendChild(link);
      links.push(li);
    });
    if (links.length) {
      var nav = el("div", { class: "hw-sources" });
      nav.appendChild(el("span", { class: "hw-sources-label" }, TEXT.sources + ":"));
      var sourceList = el("ul");
      links.forEach(function (li) {
        sourceList.appendChild(li);
      });
      nav.appendChild(sourceList);
      item.appendChild(nav);
    }
    if (kind === "bot" || kind === "agent") {
      if (lastButtons) lastButtons.remove();
      lastButtons = null;
    }
    var buttons = Array.isArray(frame.buttons) ? frame.buttons : [];
    // The bot's choices, and the service's own (the satisfaction question's 1–5).
    if ((kind === "bot" || kind === "system") && buttons.length) {
      var group = el("div", { class: "hw-buttons", role: "group", "aria-label": label || TEXT.choices });
      buttons.forEach(function (button) {
        if (!button || typeof button.payload !== "string") return;
        var b = el("button", { type: "button", class: "hw-choice" }, button.title || button.payload);
        b.addEventListener("click", function () {
          group.remove();
          lastButtons = null;
          sendFrame({ type: "button", payload: button.payload, title: button.title || "" }, button.title || button.payload);
        });
        group.appendChild(b);
      });
      item.appendChild(group);
      lastButtons = group;
    }
    list.appendChild(item);
    scrollToEnd();
    return item;
  }

  function renderOwn(text) {
    var item = el("li", { class: "hw-msg hw-customer hw-pending" });
    item.appendChild(el("span", { class: "hw-author" }, TEXT.you));
    item.appendChild(el("p", { class: "hw-text" }, text));
    item.appendChild(el("span", { class: "hw-visually-hidden hw-sending" }, TEXT.sending));
    list.appendChild(item);
    scrollToEnd();
    return item;
  }

  function applyState(frame) {
    conversationState = frame.state || conversationState;
    agentName = frame.agent_name || null;
    closed = conversationState === "closed";
    humanButton.disabled = conversationState !== "bot";
    if (conversationState === "waiting") {
      humanButton.textContent = TEXT.humanWaiting;
      var parts = [];
      if (typeof frame.queue_position === "number") parts.push(fill(TEXT.queue, { n: frame.queue_position }));
      if (typeof frame.expected_wait_minutes === "number") {
        var m = frame.expected_wait_minutes;
        parts.push(fill(TEXT.wait, { m: m, unit: m === 1 ? TEXT.minute : TEXT.minutes }));
      }
      setStatus(parts.join(" "));
    } else if (conversationState === "human") {
      humanButton.textContent = agentName ? TEXT.humanJoined + ": " + agentName : TEXT.humanJoined;
      setStatus("");
    } else if (closed) {
      humanButton.textContent = TEXT.human;
      setStatus(TEXT.closed);
    } else {
      humanButton.textContent = TEXT.human;
      setStatus("");
    }
    emailForm.hidden = !frame.email_offer;
    if (frame.email_left && emailDone.hidden) {
      emailDone.textContent = TEXT.emailStored;
      emailDone.hidden = false;
    }
    if (conversationState !== "waiting") emailForm.hidden = true;
    if (conversationState !== "bot") setTyping(null);
    scrollToEnd();
  }

  function setTyping(frame) {
    if (!frame || !frame.on) {
      typing.textContent = "";
      typing.hidden = true;
      return;
    }
    typing.textContent =
      frame.author === "agent" ? fill(TEXT.typingAgent, { name: frame.name || agentName || TEXT.agent }) : TEXT.typingBot;
    typing.hidden = false;
    scrollToEnd();
  }

  /* --- the connection --- */

  function postJson(path, body, headers) {
    var allHeaders = { "Content-Type": "application/json" };
    Object.keys(headers || {}).forEach(function (key) {
      allHeaders[key] = headers[key];
    });
    return fetch(SERVICE + path, {
      method: "POST",
      headers: allHeaders,
      body: JSON.stringify(body),
      credentials: "omit"
    }).then(function (response) {
      return response.json().then(
        function (data) {
          return { ok: response.ok, status: response.status, data: data };
        },
        function () {
          return { ok: response.ok, status: response.status, data: {} };
        }
      );
    });
  }

  function startConversation() {
    var body = { lang: LANG };
    if (tokens && tokens.contact_token) body.contact_token = tokens.contact_token;
    return postJson("/api/web/conversations", body).then(function (answer) {
      if (!answer.ok) throw new Error("start failed: " + answer.status);
      var conversationChanged = !tokens || tokens.conversation_id !== answer.data.conversation_id;
      tokens = {
        contact_token: answer.data.contact_token,
        conversation_token: answer.data.conversation_token,
        conversation_id: answer.data.conversation_id
      };
      saveTokens(tokens);
      if (conversationChanged) resetLog();
    });
  }

  function resetLog() {
    while (list.firstChild) list.removeChild(list.firstChild);
    seen = {};
    lastId = null;
    lastButtons = null;
    emailDone.hidden = true;
  }

  function connect() {
    if (stopped) return;
    if (!tokens || !tokens.conversation_token) {
      startConversation().then(connect, scheduleReconnect);
      return;
    }
    var ws = new WebSocket(WS_URL);
    socket = ws;
    ws.addEventListener("open", function () {
      ws.send(JSON.stringify({
        type: "hello",
        contact_token: tokens.contact_token,
        conversation_token: tokens.conversation_token,
        last_message_id: lastId
      }));
    });
    ws.addEventListener("message", function (event) {
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      handleFrame(frame);
    });
    ws.addEventListener("close", function (event) {
      if (socket !== ws) return;
      socket = null;
      if (event.code === 4403) {
        stopped = true;
        setStatus(TEXT.unavailable);
        return;
      }
      if (event.code === 4401) {
        // The conversation token no longer works (another tab continued the conversation,
        // or the database was wiped): ask for fresh tokens with the contact token.
        tokens.conversation_token = null;
      }
      scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    if (stopped || reconnectTimer) return;
    setStatus(TEXT.reconnecting);
    var delay = Math.min(15000, 500 * Math.pow(2, retries)) * (0.75 + Math.random() / 2);
    retries += 1;
    reconnectTimer = setTimeout(function () {
      reconnectTimer = null;
      connect();
    }, delay);
  }

  function handleFrame(frame) {
    switch (frame.type) {
      case "welcome":
        retries = 0;
        applyState(frame);
        pending.forEach(function (entry) {
          socket.send(JSON.stringify(entry.frame));
        });
        break;
      case "message":
        if (kindOf(frame) === "bot" || kindOf(frame) === "agent") setTyping(null);
        renderMessage(frame);
        break;
      case "ack":
        pending = pending.filter(function (entry) {
          if (entry.frame.client_id !== frame.client_id) return true;
          if (entry.item) {
            entry.item.classList.remove("hw-pending");
            var sending = entry.item.querySelector(".hw-sending");
            if (sending) sending.remove();
          }
          if (typeof frame.message_id === "number") seen[frame.message_id] = true;
          return false;
        });
        break;
      case "typing":
        setTyping(frame);
        break;
      case "state":
        applyState(frame);
        break;
      case "error":
        handleError(frame);
        break;
      default:
        break;
    }
  }

  function handleError(frame) {
    if (frame.code === "conversation_closed") {
      closed = true;
      var unsent = pending;
      pending = [];
      tokens.conversation_token = null;
      unsent.forEach(function (entry) {
        if (entry.item) entry.item.remove();
      });
      // Start the new conversation and send the words again there.
      startConversation().then(function () {
        unsent.forEach(function (entry) {
          queueFrame(entry.frame, entry.text);
        });
        if (socket) socket.close();
        else connect();
      }, scheduleReconnect);
      return;
    }
    if (frame.code === "text_too_long") showComposerError(TEXT.tooLong);
    else if (frame.code === "rate_limited") showComposerError(TEXT.rateLimited);
    else if (frame.code !== "origin_not_allowed" && frame.code !== "unauthorized") showComposerError(TEXT.error);
  }

  function queueFrame(frame, text) {
    var item = text ? renderOwn(text) : null;
    var entry = { frame: frame, item: item, text: text };
    pending.push(entry);
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }

  function sendFrame(frame, text) {
    frame.client_id = newClientId();
    showComposerError("");
    queueFrame(frame, text);
  }

  function sendTyping(on) {
    if (typingSent === on) return;
    typingSent = on;
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "typing", on: on }));
  }

  /* --- interaction --- */

  function ensureStarted() {
    if (started) return;
    started = true;
    setStatus(TEXT.connecting);
    connect();
  }

  function openPanel(focus) {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    root.classList.add("hw-open");
    try {
      sessionStorage.setItem(OPEN_KEY, "1");
    } catch (e) {
      /* ignore */
    }
    ensureStarted();
    if (focus) input.focus();
    scrollToEnd();
  }

  function closePanel() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    root.classList.remove("hw-open");
    try {
      sessionStorage.removeItem(OPEN_KEY);
    } catch (e) {
      /* ignore */
    }
    launcher.focus();
  }

  launcher.addEventListener("click", function () {
    if (panel.hidden) openPanel(true);
    else closePanel();
  });
  closeButton.addEventListener("click", closePanel);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closePanel();
  });

  humanButton.addEventListener("click", function () {
    if (conversationState !== "bot") return;
    humanButton.disabled = true;
    sendFrame({ type: "request_human" }, TEXT.requestHuman);
  });

  composer.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    if (!text.trim()) return;
    input.value = "";
    sendTyping(false);
    if (closed && tokens) {
      closed = false;
      tokens.conversation_token = null;
      startConversation().then(function () {
        sendFrame({ type: "message", text: text }, text);
        if (socket) socket.close();
        else connect();
      }, scheduleReconnect);
      return;
    }
    sendFrame({ type: "message", text: text }, text);
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });

  input.addEventListener("input", function () {
    sendTyping(input.value.length > 0);
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () {
      sendTyping(false);
    }, 4000);
  });

  emailForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var address = emailInput.value.trim();
    emailError.hidden = true;
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address)) {
      emailError.textContent = TEXT.emailInvalid;
      emailError.hidden = false;
      emailInput.setAttribute("aria-invalid", "true");
      emailInput.focus();
      return;
    }
    emailInput.removeAttribute("aria-invalid");
    if (!consentBox.checked) {
      emailError.textContent = TEXT.emailNeedConsent;
      emailError.hidden = false;
      consentBox.focus();
      return;
    }
    emailSubmit.disabled = true;
    postJson("/api/web/email", { email: address, consent: true }, {
      "X-Contact-Token": tokens.contact_token,
      "X-Conversation-Token": tokens.conversation_token
    }).then(function (answer) {
      emailSubmit.disabled = false;
      if (!answer.ok) {
        emailError.textContent = answer.status === 422 ? TEXT.emailInvalid : TEXT.emailFailed;
        emailError.hidden = false;
        return;
      }
      emailForm.hidden = true;
      emailDone.textContent = fill(TEXT.emailThanks, { email: answer.data.email });
      emailDone.hidden = false;
      input.focus();
    }, function () {
      emailSubmit.disabled = false;
      emailError.textContent = TEXT.emailFailed;
      emailError.hidden = false;
    });
  });

  setTyping(null);
  setStatus("");

  // A visitor with a conversation, or who had the chat open before a reload, gets it back.
  var wasOpen = false;
  try {
    wasOpen = sessionStorage.getItem(OPEN_KEY) === "1";
  } catch (e) {
    wasOpen = false;
  }
  if (wasOpen) openPanel(false);
})();
