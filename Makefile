# callscope: the two commands a new user needs are `make demo` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export TZ := UTC

GO        ?= go
DATA      ?= ./data
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X github.com/callscope/callscope/internal/version.Version=$(VERSION)
BIN       := bin
# Packages with goroutines and shared state: run under the race detector too.
RACE_PKGS ?= $(shell $(GO) list ./... | grep -E '/(dsp|recording/spool|recording/eventgrid|recording/control|recording/rules|recording/acstest|internal/ingest|store)$$' || true)

.PHONY: all build demo test test-short unit race lint bench eval setup-demo setup-test setup-bench clean notebooks report-shot

all: build

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/...

setup-demo:
	@scripts/setup.sh demo
setup-test:
	@scripts/setup.sh test
setup-bench:
	@scripts/setup.sh bench

## demo: the main job on the embedded sample recordings: analyze → Parquet → calls table, QA verdict, HTML report.
demo: setup-demo build
	$(BIN)/analyze --data $(DATA) testdata/recordings/*/
	@echo
	$(BIN)/report --data $(DATA) calls
	@echo
	$(BIN)/report --data $(DATA) qa
	@echo
	$(BIN)/report --data $(DATA) html -o $(DATA)/report.html
	@echo "HTML report with a timeline per call: $(DATA)/report.html"

## test: everything CI runs: lint, the whole suite, the race detector on concurrent packages.
test: setup-test lint unit notebooks race

unit:
	$(GO) test -count=1 -timeout 20m ./...

race:
	@if [ -n "$(RACE_PKGS)" ]; then $(GO) test -count=1 -race -short -timeout 20m $(RACE_PKGS); fi

test-short:
	$(GO) test -short ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@test -x $(BIN)/staticcheck || scripts/setup.sh test
	$(BIN)/staticcheck ./...

## bench: Go benchmarks plus the whole-program benchmark against its peer.
bench: setup-bench build
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 3x ./dsp/... 2>&1 | tee $(BIN)/bench-go.txt
	$(GO) test -run '^$$' -bench 'WriteCalls' -benchmem -benchtime 100000x ./store 2>&1 | tee -a $(BIN)/bench-go.txt
	$(GO) test -run '^$$' -bench 'Query100k' -benchtime 3x ./store 2>&1 | tee -a $(BIN)/bench-go.txt
	$(GO) test -run '^$$' -bench 'ReportQA100k' -benchtime 3x ./cmd/report 2>&1 | tee -a $(BIN)/bench-go.txt
	$(GO) test -run '^$$' -bench . -benchmem ./quality 2>&1 | tee -a $(BIN)/bench-go.txt
	$(GO) test -run '^$$' -bench . -benchtime 2s ./recording/spool ./internal/ingest ./recording/blob 2>&1 | tee -a $(BIN)/bench-go.txt
	scripts/bench-analyze.sh

## notebooks: execute every notebooks/*.ipynb headless on the demo dataset; fails on any cell error.
notebooks: build
	scripts/notebooks.sh

## report-shot: the HTML report of the demo day and a Chromium screenshot, out/report-shot.png.
report-shot: build
	scripts/report-shot.sh

clean:
	rm -rf $(BIN) $(DATA)

## eval: score speech, overlap, mutual silence and DTMF against the corpus truth, next to WebRTC VAD.
eval:
	scripts/eval.sh
