# llmplan - top-level entry points. CMake does the building; this file is the front door.
#   make          build (installs missing Debian packages first when run as root)
#   make run      build, then plan Llama-3.1-8B-Instruct on one H100 (the embedded default)
#   make test     build and run every test, then again under AddressSanitizer + UBSan
#   make bench    build optimised and run the benchmarks in bench/
#   make accuracy print llmplan against the real vLLM measurements in ../shared/validation
BUILD      ?= build
ASAN_BUILD ?= build-asan
BENCH_BUILD ?= build-bench
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all deps build run test test-plain test-asan bench accuracy format clean

all: build

deps:
	@sh scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/llmplan plan --model meta-llama/Llama-3.1-8B-Instruct --gpu H100

test: test-plain test-asan

test-plain: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DLP_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j $(JOBS)

bench: deps
	@cmake -S . -B $(BENCH_BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BENCH_BUILD) -j $(JOBS)
	./$(BENCH_BUILD)/bench_plan ./$(BENCH_BUILD)/llmplan
	./$(BENCH_BUILD)/bench_sim
	./$(BENCH_BUILD)/bench_search

accuracy: build
	./$(BUILD)/llmplan accuracy --validation ../shared/validation

# The web planner (`llmplan serve`): the browser test in headless Debian Chromium (playwright-core,
# screenshots in $(BUILD)/web-screenshots/) and a bounded load test on 127.0.0.1 (req/s, p99).
.PHONY: test-web
test-web: build
	cd tests/web && npm ci --no-audit --no-fund --loglevel=error
	LLMPLAN_BUILD=$(BUILD) node tests/web/e2e.mjs
	LLMPLAN_BUILD=$(BUILD) node tests/web/load.mjs

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(BENCH_BUILD)
