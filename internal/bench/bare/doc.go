// Package bare holds the yardsticks of `make bench-limits`: two programs
// that do the least a stream consumer and a top_ten server can do (reader:
// XREADGROUP and XACK, nothing decoded or written; topten: fixed bytes
// from memory), and the benchmark that runs them and statsctl side by side
// on the same data in one run. statsctl / bare is how close statsctl comes
// to what this machine and its Redis allow; absolute rates say more about
// the machine than about statsctl.
package bare
