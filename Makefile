# The two commands: `make run` serves the demo portal, `make test` runs the whole suite.
# Both set up what they need (virtualenv, npm assets, translations) and are safe to run again.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-installed
# Every package `make run` and `make test` install, pinned: installs take their versions from here, so
# a developer, CI and a production build get the same ones. `make lock` regenerates it.
LOCK := requirements-lock.txt
TEST_STAMP := $(VENV)/.test-installed
HTMX := static/vendor/htmx.min.js
FONT := static/vendor/fonts/Vazirmatn-Regular.ttf
ICONS := static/vendor/icons.svg
SWAGGER_UI := static/vendor/swagger-ui/swagger-ui-bundle.js
CHROMIUM ?= /usr/bin/chromium
DOVECOT ?= /usr/sbin/dovecot
NGINX ?= /usr/sbin/nginx
# Test processes: most of a test's time is spent waiting on databases and browsers, so more than the
# two cores CI has still pays.
TEST_WORKERS ?= 4

.PHONY: run test setup lint format translations browser test-services clean lock screenshots bench

run: setup
	$(BIN)/portal migrate
	$(BIN)/portal demo
	$(BIN)/portal run --host 127.0.0.1 --port 5000

test: setup $(TEST_STAMP) test-services
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# Pictures of the main pages, in English and Persian, on a laptop and a phone, into docs/screenshots/
# for README.md and docs/. A browser test of its own, outside `make test`, which writes no files.
screenshots: setup $(TEST_STAMP) browser
	$(BIN)/pytest -p no:cacheprovider tests/e2e/screenshots.py

setup: $(RUN_STAMP) $(HTMX) $(FONT) $(ICONS) $(SWAGGER_UI) translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The demo runs on the embedded default (SQLite, files and mail in instance/), which needs no extra.
$(RUN_STAMP): setup.cfg pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c $(LOCK) -e .
	touch $@

# The tests cover PostgreSQL, Redis and S3 too, so they install every extra.
$(TEST_STAMP): $(RUN_STAMP) $(LOCK) tests/example_plugin/pyproject.toml
	$(BIN)/pip install --quiet -c $(LOCK) -e '.[all,test]' -e tests/example_plugin
	touch $@

# Pin again after a change to the dependencies in setup.cfg; pins that still fit are kept.
# `make lock LOCK_ARGS=--upgrade` moves every pin to the newest release its range allows.
lock: | $(BIN)/python
	$(BIN)/pip install --quiet 'pip-tools>=7.4,<8'
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --extra all --extra test --strip-extras --no-emit-index-url \
		--no-emit-find-links --no-emit-trusted-host --newline lf $(LOCK_ARGS) -o $(LOCK) setup.cfg

$(HTMX): package.json package-lock.json
	npm ci --no-audit --no-fund
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js $@

$(FONT): $(HTMX)
	mkdir -p static/vendor/fonts
	cp node_modules/vazirmatn/fonts/ttf/Vazirmatn-Regular.ttf node_modules/vazirmatn/fonts/ttf/Vazirmatn-Bold.ttf static/vendor/fonts/
	cp node_modules/vazirmatn/OFL.txt static/vendor/fonts/ 2>/dev/null || true

# Only the icons the templates use (listed in portal/icons.py), as one SVG sprite.
$(ICONS): $(HTMX) portal/icons.py
	$(PYTHON) portal/icons.py node_modules/lucide-static/icons $@
	cp node_modules/lucide-static/LICENSE static/vendor/lucide-LICENSE

# The API reference page (/api/v1/docs) draws the OpenAPI document with Swagger UI, served from here.
$(SWAGGER_UI): $(HTMX)
	mkdir -p static/vendor/swagger-ui
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
		node_modules/swagger-ui-dist/LICENSE static/vendor/swagger-ui/

translations: $(RUN_STAMP)
	$(BIN)/pybabel -q compile --use-fuzzy -d portal/translations
	$(BIN)/pybabel -q compile -d tests/example_plugin/portal_example_plugin/translations

# The browser journeys drive Debian's chromium; install it when we may (root with apt).
browser:
	@if [ ! -x $(CHROMIUM) ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi

# The programs the suite starts for itself: the browser, Dovecot as the IMAP mailbox the portal polls,
# and nginx in front of gunicorn for the production profile (tests/test_production_profile.py).
test-services: browser
	@if [ ! -x $(DOVECOT) ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd; \
	fi
	@if [ ! -x $(NGINX) ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx; \
	fi

# The benchmark harness (docs/performance.md): seeds a database, serves the portal and a bare Flask page
# with gunicorn, runs wrk on every main page and writes the table to benchmarks/results/. SQLite at the
# small scale by default; for the big run:
#   make bench BENCH_ARGS="--database postgresql://postgres@127.0.0.1:5432/bench --scale large"
BENCH_STAMP := $(VENV)/.bench-installed
BENCH_ARGS ?=

bench: setup $(BENCH_STAMP)
	$(BIN)/python benchmarks/harness.py $(BENCH_ARGS)

$(BENCH_STAMP): $(RUN_STAMP) $(LOCK)
	$(BIN)/pip install --quiet -c $(LOCK) -e '.[postgres,bench]'
	touch $@

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(TEST_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) node_modules static/vendor
