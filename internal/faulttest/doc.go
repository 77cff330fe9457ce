// Package faulttest holds the fault suite (`make test-faults`): real
// `statsctl consume` processes SIGKILLed at random points over many rounds,
// redis-server restarted from its AOF mid-ingest, Redis down at start, and
// a Redis Cluster node restarted under running consumers. Every test is
// named TestFault... so `go test -run Fault ./...` picks up fault tests in
// any package (a later `serve` fault test included). `make test` runs the
// same tests with few rounds; FAULT_ROUNDS and FAULT_SEED set how many and
// which (the seed is logged, so a failure can be replayed).
package faulttest
