# Nephele: the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

LISTEN ?= 127.0.0.1:8080
SEED   ?= demo/seed.toml
# Which cloud `make run` serves the portal with: synnefo (the local demo cloud) or
# openstack (a real Keystone + Neutron, as `make run-openstack`).
CLOUD  ?= synnefo
# Where `make cloud` puts the server (cargo honours CARGO_TARGET_DIR).
SERVER := $(or $(CARGO_TARGET_DIR),target)/server/nephele-cloud
# `make run-openstack`: where Keystone, Neutron and Nova listen (on 127.0.0.1; placement,
# Glance, MariaDB and RabbitMQ take scripts/openstack's defaults).
KEYSTONE_PORT ?= 5000
NEUTRON_PORT  ?= 9696
NOVA_PORT     ?= 8774

.PHONY: run run-openstack test setup portal cloud dev bench lint clippy fmt clean-dist

## make run: install what is missing, build the release portal, serve it with the demo cloud
## (make run CLOUD=openstack: with a real Keystone + Neutron instead, see run-openstack)
ifeq ($(CLOUD),openstack)
run: run-openstack
else ifeq ($(CLOUD),synnefo)
run: setup portal cloud
	@token=$$(sed -n 's/^token *= *"\(.*\)"/\1/p' $(SEED) | head -n1); \
	printf '\n  Nephele is at  http://%s/\n  Demo token:    %s\n  (Ctrl-C stops it; state lives in a temporary database)\n\n' "$(LISTEN)" "$$token"; \
	exec $(SERVER) --listen $(LISTEN) --seed $(SEED) --dist dist
else
run:
	@echo "make run: CLOUD is synnefo (the default) or openstack, not '$(CLOUD)'" >&2; exit 1
endif

## make run-openstack: install what is missing, build the release portal, start a real
## Keystone + Neutron + a small Nova on 127.0.0.1 (scripts/openstack; state in a temporary
## directory, CORS for http://$(LISTEN)), seed a demo user with two servers, and serve the
## portal configured for it. Ctrl-C (or any exit) stops the services and removes the state.
run-openstack: setup portal cloud
	@state=$$(mktemp -d "$${TMPDIR:-/tmp}/nephele-openstack.XXXXXX"); \
	trap 'bash scripts/openstack stop "$$state" >/dev/null || true; rm -rf "$$state"' EXIT; \
	export KEYSTONE_PORT=$(KEYSTONE_PORT) NEUTRON_PORT=$(NEUTRON_PORT) NOVA_PORT=$(NOVA_PORT) \
	  NEPHELE_OPENSTACK_NOVA=1 NEPHELE_WATCH_PID=$$$$; \
	echo "Starting Keystone, Neutron and Nova (about 30 s, a minute the first time; state in $$state)"; \
	bash scripts/openstack start "$$state" "http://$(LISTEN)" >/dev/null; \
	bash scripts/openstack seed "$$state" >"$$state/seed.json"; \
	bash scripts/openstack demo-servers "$$state" web-1 web-2 >/dev/null; \
	rm -rf target/openstack-dist; mkdir -p target/openstack-dist; cp -R dist/. target/openstack-dist/; \
	printf '{\n  "title": "Nephele",\n  "identity_url": "http://127.0.0.1:%s/v3",\n  "family": "openstack",\n  "api_origins": ["http://127.0.0.1:%s", "http://127.0.0.1:%s"],\n  "poll": {"interval_ms": 1000, "give_up_ms": 120000}\n}\n' \
	  "$(KEYSTONE_PORT)" "$(NEUTRON_PORT)" "$(NOVA_PORT)" >target/openstack-dist/config.json; \
	printf '\n  Nephele is at  http://%s/  (OpenStack: Keystone http://127.0.0.1:%s/v3, Neutron http://127.0.0.1:%s, Nova http://127.0.0.1:%s/v2.1)\n' \
	  "$(LISTEN)" "$(KEYSTONE_PORT)" "$(NEUTRON_PORT)" "$(NOVA_PORT)"; \
	printf '  Sign in as:    user demo, password demo-password, domain Default (projects demo-a with servers web-1 and web-2, demo-b)\n'; \
	printf '  Admin:         user admin, password admin-password, project admin\n'; \
	printf '  (Ctrl-C stops it; the services stop with it and their state is removed)\n\n'; \
	$(SERVER) --listen $(LISTEN) --dist target/openstack-dist

## make test: install what is missing, refuse unformatted code and lint warnings,
## then every test layer
test: setup lint
	@mkdir -p target && : > target/test-output.log
	cargo test --locked -p nephele-model -p nephele-cloud 2>&1 | tee -a target/test-output.log
	cargo test --locked -p nephele-model --features lean 2>&1 | tee -a target/test-output.log
	cargo test --locked --target wasm32-unknown-unknown --test web 2>&1 | tee -a target/test-output.log
	$(MAKE) --no-print-directory portal
	cargo test --locked -p nephele 2>&1 | tee -a target/test-output.log
	@awk '/^test result:/ {p += $$4; f += $$6} END {printf "\ntotal: %d passed, %d failed\n", p, f}' target/test-output.log

setup:
	@bash scripts/setup

# The release portal, split by page (Trunk cannot split: see scripts/build-portal).
portal:
	bash scripts/build-portal dist

cloud:
	cargo build --locked --profile server -p nephele-cloud

## make dev: the local cloud on 8080 and `trunk serve` (live reload) on 8081
dev: cloud
	@bash scripts/setup --dev
	@# Trunk proxies the API paths, but the catalog the cloud returns names :8080
	@# itself, so the cloud also allows the dev origin (CORS).
	@$(SERVER) --listen $(LISTEN) --seed $(SEED) --allow-origin http://127.0.0.1:8081 & cloud=$$!; \
	trap 'kill $$cloud' EXIT; \
	echo "Portal with live reload: http://127.0.0.1:8081/"; \
	trunk serve

## make lint: formatting and clippy (host and wasm32), warnings are errors
lint: setup
	@cargo fmt --all --check || { echo "Unformatted code: run 'make fmt'." >&2; exit 1; }
	cargo clippy --locked --workspace --all-targets -- -D warnings
	cargo clippy --locked -p nephele --target wasm32-unknown-unknown --all-targets -- -D warnings
	cargo clippy --locked -p nephele --target wasm32-unknown-unknown --features split -- -D warnings

clippy: lint

## make fmt: format the whole workspace
fmt:
	cargo fmt --all

## make bench: download size, start-up and rendering beside a plain-JS floor, polling
## cost and local-cloud load; writes BENCHMARKS.md. A report, not a test (not in `make test`).
bench:
	@bash bench/run
