# The two commands of the README: `make run` and `make test`. Both create .venv and install what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STORE  ?= var/store
HOST   ?= 127.0.0.1
PORT   ?= 8000
STAMP  := $(VENV)/.installed
MODEL  := var/model/boussole-tagger.joblib

.PHONY: run test lint build model ingest-sample serve browser bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $(STAMP)

# The learned tagger's weights, built from the committed labelled data (docs/tagging.md § 13).
$(MODEL): $(STAMP) ingest/model.py ingest/training.py ingest/tagger.py ingest/data/*.yaml tests/data/deliberations/*.csv $(wildcard ingest/corpus/*.csv)
	$(BIN)/boussole train --model $(MODEL)

model: $(MODEL)

build: $(STAMP) $(MODEL)
	$(BIN)/boussole build --store $(STORE)

# A sample of deliberations (an SCDL CSV with four flawed rows, full texts, a PDF and a .docx): three flawed rows are
# kept with their data-quality findings, one (no objet, no text) is rejected and listed in var/rejets/. Exit code 1
# only means that some input was rejected, which the sample does on purpose; 2 is a store error or an interrupted run.
SAMPLE := tests/data/deliberations/scdl-sample.csv tests/data/deliberations/textes tests/data/deliberations/sample.pdf tests/data/deliberations/sample.docx

ingest-sample: build
	$(BIN)/boussole ingest --store $(STORE) $(SAMPLE) || test $$? -eq 1

run: ingest-sample
	$(BIN)/boussole serve --store $(STORE) --host $(HOST) --port $(PORT)

# Debian's Chromium drives the browser tests (no browser download); installed once, as root, when missing.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The gates: ruff (pyproject [tool.ruff]) and mypy on kg/ and api/ ([tool.mypy]), then the tests.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

test: $(STAMP) browser $(MODEL)
	$(MAKE) --no-print-directory lint
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[bench]'
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var
