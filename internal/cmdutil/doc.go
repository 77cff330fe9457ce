// Package cmdutil is what every statsctl command shares, so each command
// only parses its flags and prints: the I/O streams, the global flags, a
// factory that opens the store lazily (and picks the stats and the stream
// Redis URLs; internal/redisconn opens them), the environment variables'
// names, the exit-code contract and usage errors, argument checks, the
// fixed-choice flag (StringEnumFlag) and the daemons' logger. Commands are
// testable with buffers and any Redis (or the embedded default).
package cmdutil
