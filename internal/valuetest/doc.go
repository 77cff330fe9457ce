// Package valuetest checks value boards (issue 11) end to end against an
// independent model: a generated event file with bad and out-of-range
// values mixed in is replayed through the engine into a real store, and
// every board (each operator x order x ties), every value stat and every
// verdict must equal what the model, written from docs/config.md's rules
// without the handler package's code, says. Run is shared by this
// package's test (miniredis, redis-server) and internal/clustertest.
package valuetest
