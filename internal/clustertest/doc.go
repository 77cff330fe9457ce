// Package clustertest runs statsctl end to end on a real three-master Redis
// Cluster: the store, every command, a node crash mid-replay, and the rule
// that all of a product's keys share one hash slot. One cluster is started
// per run (it takes a few seconds) and shared by subtests, each under its
// own key namespace. `make test-cluster` runs this package alone.
package clustertest
