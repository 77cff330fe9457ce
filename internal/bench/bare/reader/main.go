// Command reader is the bare stream consumer of `make bench-limits`: it
// creates a consumer group at the start of a stream, then XREADGROUPs
// -count entries at a time and XACKs them, one read and one ack per round
// trip, until a read returns nothing. Nothing is decoded beyond what the
// client does to read a reply, nothing is written: it is the floor under
// what `statsctl consume --drain` costs on the same stream and Redis.
//
//	reader -redis redis://127.0.0.1:6379 -group bare-1
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/redis/go-redis/v9"
)

func main() {
	url := flag.String("redis", "redis://127.0.0.1:6379", "Redis URL of the stream")
	stream := flag.String("stream", "game_event_stream", "stream key")
	group := flag.String("group", "bare", "consumer group to create (must not exist)")
	count := flag.Int64("count", 1000, "entries per XREADGROUP")
	flag.Parse()
	if err := run(*url, *stream, *group, *count); err != nil {
		fmt.Fprintln(os.Stderr, "reader:", err)
		os.Exit(1)
	}
}

func run(url, stream, group string, count int64) error {
	ctx := context.Background()
	o, err := redis.ParseURL(url)
	if err != nil {
		return err
	}
	rdb := redis.NewClient(o)
	defer rdb.Close()
	if err := rdb.XGroupCreate(ctx, stream, group, "0").Err(); err != nil {
		return fmt.Errorf("create group %s: %w", group, err)
	}
	began := time.Now()
	total := 0
	ids := make([]string, 0, count)
	for {
		// Block -1: no BLOCK argument, so an empty read means drained.
		res, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: group, Consumer: "bare", Streams: []string{stream, ">"}, Count: count, Block: -1,
		}).Result()
		if errors.Is(err, redis.Nil) {
			break
		}
		if err != nil {
			return fmt.Errorf("xreadgroup: %w", err)
		}
		ids = ids[:0]
		for _, m := range res[0].Messages {
			ids = append(ids, m.ID)
		}
		if len(ids) == 0 {
			break
		}
		if err := rdb.XAck(ctx, stream, group, ids...).Err(); err != nil {
			return fmt.Errorf("xack: %w", err)
		}
		total += len(ids)
	}
	took := time.Since(began)
	fmt.Printf("reader: %d entries in %s = %.0f entries/s\n", total, took.Round(time.Millisecond), float64(total)/took.Seconds())
	return nil
}
