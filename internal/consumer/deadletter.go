package consumer

import (
	"context"
	_ "embed"
	"fmt"
	"sort"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/streamid"
)

//go:embed deadletter.lua
var deadLetterSrc string

// Fields a dead letter carries besides the original event's fields. They
// are prefixed so they do not collide with the event's own fields.
const (
	DeadFieldReason = "statsctl_reason"    // stable reason code (handler.Reason*)
	DeadFieldDetail = "statsctl_detail"    // what is wrong, for a person
	DeadFieldID     = "statsctl_source_id" // entry id in the source stream
	DeadFieldStream = "statsctl_source_stream"
	// DeadFieldTruncated is "true" when the original had more fields or
	// longer values than a dead letter keeps (event.MaxFields, MaxFieldValue).
	DeadFieldTruncated = "statsctl_truncated"
)

// deadMarkerTTL bounds how long a dead-letter marker is kept: like the
// apply markers, a redelivery older than this would be copied again.
const deadMarkerTTL = 7 * 24 * 3600

type deadLetter struct {
	ev  event.Event
	out engine.Outcome
}

// deadMarkerKey is the marker hash for one source id. It shares the
// dead-letter stream's hash slot (its hash tag is the stream's own tag, or
// the whole stream name), so the script is valid on a Redis Cluster, and
// is bucketed by hour like the apply markers so old markers expire.
func (c *Consumer) deadMarkerKey(id string) string {
	return c.cfg.Namespace + ":deadseen:{" + hashTag(c.cfg.DeadLetter) + "}:" + streamid.HourBucket(id)
}

// hashTag is the part of a key Redis Cluster hashes: the text between the
// first '{' and the next '}' when non-empty, else the whole key.
func hashTag(key string) string {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			return key[i+1 : i+1+j]
		}
	}
	return key
}

func (c *Consumer) deadArgs(d deadLetter) []any {
	args := []any{deadMarkerTTL, d.ev.ID,
		DeadFieldReason, d.out.Reason, DeadFieldDetail, d.out.Detail,
		DeadFieldID, d.ev.ID, DeadFieldStream, c.cfg.Stream}
	keys := make([]string, 0, len(d.ev.Fields))
	for k := range d.ev.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	truncated := false
	if len(keys) > event.MaxFields {
		keys, truncated = keys[:event.MaxFields], true
	}
	for _, k := range keys {
		v := d.ev.Fields[k]
		if len(k) > event.MaxFieldName {
			k, truncated = k[:event.MaxFieldName], true
		}
		if len(v) > event.MaxFieldValue {
			v, truncated = v[:event.MaxFieldValue], true
		}
		args = append(args, k, v)
	}
	if truncated {
		args = append(args, DeadFieldTruncated, "true")
	}
	return args
}

// writeDeadLetters copies invalid events to the dead-letter stream on the
// stream server, each at most once per source id, and logs and counts the
// ones written now: an event is reported once even if redelivered.
func (c *Consumer) writeDeadLetters(ctx context.Context, dead []deadLetter) error {
	keys := func(d deadLetter) []string { return []string{c.cfg.DeadLetter, c.deadMarkerKey(d.ev.ID)} }
	cmds := make([]*redis.Cmd, len(dead))
	// Pipelined's own error is only the first failed command's; each
	// command is checked below.
	_, _ = c.stream.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, d := range dead {
			cmds[i] = c.dead.EvalSha(ctx, p, keys(d), c.deadArgs(d)...)
		}
		return nil
	})
	// A server that lacks the script (first use, SCRIPT FLUSH, a restart or
	// failover) answers NOSCRIPT to each of its commands and has run none of
	// them: send the source to just those, as the store does for its apply
	// script, rather than run the whole batch again.
	var again []int
	for i, cmd := range cmds {
		if redis.HasErrorPrefix(cmd.Err(), "NOSCRIPT") {
			again = append(again, i)
		}
	}
	if len(again) > 0 {
		_, _ = c.stream.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, i := range again {
				cmds[i] = c.dead.Eval(ctx, p, keys(dead[i]), c.deadArgs(dead[i])...)
			}
			return nil
		})
	}
	for _, cmd := range cmds {
		if err := cmd.Err(); err != nil {
			return fmt.Errorf("write %d dead letters to %s: %w", len(dead), c.cfg.DeadLetter, err)
		}
	}
	for i, cmd := range cmds {
		n, _ := cmd.Int64()
		if n != 1 {
			continue
		}
		d := dead[i]
		c.deadLetters.Add(1)
		if c.m != nil {
			c.m.deadLetters.WithLabelValues(d.out.Reason).Inc()
		}
		c.log.Warn("invalid event dead-lettered", "id", d.ev.ID, "reason", d.out.Reason, "detail", d.out.Detail,
			"product", d.out.Product, "dead_letter", c.cfg.DeadLetter)
	}
	return nil
}
