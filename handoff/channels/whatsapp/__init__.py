"""WhatsApp through Twilio: signed webhooks in, an outbox courier with a retry policy
that never sends a message twice out, status callbacks, the 24-hour window and an
agents-only media proxy (docs/whatsapp.md)."""

CHANNEL = "whatsapp"
