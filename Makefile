# llmplan - top-level entry points. CMake does the building; this file is the front door.
#   make          build (installs missing Debian packages first when run as root)
#   make run      build, then plan Llama-3.1-8B-Instruct on one H100 (the embedded default)
#   make test     build and run every test, then again under AddressSanitizer + UBSan
#   make bench    build optimised and run the benchmarks in bench/
#   make accuracy print llmplan against the real vLLM measurements in ../shared/validation
#   make accuracy-doc  write that report to docs/ACCURACY.md
#   make bands    fit the error bands (data/bands.tsv) on the fit rows of ../shared/validation
#   make fuzz     build the libFuzzer targets (clang) and run each for FUZZ_SECONDS (default 30)
#   make fuzz-ci  the same for 20 s each (what CI runs); see fuzz/README.md
#   make install  install llmplan, libllmplan.{so,a}, headers, llmplan.pc and the man page
#                 under PREFIX (default /usr/local), staged under DESTDIR when given
BUILD      ?= build
ASAN_BUILD ?= build-asan
BENCH_BUILD ?= build-bench
FUZZ_BUILD ?= build-fuzz
FUZZ_CC    ?= clang
FUZZ_SECONDS ?= 30
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
# Debian's interpreter (the Python package is built and tested for it), else the first on PATH
PYTHON     ?= $(firstword $(wildcard /usr/bin/python3) python3)
LP_CMAKE    = -DPython3_EXECUTABLE=$(PYTHON) $(CMAKE_FLAGS)
PREFIX     ?= /usr/local
DESTDIR    ?=

.PHONY: all deps build run install test test-plain test-asan bench accuracy accuracy-doc bands fuzz fuzz-build fuzz-ci format clean

all: build

deps:
	@sh scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(LP_CMAKE) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/llmplan plan --model meta-llama/Llama-3.1-8B-Instruct --gpu H100

install: build
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"

test: test-plain test-asan

test-plain: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DLP_SANITIZE=ON $(LP_CMAKE) >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j $(JOBS)

bench: deps
	@cmake -S . -B $(BENCH_BUILD) -DCMAKE_BUILD_TYPE=Release $(LP_CMAKE) >/dev/null
	@cmake --build $(BENCH_BUILD) -j $(JOBS)
	./$(BENCH_BUILD)/bench_plan ./$(BENCH_BUILD)/llmplan
	./$(BENCH_BUILD)/bench_perf
	./$(BENCH_BUILD)/bench_phases
	./$(BENCH_BUILD)/bench_sim
	./$(BENCH_BUILD)/bench_search
	./$(BENCH_BUILD)/bench_gpu_file
	HF_HUB_OFFLINE=1 ./$(BENCH_BUILD)/bench_batch ./$(BENCH_BUILD)/llmplan
	@if [ -d $(BENCH_BUILD)/python/llmplan ]; then \
		PYTHONPATH=$(BENCH_BUILD)/python HF_HUB_OFFLINE=1 $(PYTHON) bench/bench_python.py; \
	else echo "bench_python: skipped (the Python extension was not built: python3-dev missing)"; fi

accuracy: build
	./$(BUILD)/llmplan accuracy --validation ../shared/validation

# The commit of what is measured: the last one that changed the model (src/, include/, data/ but
# the band table) or, for the report, also the band table; -dirty when those differ from it.
MODEL_PATHS = src include data ':!data/bands.tsv'
MODEL_COMMIT = $$(git log -1 --format=%h -- $(MODEL_PATHS))$$(git diff --quiet HEAD -- $(MODEL_PATHS) || echo -dirty)
DOC_COMMIT = $$(git log -1 --format=%h -- src include data)$$(git diff --quiet HEAD -- src include data || echo -dirty)

# Regenerate after any change to the model: the bands are how wrong this model has been.
bands: build
	./$(BUILD)/llmplan accuracy --brief --validation ../shared/validation \
		--bands-out data/bands.tsv --commit "$(MODEL_COMMIT)" >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

accuracy-doc: build
	./$(BUILD)/llmplan accuracy --brief --validation ../shared/validation \
		--markdown docs/ACCURACY.md --commit "$(DOC_COMMIT)" >/dev/null

# Each target runs on a copy of its seed corpus under $(FUZZ_BUILD)/fuzz-work (the repo's corpus
# stays as committed), with the saved crash inputs of fuzz/regressions as extra seeds. A crash,
# leak, sanitizer report, slow input (-timeout) or memory blow-up stops the run and fails make;
# the input is left in $(FUZZ_BUILD)/fuzz-work/<target>/artifacts/. Warnings are not errors in this
# clang build: the gcc builds of `make test` hold that line, this one is for finding bugs.
fuzz-build: deps
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=$(FUZZ_CC) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DLP_FUZZ=ON -DLP_SANITIZE=ON -DLP_WERROR=OFF $(LP_CMAKE) >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_targets

fuzz: fuzz-build
	@set -e; for src in fuzz/fuzz_*.c; do \
		t=$$(basename $$src .c); w=$(FUZZ_BUILD)/fuzz-work/$$t; \
		rm -rf $$w; mkdir -p $$w/corpus $$w/artifacts; \
		if [ -d fuzz/corpus/$$t ]; then cp fuzz/corpus/$$t/* $$w/corpus/; fi; \
		seeds=""; if [ -d fuzz/regressions/$$t ]; then seeds=fuzz/regressions/$$t; fi; \
		dict=""; if [ -f fuzz/$$t.dict ]; then dict=-dict=fuzz/$$t.dict; fi; \
		echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
		if ! ./$(FUZZ_BUILD)/$$t -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -timeout=10 \
			$$dict -artifact_prefix=$$w/artifacts/ -print_final_stats=1 $$w/corpus $$seeds \
			>$$w/log.txt 2>&1; then \
			tail -n 60 $$w/log.txt; echo "fuzz: $$t FAILED; input kept in $$w/artifacts/" >&2; exit 1; \
		fi; \
		grep -h -E '^stat::number_of_executed_units|^stat::average_exec_per_sec' $$w/log.txt \
			| sed "s/^/fuzz: $$t /"; \
	done

fuzz-ci:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=20

# The web planner (`llmplan serve`): the browser test in headless Debian Chromium (playwright-core,
# screenshots in $(BUILD)/web-screenshots/) and a bounded load test on 127.0.0.1 (req/s, p99).
.PHONY: bench-web
bench-web: deps
	@cmake -S . -B $(BENCH_BUILD) -DCMAKE_BUILD_TYPE=Release $(LP_CMAKE) >/dev/null
	@cmake --build $(BENCH_BUILD) -j $(JOBS) --target llmplan_cli
	sh bench/web_load.sh $(BENCH_BUILD)

.PHONY: test-web
test-web: build
	cd tests/web && npm ci --no-audit --no-fund --loglevel=error
	LLMPLAN_BUILD=$(BUILD) node tests/web/e2e.mjs
	LLMPLAN_BUILD=$(BUILD) node tests/web/load.mjs

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(BENCH_BUILD) $(FUZZ_BUILD)
