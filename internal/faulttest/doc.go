// Package faulttest holds the fault suite (`make test-faults`): real
// `statsctl consume` processes SIGKILLed at random points over many rounds,
// redis-server restarted from its AOF mid-ingest, Redis down at start, a
// Redis Cluster node restarted under running consumers, and `statsctl
// serve` under load (no error answer, flat memory) and through Redis
// crashes (503 during, back by itself after). Every test is named
// TestFault... so `go test -run Fault ./...` picks up fault tests in any
// package. `make test` runs the same tests with few rounds and a short
// load run; FAULT_ROUNDS and FAULT_SEED set how many rounds and which (the
// seed is logged, so a failure can be replayed), SERVE_LOAD_SECONDS how
// long serve's load run lasts (5 s by default, 30 in `make test-faults`).
package faulttest
