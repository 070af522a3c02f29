#!/usr/bin/env bash
# Starts every process the product needs, prints the URLs, and stops them all on Ctrl-C.
# Called by `make run` after the venvs and the model are in place.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var

# The gateway secret is shared by the service and Rasa only. Without one configured we
# make a fresh random secret for this run rather than ship a default.
if [[ -z "${GATEWAY_SECRET:-}" ]]; then
  GATEWAY_SECRET="$(.venvs/handoff/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))')"
fi
export GATEWAY_SECRET
export HANDOFF_GATEWAY_SECRET="$GATEWAY_SECRET"

RASA_PORT="${RASA_PORT:-5005}"
ACTIONS_PORT="${ACTIONS_PORT:-5055}"
SERVICE_PORT="${SERVICE_PORT:-8000}"
export ACTION_SERVER_URL="${ACTION_SERVER_URL:-http://127.0.0.1:${ACTIONS_PORT}/webhook}"
export HANDOFF_RASA_URL="${HANDOFF_RASA_URL:-http://127.0.0.1:${RASA_PORT}}"
export HANDOFF_DATABASE_URL="${HANDOFF_DATABASE_URL:-sqlite:///var/handoff.db}"
# Rasa's tracker store: SQLite beside the service's database unless configured.
export TRACKER_DIALECT="${TRACKER_DIALECT:-sqlite}"
export TRACKER_URL="${TRACKER_URL:-}"
export TRACKER_DB="${TRACKER_DB:-var/tracker.db}"
export TRACKER_USERNAME="${TRACKER_USERNAME:-}"
export TRACKER_PASSWORD="${TRACKER_PASSWORD:-}"

CREDENTIALS=credentials.yml
if [[ "${PROFILE:-}" == "dev" ]]; then
  # Rasa's unauthenticated REST channel, for talking to the bot without the service.
  CREDENTIALS=credentials.dev.yml
fi

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo
  echo "Stopping..."
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all INT TERM EXIT

SANIC_HOST=127.0.0.1 .venvs/bot/bin/rasa run actions --actions actions --port "$ACTIONS_PORT" &
pids+=($!)
.venvs/bot/bin/rasa run --model models/assistant.tar.gz -i 127.0.0.1 --port "$RASA_PORT" \
  --credentials "$CREDENTIALS" --endpoints endpoints.yml &
pids+=($!)
.venvs/handoff/bin/python -m handoff.cli migrate
.venvs/handoff/bin/uvicorn handoff.main:create_app --factory --host 127.0.0.1 --port "$SERVICE_PORT" &
pids+=($!)

echo "Waiting for Rasa to load the model..."
for _ in $(seq 1 180); do
  if curl -fsS -H "Authorization: Bearer $GATEWAY_SECRET" \
      "http://127.0.0.1:${RASA_PORT}/webhooks/gateway/health" >/dev/null 2>&1; then
    break
  fi
  sleep 1
done

cat <<MSG

  Ready.
  Service health:                http://127.0.0.1:${SERVICE_PORT}/health
  Service API (OpenAPI):         http://127.0.0.1:${SERVICE_PORT}/docs
  Customer WebSocket:            ws://127.0.0.1:${SERVICE_PORT}/ws/web  (docs/customer-protocol.md)
  Rasa (gateway, localhost only): http://127.0.0.1:${RASA_PORT}/webhooks/gateway/
  Action server:                 http://127.0.0.1:${ACTIONS_PORT}/health
MSG
if [[ "${PROFILE:-}" == "dev" ]]; then
  echo "  Rasa REST channel (dev):       http://127.0.0.1:${RASA_PORT}/webhooks/rest/webhook"
fi
echo "  Press Ctrl-C to stop everything."

wait -n "${pids[@]}"
