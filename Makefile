# Earshot: `make run` serves with SQLite and the default model; `make test` runs every test.
SWIFT ?= swift
ARGS ?=
BENCH_ARGS ?=

# The browser test's screenshots land in test-output/browser/.
.PHONY: run test fuzz setup setup-tests build build-release bench bench-engine bench-coordinator bench-events bench-live bench-replicas bench-engines bench-diarization clean

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
	./scripts/with-test-postgres.sh $(SWIFT) test --skip-build
	$(SWIFT) build --product earshot
	.venv/bin/python tests/browser/ui_test.py --earshot .build/debug/earshot --out test-output/browser
	.venv/bin/python tests/openai/openai_test.py --earshot .build/debug/earshot
	.venv/bin/python -m unittest tests/engine/fitted_window_test.py
	.venv/bin/python tests/fuzz/api_fuzz.py --earshot .build/debug/earshot --examples 10 --min-requests 1000
	./scripts/fuzz-native.sh 10

# Long fuzzing: schemathesis with many examples per operation (FUZZ_EXAMPLES, default 200), then
# libFuzzer on each parser target for FUZZ_SECONDS (default 600).
FUZZ_EXAMPLES ?= 200
FUZZ_SECONDS ?= 600
fuzz: setup-tests
	$(SWIFT) build --product earshot
	.venv/bin/python tests/fuzz/api_fuzz.py --earshot .build/debug/earshot --examples $(FUZZ_EXAMPLES) --min-requests 10000 --out test-output/fuzz-long
	./scripts/fuzz-native.sh $(FUZZ_SECONDS)

# All benchmarks; each writes its own section of docs/benchmarks.md.
bench: bench-engine bench-coordinator bench-events bench-live bench-replicas bench-engines bench-diarization

bench-engine: setup-tests build-release
	.venv/bin/python bench/engine_overhead.py --earshot .build/release/earshot

# The coordinator alone (synthetic engine); BENCH_ARGS=--help lists its options.
bench-coordinator:
	$(SWIFT) build -c release --product earshot-bench
	.build/release/earshot-bench $(BENCH_ARGS)

# Event fan-out latency over SSE at 1, 100 and 1000 subscribers.
bench-events:
	$(SWIFT) build -c release --product earshot-bench
	.build/release/earshot-bench events $(BENCH_ARGS)

# The coordinator on SQLite, on PostgreSQL, and as two replicas on one PostgreSQL (a throwaway
# local cluster with fsync on).
bench-replicas: setup-tests
	$(SWIFT) build -c release --product earshot-bench
	./scripts/with-test-postgres.sh --durable .build/release/earshot-bench replicas $(BENCH_ARGS)

# Live transcription latency over /api/v1/live at 1-4 concurrent clients.
bench-live: setup-tests build-release
	.venv/bin/pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	.venv/bin/python bench/live_latency.py --earshot .build/release/earshot --sessions 1,2,3,4

# faster-whisper vs whisper.cpp on ~5 and ~30 minutes of speech (tiny.en and base): time, RTF, peak RSS, WER.
bench-engines: setup-tests build-release
	.venv/bin/python bench/engines.py --earshot .build/release/earshot $(BENCH_ARGS)

# Diarization time against transcription time on the same 1- and 5-minute conversations, and DER.
bench-diarization: setup-tests build-release
	$(SWIFT) build -c release --product earshot-bench
	.build/release/earshot-bench diarization $(BENCH_ARGS)

clean:
	rm -rf .build
