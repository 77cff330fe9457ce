# statsctl developer tasks. `make test` is what CI runs.
GO        ?= go
BIN       ?= statsctl
PKGS      := ./...
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X github.com/varcade/statsctl/cmd.Version=$(VERSION)

.PHONY: all build test test-short test-cluster test-faults lint cover completions bench bench-consume bench-scale bench-serve bench-limits bench-kinds check-deploy fuzz demo clean redis-server wrk

all: lint test build

build: ## build ./statsctl
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) .

test: redis-server ## all tests with the race detector, real-Redis tests included
	$(GO) test -race -count=1 $(PKGS)

# The real-Redis tests need redis-server. Install it when we can (root with
# apt-get, as on CI and fresh dev machines); otherwise say they will skip.
redis-server:
	@command -v redis-server >/dev/null && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing redis-server for the real-Redis tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null) || exit 1; \
	  (service redis-server stop >/dev/null 2>&1 || true); \
	else \
	  echo "WARNING: redis-server not found: real-Redis tests will be SKIPPED (install redis-server)"; \
	fi

# The Redis Cluster tests are part of `make test` (package internal/clustertest
# and the harness's own test); this target runs just them, e.g. after a change
# to the store's scripts or internal/redisconn. They need redis-server and redis-cli.
test-cluster: redis-server ## Redis Cluster tests only: a real three-master cluster on loopback ports
	$(GO) test -race -count=1 -v -run 'Cluster' ./internal/clustertest/ ./internal/testredis/ ./internal/cmdutil/

test-short: ## fast tests only
	$(GO) test -short -count=1 $(PKGS)

lint: ## gofmt and go vet must be clean
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

# The operations kit (deploy/): promtool's own check of the alert rules and
# their unit tests (each alert fires on its case, not on its look-alike), and
# the kit's fast tests (manifests, Dockerfile, the dashboard's queries through
# promtool). The test that runs consume and serve and checks every metric the
# kit names is part of `make test`. promtool is in Debian's prometheus package.
check-deploy: ## promtool check rules and test rules on deploy/prometheus, and the deploy kit's static tests
	@command -v promtool >/dev/null || { echo "check-deploy: promtool not found (apt-get install prometheus)"; exit 1; }
	promtool check rules deploy/prometheus/statsctl-rules.yaml
	promtool test rules deploy/prometheus/statsctl-rules.test.yaml
	$(GO) test -count=1 -run 'TestManifests|TestDockerfile|TestDashboardPromtool|TestSelectors' ./deploy/

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

# Fuzz budgets are execution counts (Nx), not durations: with a duration,
# Go 1.26's fuzz coordinator can fail a clean run with a bare "context
# deadline exceeded" when a starved worker misses the stop deadline
# (golang/go#75804; it failed CI here on a loaded 2-core machine). A count
# has no deadline to race. 400,000 executions took 9-57 s per target here.
# FUZZTIME=30s still works for a timed run. -timeout stops a hung input.
FUZZTIME ?= 300000x

fuzz: ## run every fuzz target for FUZZTIME each (an execution count, or a duration); seed corpora live in <package>/testdata/fuzz/<Target>/
	@set -e; for pkg in $$($(GO) list ./...); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for t in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/func //'); do \
	    echo "== $$pkg $$t ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -timeout 15m $$pkg; \
	  done; \
	done

bench-serve: build ## portal top_ten under wrk against a real redis-server with 100,000 players (~2 min)
	BIN=./$(BIN) ./internal/server/bench/bench-serve.sh $(SERVE_ARGS)

demo: build ## the README's first command: replay the sample and show the board
	./$(BIN) track -f testdata/exrps-sample.jsonl && ./$(BIN) leaderboard exrps

clean:
	rm -f $(BIN) coverage.out coverage.html

bench-consume: ## statsctl consume --drain of 1,000,000 events from a real local redis-server; one and two consumers
	$(GO) test -run '^$$' -bench BenchmarkConsume -benchtime 1x -timeout 30m ./cmd/consume/

# The fault suite: every test named TestFault* in any package, with many
# seeded rounds, then every fuzz target for FAULT_FUZZTIME (50,000
# executions each, 2-15 s here). A failure logs its seed: rerun with
# FAULT_SEED=<seed> FAULT_ROUNDS=<n>. `make test` runs the same fault tests
# with 3 rounds and a 5 s serve load run;
# SERVE_LOAD_SECONDS sets how long serve is loaded here (RSS sampled every
# second; TestFaultServe/LoadRun).
FAULT_ROUNDS       ?= 20
FAULT_FUZZTIME     ?= 50000x
SERVE_LOAD_SECONDS ?= 30
test-faults: redis-server ## fault suite (SIGKILL rounds, Redis/AOF and cluster node restarts, Redis down at start, serve under load and Redis crashes) + bounded fuzzing
	FAULT_ROUNDS=$(FAULT_ROUNDS) SERVE_LOAD_SECONDS=$(SERVE_LOAD_SECONDS) $(GO) test -race -count=1 -timeout 20m -run 'Fault' -v $(PKGS)
	$(MAKE) --no-print-directory fuzz FUZZTIME=$(FAULT_FUZZTIME)

# Every board kind's cost per event against wins only, same stream, same
# redis-server, configurations alternating (issue 15; docs/scale.md has a
# measured table). BENCH_EVENTS (200,000), BENCH_ROUNDS (3), BENCH_KINDS
# (some configurations only), BENCH_PROFILE_DIR (CPU profiles, Redis command
# counts per run).
bench-kinds: redis-server ## cost of each board kind (value, periodic, segmented, elo, openskill, glicko2) vs wins only: entries/s, statsctl and redis CPU s, ratios
	$(GO) test -run '^$$' -bench BenchmarkBoardKindCost -benchtime 1x -timeout 30m -v ./cmd/consume/

bench-scale: ## combined consume rate of 1, 2 and 4 consumers on one redis-server and on a 3-master cluster (BENCH_EVENTS, default 1,000,000)
	$(GO) test -run '^$$' -bench BenchmarkScale -benchtime 1x -timeout 60m -v ./cmd/consume/

# wrk drives the HTTP benchmarks; install it like redis-server when we can.
wrk:
	@command -v wrk >/dev/null && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing wrk for the HTTP benchmarks"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null) || exit 1; \
	else \
	  echo "bench: wrk not found (apt-get install wrk)"; exit 1; \
	fi

# statsctl against bare yardsticks (internal/bench/bare: a reader that only
# XREADGROUPs and XACKs, a net/http server of fixed top_ten bytes), same data,
# same run. BENCH_EVENTS (1,000,000) entries; LIMITS_WRK_SECONDS (10) per wrk run.
bench-limits: redis-server wrk ## consume --drain vs a bare XREADGROUP/XACK reader, serve vs a bare net/http server: statsctl/bare ratios in one run
	$(GO) test -run '^$$' -bench BenchmarkLimits -benchtime 1x -timeout 30m -v ./internal/bench/bare/
