# Two commands: `make run` and `make test`. Everything else is a step they share.
SHELL := /bin/bash
.DEFAULT_GOAL := run

BOT_VENV := .venvs/bot
SVC_VENV := .venvs/handoff
BOT_PY := $(BOT_VENV)/bin/python
SVC_PY := $(SVC_VENV)/bin/python
RASA := $(BOT_VENV)/bin/rasa
MODEL := models/assistant.tar.gz
TRAINING_INPUTS := config.yml domain.yml $(shell find bot/data -name '*.yml' 2>/dev/null) \
  $(shell find bot/components -name '*.py' 2>/dev/null) bot/spacy_nl/meta.json

.PHONY: run test venvs train spacy check-bot check-handoff test-bot test-handoff test-bench clean

run: venvs $(MODEL)
	@scripts/run.sh

test: venvs $(MODEL) check-bot check-handoff test-bot test-handoff test-bench

venvs: $(BOT_VENV)/.installed $(SVC_VENV)/.installed

$(BOT_VENV)/.installed: bot/requirements.lock
	@[ -x $(BOT_PY) ] || $$(scripts/find-python310) -m venv $(BOT_VENV)
	$(BOT_PY) -m pip install -q --disable-pip-version-check -r bot/requirements.lock
	@touch $@

$(SVC_VENV)/.installed: handoff/requirements.lock
	@[ -x $(SVC_PY) ] || $$(scripts/find-python311) -m venv $(SVC_VENV)
	$(SVC_PY) -m pip install -q --disable-pip-version-check -r handoff/requirements.lock
	@touch $@

spacy: bot/spacy_nl/meta.json
bot/spacy_nl/meta.json: bot/spacy_pipeline.py $(BOT_VENV)/.installed
	$(BOT_PY) bot/spacy_pipeline.py bot/spacy_nl

# Make's own timestamps decide: the model is retrained only when data or config changed.
# flock keeps parallel callers (two terminals, tests) from training at the same time.
train: $(MODEL)
$(MODEL): $(TRAINING_INPUTS) $(BOT_VENV)/.installed
	flock /tmp/assistant-train.lock $(RASA) train --data bot/data --domain domain.yml \
	  --config config.yml --out models --fixed-model-name assistant
	@touch $@

check-bot: $(BOT_VENV)/.installed
	$(BOT_VENV)/bin/ruff check bot actions tests/bot bench
	$(BOT_VENV)/bin/mypy
	$(RASA) data validate --data bot/data --domain domain.yml --config config.yml --fail-on-warnings

check-handoff: $(SVC_VENV)/.installed
	$(SVC_VENV)/bin/ruff check handoff tests/handoff tests/bench
	$(SVC_VENV)/bin/mypy --config-file handoff/pyproject.toml

test-bot: $(BOT_VENV)/.installed $(MODEL)
	$(BOT_VENV)/bin/pytest tests/bot

test-handoff: $(SVC_VENV)/.installed $(MODEL)
	$(SVC_VENV)/bin/pytest tests/handoff

# Every benchmark on a small sample of ../shared/data, so the commands keep working; the
# full runs are the README's commands.
test-bench: venvs $(MODEL)
	$(SVC_VENV)/bin/pytest tests/bench

clean:
	rm -rf models bot/spacy_nl .rasa var
