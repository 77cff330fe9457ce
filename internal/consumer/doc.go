// Package consumer is the stream daemon behind `statsctl consume`: it reads
// the game event stream through a Redis consumer group and applies every
// event through the engine, so that it can be killed at any instant, run
// several times at once and restarted without losing or double-counting an
// event. It knows nothing of cobra, so `statsctl serve` can run it in-process.
//
// One file per job of the daemon:
//
//	config.go      Config, its defaults and checks
//	consumer.go    the Consumer, its counters and health
//	run.go         the Run loop: start, stop within the grace period, summary
//	group.go       creating (and re-creating) the group, the old worker's cursor, group status
//	read.go        reading new and own pending entries, the read-ahead
//	claim.go       taking over entries dead consumers left pending (XAUTOCLAIM)
//	process.go     apply, dead-letter, acknowledge, count one batch
//	deadletter.go  the dead-letter stream and its once-only markers
//	retry.go       retrying Redis operations, which Redis errors are worth it
//	metrics.go     Prometheus metrics and /healthz
//
// The consumer reaches the stats data only through the engine; the stats
// server's client it may be given (Config.LegacyRedis) serves one read of
// the old worker's cursor key, which is not statsctl's data.
package consumer
