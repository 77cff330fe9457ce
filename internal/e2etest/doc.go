// Package e2etest is shared support for end-to-end tests that run the real
// statsctl binary against real Redis (one server or a cluster): building the
// binary, generating and XADDing a stream, running `statsctl consume`
// processes that tests SIGKILL, and an expected end state computed straight
// from the contract's rules. It lives in one place so the consume, cluster
// and fault tests prove the same thing the same way. Only tests import it.
//
// build.go builds the binary (once per test with Binary); stream.go makes,
// writes and reads back stream entries; keys.go lists keys on a server or
// every master of a cluster; proc.go starts, stops and kills statsctl
// processes (Start, StartConsume, StartServe) and reads their memory;
// model.go is the independent Model of the end state; deadletters.go checks
// the dead-letter stream.
package e2etest
