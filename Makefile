# statsctl developer tasks. `make test` is what CI runs.
GO        ?= go
BIN       ?= statsctl
PKGS      := ./...
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X github.com/varcade/statsctl/cmd.Version=$(VERSION)

.PHONY: all build test test-short lint cover completions bench bench-serve fuzz demo clean

all: lint test build

build: ## build ./statsctl
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) .

test: ## all tests with the race detector, real-Redis tests included
	$(GO) test -race -count=1 $(PKGS)

test-short: ## fast tests only
	$(GO) test -short -count=1 $(PKGS)

lint: ## gofmt and go vet must be clean
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

cover: ## coverage report in coverage.html
	$(GO) test -count=1 -coverprofile=coverage.out $(PKGS)
	$(GO) tool cover -html=coverage.out -o coverage.html
	$(GO) tool cover -func=coverage.out | tail -1

completions: build ## regenerate shell completions
	./$(BIN) completion bash > completions/statsctl.bash
	./$(BIN) completion zsh > completions/statsctl.zsh
	./$(BIN) completion fish > completions/statsctl.fish
	./$(BIN) completion powershell > completions/statsctl.ps1

bench: ## track throughput: 1,000,000 events into a real local redis-server
	$(GO) test -run '^$$' -bench BenchmarkTrack -benchtime 1x -timeout 30m ./internal/bench/

FUZZTIME ?= 30s

fuzz: ## run every fuzz target for FUZZTIME each (new failing inputs land in testdata/fuzz/)
	@set -e; for pkg in $$($(GO) list ./...); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for t in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/func //'); do \
	    echo "== $$pkg $$t ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

bench-serve: build ## portal top_ten under wrk against a real redis-server with 100,000 players (~2 min)
	BIN=./$(BIN) ./internal/server/bench/bench-serve.sh $(SERVE_ARGS)

demo: build ## the README's first command: replay the sample and show the board
	./$(BIN) track -f testdata/exrps-sample.jsonl && ./$(BIN) leaderboard exrps

clean:
	rm -f $(BIN) coverage.out coverage.html
