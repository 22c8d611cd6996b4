# Earshot: `make run` serves with SQLite and the default model; `make test` runs every test.
SWIFT ?= swift
ARGS ?=

.PHONY: run test setup setup-tests build build-release bench clean

setup:
	./scripts/setup.sh

setup-tests:
	./scripts/setup.sh --tests

build: setup
	$(SWIFT) build

build-release: setup
	$(SWIFT) build -c release

run: build-release
	.build/release/earshot serve $(ARGS)

test: setup-tests
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: setup-tests build-release
	.venv/bin/python bench/engine_overhead.py --earshot .build/release/earshot

clean:
	rm -rf .build
