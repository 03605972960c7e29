# Everything a person or CI does, with its own set-up: `make run`, `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The first Python 3.10 we can find (Rasa 3.6 supports 3.8-3.10); pyenv shims may exist
# without a selected version, so each candidate is tried, not just looked up.
PYTHON310 := $(shell for c in python3.10 $$HOME/.pyenv/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10; do \
	$$c -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1 && { echo $$c; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed-$(shell sha1sum requirements.lock | cut -c1-12)
MODEL := models/pinecone.tar.gz
DATA ?= ../shared/datasets
export PYTHONPATH := $(CURDIR)
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
# Rasa's training cache restores LogisticRegressionClassifier's file under the name of the node
# that first trained it (`<node>.skops`); when a pipeline change renumbers the node, the model
# is saved without a loadable classifier. So the cache is off, and make itself decides whether
# to train: only when the data, domain, config or our components are newer than the model.
export RASA_MAX_CACHE_SIZE := 0
MODEL_INPUTS := config.yml domain.yml $(shell find bot/data -name '*.yml') $(wildcard bot/*.py)
RASA := $(PY) -W ignore -m rasa

.PHONY: help install model run chromium test test-unit test-e2e validate test-stories lint agents bench bench-relay bench-model bench-cv bench-nlu eval-uss eval-scripted eval-bot eval-nlu train-router settings lock clean

help:
	@echo "make run        start the bot, the action server, Redis and the chat page"
	@echo "make test       validate the data, run the test stories and the whole pytest suite"
	@echo "make lint       ruff and mypy"
	@echo "make bench      turn latency of the bot over REST (ours vs DIET), queue and relay"
	@echo "make bench-relay  queue ops/s and customer <-> agent delivery latency"
	@echo "make bench-cv   NLU cross-validation on our data: ours vs DIET"
	@echo "make bench-nlu  BANKING77 accuracy of our NLU pipeline (DATA=$(DATA))"
	@echo "make eval-uss   the frustration scorer on USS dialogues vs VADER (DATA=$(DATA))"
	@echo "make eval-bot   a split of evaluation/conversations through the real bot (SPLIT=dev)"
	@echo "make eval-nlu   intent accuracy on the held-out customer lines"
	@echo "make train-router  the learned combiner vs the hand-set weights (ARGS=\"--test --write\")"
	@echo "make eval-scripted  the scorer alone on the older scripted conversations"
	@echo "make settings   show the router's live settings; ARGS=\"set NAME VALUE\" changes one"

$(INSTALLED): requirements.lock
	@test -n "$(PYTHON310)" || { echo "Python 3.10 not found: install python3.10 (Rasa 3.6 needs 3.8-3.10)."; exit 1; }
	@test -x $(PY) || { echo "[install] creating $(VENV) with $(PYTHON310)"; $(PYTHON310) -m venv $(VENV); }
	@echo "[install] installing pinned dependencies (about 5 minutes the first time)"
	$(PY) -m pip install --upgrade "pip==24.2"
	$(PY) -m pip install --progress-bar on --no-deps -r requirements.lock
	@rm -f $(VENV)/.installed-* && touch $@

install: $(INSTALLED)

model: $(MODEL)

$(MODEL): $(INSTALLED) $(MODEL_INPUTS)
	@echo "[model] training: the data, domain, config or a component changed (about a minute)"
	$(RASA) train --data bot/data --domain domain.yml --config config.yml --out models --fixed-model-name pinecone
	@touch $@

run: model
	$(PY) -m stack.run

validate: install
	$(RASA) data validate --data bot/data --domain domain.yml --config config.yml --fail-on-warnings

test-stories: model
	$(RASA) test core --model $(MODEL) --stories tests/stories --fail-on-prediction-errors --out results/stories

test-unit: install
	$(PY) -m pytest tests --ignore=tests/e2e

test-e2e: model chromium
	$(PY) -m pytest tests/e2e

# The browser tests drive Debian's Chromium; installed here when missing (needs root, as in CI).
chromium:
	@command -v chromium >/dev/null || { echo "[test] installing Debian's chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y -q chromium || { apt-get update -q && apt-get install -y -q chromium; }; \
	  else echo "Chromium is missing: install it with 'sudo apt-get install chromium'."; exit 1; fi; }

test: validate test-stories chromium
	$(PY) -m pytest tests

lint: install
	$(PY) -m ruff check .
	$(PY) -m mypy

DIET_MODEL := models/bench-diet.tar.gz

# The rejected alternative, trained from the same data, so both are measured side by side.
bench-model: model
	$(RASA) train --data bot/data --domain domain.yml --config bench/configs/no_router.yml --out models --fixed-model-name bench-no-router
	$(RASA) train --data bot/data --domain domain.yml --config bench/configs/counts_only.yml --out models --fixed-model-name bench-counts-only
	$(RASA) train --data bot/data --domain domain.yml --config bench/configs/diet.yml --out models --fixed-model-name bench-diet

bench: bench-model
	$(PY) -m bench.scoring
	$(PY) -m bench.whatif
	$(PY) -m bench.router_overhead
	$(PY) -m bench.turn_latency
	$(PY) -m bench.big_messages
	$(PY) -m bench.queue_ops
	$(PY) -m bench.history_search
	$(PY) -m bench.relay_latency

# The human side alone: queue operations per second, and customer <-> agent delivery latency.
bench-relay: model
	$(PY) -m bench.queue_ops
	$(PY) -m bench.relay_latency

bench-cv: install
	$(PY) -m bench.nlu_crossval

# The router on the team's scripted conversations, and hand-set weights vs a learned combiner.
eval-scripted: install
	$(PY) -m router.eval scripted
	$(PY) -m router.train

# Agent accounts from a shell: make agents ARGS="add sam 'Sam Lee' --teams billing"
agents: install
	$(PY) -m router.agents_cli $(ARGS)

# Show or change the router's live settings: make settings ARGS="set handoff_threshold 0.7"
settings: install
	$(PY) -m router.settings_cli $(or $(ARGS),show)

# The frustration scorer on the public USS satisfaction dialogues, beside the VADER baseline.
eval-uss: install
	$(PY) -m router.eval uss $(DATA)/uss/SGD.txt $(DATA)/uss/MWOZ.txt

bench-nlu: install
	$(PY) -m bench.nlu_banking77 --data $(DATA)

lock: install
	$(PY) -m pip freeze --exclude-editable > requirements.lock
	echo "setuptools==70.3.0" >> requirements.lock

clean:
	rm -rf results .pytest_cache .mypy_cache .ruff_cache
