# `make run` (the service on the embedded defaults), `make test` (the suite), `make lint`,
# `make screenshots` (the README's pictures, refreshed by the browser tests), and
# `make translations` (the console's UI strings: extract, update the catalogs, compile).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
FLASK  := $(BIN)/flask --app api

.PHONY: run test lint bench-smoke clean chromium screenshots translations

$(BIN)/.installed: pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

run: $(BIN)/.installed
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	PUBLIC_BASE_URL=$${PUBLIC_BASE_URL:-http://127.0.0.1:$(PORT)} $(FLASK) dev --host 127.0.0.1 --port $(PORT)

# The console's browser tests drive Debian's Chromium; install it where we can (root + apt).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
				>/dev/null || echo "could not install chromium: browser tests will be skipped"; \
		else echo "no /usr/bin/chromium: browser tests will be skipped (apt-get install chromium)"; fi; \
	fi

# The whole suite on SQLite; then again on PostgreSQL when TEST_DATABASE_URL is set.
test: $(BIN)/.installed chromium
	env -u TEST_DATABASE_URL $(BIN)/pytest -m "not postgres"
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL: $$TEST_DATABASE_URL"; \
		$(BIN)/pytest; \
	fi

# The README's screenshots: the browser tests, writing into docs/screenshots instead of the
# git-ignored build/screenshots that `make test` uses. Commit the PNGs that changed.
screenshots: $(BIN)/.installed chromium
	env -u TEST_DATABASE_URL SCREENSHOTS_DIR=docs/screenshots REQUIRE_BROWSER=1 \
		$(BIN)/pytest -m browser -q tests/test_console_browser.py

# The console's UI strings (Flask-Babel): extract every msgid from console/ (babel.cfg) into
# build/messages.pot, merge it into each language's messages.po (translate what is new or fuzzy
# there, then run this again), and compile the .mo files the app reads. The .mo files are
# committed, so a clone serves Spanish without this step; tests/test_console_translations.py
# fails when a .po is behind the code, untranslated, or not compiled.
TRANSLATIONS := console/translations
translations: $(BIN)/.installed
	@mkdir -p build
	$(BIN)/pybabel -q extract -F babel.cfg --add-location=file --sort-output \
		--project=besponsa-care -o build/messages.pot .
	$(BIN)/pybabel -q update -i build/messages.pot -d $(TRANSLATIONS) \
		--ignore-obsolete --ignore-pot-creation-date
	$(BIN)/pybabel compile -d $(TRANSLATIONS) --statistics

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Every benchmark in bench/, small (seconds each, figures printed, not asserted): a benchmark
# that no longer runs fails CI. They WIPE $$BENCH_DATABASE_URL (PostgreSQL), which must be set.
bench-smoke: $(BIN)/.installed
	@test -n "$$BENCH_DATABASE_URL" || (echo "set BENCH_DATABASE_URL (it is wiped)"; exit 1)
	$(BIN)/python bench/outbox_dispatch.py --smoke
	$(BIN)/python bench/report_ingest.py --smoke
	$(BIN)/python bench/report_profile.py --smoke --top 5
	$(BIN)/python bench/reminder_planning.py --smoke
	$(BIN)/python bench/fhir_export.py --smoke

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
