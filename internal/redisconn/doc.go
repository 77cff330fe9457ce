// Package redisconn is how statsctl reaches a Redis: URL forms (one node, a
// cluster's seed list, unix sockets), cluster discovery from one node's URL,
// the first PING, and redaction of passwords before a URL reaches a log or
// an error. Every client statsctl opens (the stats Redis and the stream's)
// comes through Connect, so the stats Redis and --stream-redis accept the
// same URLs and a URL naming one cluster node reaches the whole cluster for
// both. It knows nothing of statsctl's keys; the CLI's factory
// (internal/cmdutil) picks which URL to open.
package redisconn
