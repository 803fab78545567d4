# jxc — two commands on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_DATABASE_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/jxc_test
export TEST_DATABASE_URL

.PHONY: run test test-sqlite test-postgres bench install check clean lock schema lint format console console-if-node test-console

# The exact tested versions, with hashes (requirements.lock), then jxc itself without resolving again;
# re-run whenever pyproject.toml or the lock changes.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

## Re-resolve requirements.lock after changing the dependency ranges in pyproject.toml
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra test --generate-hashes --universal --python-version 3.11 \
		--custom-compile-command "make lock" -o requirements.lock

## The web console (console/, Vue + Vite): `npm ci` when the lock changed, a build when its sources,
## the lock or schema.graphql changed (stamp files); jxc serves console/dist at /.
CONSOLE_SOURCES := $(shell find console/src console/public console/index.html console/vite.config.ts \
	console/codegen.ts console/tsconfig.json console/scripts -type f -not -path 'console/src/gql/*' \
	-not -name components.d.ts 2>/dev/null)
CONSOLE_DEPS := console/node_modules/.installed
CONSOLE_STAMP := console/dist/.built
NODE_OK := $(shell node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)' 2>/dev/null && command -v npm >/dev/null && echo yes)

$(CONSOLE_DEPS): console/package.json console/package-lock.json
	cd console && npm ci --no-audit --no-fund
	touch $(CONSOLE_DEPS)

$(CONSOLE_STAMP): $(CONSOLE_DEPS) $(CONSOLE_SOURCES) console/package-lock.json schema.graphql
	cd console && npm run build
	touch $(CONSOLE_STAMP)

console: $(CONSOLE_STAMP)

# `make run` without Node ≥ 20: say so and serve the API (and GraphiQL) alone
console-if-node:
ifeq ($(NODE_OK),yes)
	@$(MAKE) --no-print-directory console
else
	@echo "Node.js >= 20 with npm not found: the web console is not built; serving the API alone (GraphiQL at /graphql)."
endif

## The console's browser test (Playwright with Debian's /usr/bin/chromium) against a real jxc server
test-console: $(STAMP) console
	cd console && npm run e2e

## Create .venv, install, migrate, load demo data on first start, build the console (with Node), serve
## http://127.0.0.1:8000/ (the console) and /graphql (GraphiQL)
run: $(STAMP) console-if-node
	$(BIN)/jxc migrate
	$(BIN)/jxc demo-data
	$(BIN)/jxc serve

## The whole suite on SQLite, then on PostgreSQL when one is reachable (required when JXC_REQUIRE_POSTGRES=1)
test: $(STAMP)
	$(BIN)/python -m tests.run_all

## Lint, format, layers and types: ruff ([tool.ruff]), the import contracts ([tool.importlinter],
## docs/architecture.md) and mypy over server/ ([tool.mypy], zero errors)
LINTED := server schema tests bench scanner_client migrations
lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/lint-imports
	$(BIN)/mypy

## Apply ruff's fixes and formatting in place
format: $(STAMP)
	$(BIN)/ruff check --fix $(LINTED)
	$(BIN)/ruff format $(LINTED)

test-sqlite: $(STAMP)
	JXC_TEST_DB=sqlite $(BIN)/pytest -q

test-postgres: $(STAMP)
	JXC_TEST_DB=postgres $(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python -m bench.run

check: $(STAMP)
	$(BIN)/jxc check

## Regenerate schema.graphql (the committed SDL) from the served schema; prints what changes for clients
schema: $(STAMP)
	$(BIN)/python -m schema.sdl

clean:
	rm -rf $(VENV) var .pytest_cache
