# Nephele: the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

LISTEN ?= 127.0.0.1:8080
SEED   ?= demo/seed.toml
CLOUD  := target/server/nephele-cloud

.PHONY: run test setup portal cloud dev bench lint clippy fmt clean-dist

## make run: install what is missing, build the release portal, serve it with the demo cloud
run: setup portal cloud
	@token=$$(sed -n 's/^token *= *"\(.*\)"/\1/p' $(SEED) | head -n1); \
	printf '\n  Nephele is at  http://%s/\n  Demo token:    %s\n  (Ctrl-C stops it; state lives in a temporary database)\n\n' "$(LISTEN)" "$$token"; \
	exec $(CLOUD) --listen $(LISTEN) --seed $(SEED) --dist dist

## make test: install what is missing, refuse unformatted code and lint warnings,
## then every test layer
test: setup lint
	@mkdir -p target && : > target/test-output.log
	cargo test --locked -p nephele-model -p nephele-cloud 2>&1 | tee -a target/test-output.log
	cargo test --locked --target wasm32-unknown-unknown --test web 2>&1 | tee -a target/test-output.log
	$(MAKE) --no-print-directory portal
	cargo test --locked -p nephele 2>&1 | tee -a target/test-output.log
	@awk '/^test result:/ {p += $$4; f += $$6} END {printf "\ntotal: %d passed, %d failed\n", p, f}' target/test-output.log

setup:
	@bash scripts/setup

portal:
	trunk build --release
	bash scripts/precompress dist

cloud:
	cargo build --locked --profile server -p nephele-cloud

## make dev: the local cloud on 8080 and `trunk serve` (live reload) on 8081
dev: setup cloud
	@# Trunk proxies the API paths, but the catalog the cloud returns names :8080
	@# itself, so the cloud also allows the dev origin (CORS).
	@$(CLOUD) --listen $(LISTEN) --seed $(SEED) --allow-origin http://127.0.0.1:8081 & cloud=$$!; \
	trap 'kill $$cloud' EXIT; \
	echo "Portal with live reload: http://127.0.0.1:8081/"; \
	trunk serve

## make lint: formatting and clippy (host and wasm32), warnings are errors
lint: setup
	@cargo fmt --all --check || { echo "Unformatted code: run 'make fmt'." >&2; exit 1; }
	cargo clippy --locked --workspace --all-targets -- -D warnings
	cargo clippy --locked -p nephele --target wasm32-unknown-unknown --all-targets -- -D warnings

clippy: lint

## make fmt: format the whole workspace
fmt:
	cargo fmt --all

## make bench: download size, start-up and rendering beside a plain-JS floor, polling
## cost and local-cloud load; writes BENCHMARKS.md. A report, not a test (not in `make test`).
bench:
	@bash bench/run
