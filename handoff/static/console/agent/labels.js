// Dutch words for the codes the API speaks.

export const CHANNELS = { web: "Website", whatsapp: "WhatsApp" };

export const STATES = {
  bot: "bij de assistent",
  waiting: "in de wachtrij",
  human: "bij een medewerker",
  closed: "gesloten",
};

export const OUTCOMES = {
  resolved_by_bot: "opgelost door de assistent",
  resolved_by_agent: "opgelost door een medewerker",
  abandoned: "klant vertrokken",
  expired: "verlopen",
};

// The same words as the server's REASON_TEXTS, for events that carry only the code.
export const REASONS = {
  explicit_request: "vroeg om een medewerker",
  human_only: "onderwerp voor een medewerker",
  low_confidence: "bot begreep het niet",
  rephrase: "klant herformuleerde",
  frustration: "klant gefrustreerd",
  bot_loop: "bot herhaalde zich",
  bot_failure: "storing bij de bot",
};

export const DELIVERY = {
  pending: "wordt verstuurd",
  sent: "verstuurd",
  delivered: "afgeleverd",
  read: "gelezen",
  failed: "niet afgeleverd",
  unknown: "status onbekend",
};

export function channelName(code) {
  return CHANNELS[code] || code || "onbekend kanaal";
}

export function reasonWords(code, text) {
  return text || REASONS[code] || code || "reden onbekend";
}

export function percent(confidence) {
  return typeof confidence === "number" ? `${Math.round(confidence * 100)}%` : null;
}
