// Package periodtest tests the period and segment layers of boards
// (docs/boards.md) end to end: config, handlers, engine and the apply
// script on miniredis, redis-server and a three-master cluster, against an
// independent model of periods written without the handler package.
package periodtest
