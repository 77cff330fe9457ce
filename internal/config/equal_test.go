package config_test

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/config"
	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/gen"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/testredis"
)

// dump reads every key of a namespace as text, so two namespaces can be
// compared whole: boards, stats hashes and rating states.
func dump(t *testing.T, rdb *redis.Client, ns string) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	iter := rdb.Scan(ctx, 0, ns+":*", 1000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		rel := k[len(ns):]
		switch rdb.Type(ctx, k).Val() {
		case "hash":
			if bytes.Contains([]byte(rel), []byte(":seen:")) {
				out[rel] = fmt.Sprint(len(rdb.HKeys(ctx, k).Val()), " markers")
				continue
			}
			out[rel] = fmt.Sprint(rdb.HGetAll(ctx, k).Val())
		case "zset":
			out[rel] = fmt.Sprint(rdb.ZRangeWithScores(ctx, k, 0, -1).Val())
		case "set":
			m := rdb.SMembers(ctx, k).Val()
			sort.Strings(m)
			out[rel] = fmt.Sprint(m)
		}
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRulesEqualBuiltin replays the same generated files (exrps and another
// product, with broken lines mixed in, with and without event ids) through
// the built-in handlers and through testdata/config/statsctl.yaml, and
// requires identical stored data and identical verdicts line by line; the
// config's one addition, an Elo board for exrps, is the only extra data.
func TestRulesEqualBuiltin(t *testing.T) {
	cfg, err := config.Load("../../testdata/config/statsctl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fromConfig, err := cfg.Registry()
	if err != nil {
		t.Fatal(err)
	}
	rdb := testredis.Start(t).Client()
	for _, ids := range []bool{true, false} {
		var file bytes.Buffer
		lines, bad, err := gen.WriteJSONL(&file, gen.Options{Games: 800, Players: 40, Seed: 11, IDs: ids, BadEvery: 25, Products: []string{"exrps", "exrps", "other"}})
		if err != nil {
			t.Fatal(err)
		}
		if bad == 0 {
			t.Fatal("the generated file should contain bad lines")
		}
		run := func(reg *handler.Registry, ns string) (*engine.Summary, []string) {
			var skips []string
			eng := engine.New(reg, store.New(rdb, store.Options{Namespace: ns}))
			sum, err := eng.Run(context.Background(), event.NewDecoder(bytes.NewReader(file.Bytes()), "gen.jsonl"), engine.RunOptions{
				BatchSize: 300,
				OnSkip: func(src event.Source, o engine.Outcome) {
					skips = append(skips, fmt.Sprintf("%s %s %s", src, o.Product, o.Reason))
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			return sum, skips
		}
		nsB, nsC := fmt.Sprintf("builtin%v", ids), fmt.Sprintf("config%v", ids)
		sumB, skipB := run(handler.Builtin(), nsB)
		sumC, skipC := run(fromConfig, nsC)
		if sumB.String() != sumC.String() || fmt.Sprint(sumB.ByReason) != fmt.Sprint(sumC.ByReason) {
			t.Fatalf("ids=%v summaries differ:\nbuiltin %v %v\nconfig  %v %v", ids, sumB, sumB.ByReason, sumC, sumC.ByReason)
		}
		if fmt.Sprint(skipB) != fmt.Sprint(skipC) {
			t.Fatalf("ids=%v skipped lines differ:\nbuiltin %v\nconfig  %v", ids, skipB, skipC)
		}
		db, dc := dump(t, rdb, nsB), dump(t, rdb, nsC)
		if len(db) < 40 {
			t.Fatalf("ids=%v: only %d keys written; the replay did not run", ids, len(db))
		}
		for k, v := range db {
			if dc[k] != v {
				t.Fatalf("ids=%v key %s differs:\nbuiltin %s\nconfig  %s", ids, k, v, dc[k])
			}
		}
		// The config adds exactly one thing to the built-in games: an Elo
		// board for exrps (its ranking and its rating states).
		extra := map[string]bool{}
		for k := range dc {
			if _, ok := db[k]; !ok {
				extra[k] = true
			}
		}
		if len(extra) != 2 || !extra[":{exrps}:lb:elo"] || !extra[":{exrps}:rt:elo"] {
			t.Fatalf("ids=%v: the config should add only exrps's elo board and rating states to the built-in keys; it adds %v", ids, extra)
		}
		t.Logf("ids=%v: %d lines (%d bad), %d keys identical; %v; reasons %v", ids, lines, bad, len(db), sumB, sumB.ByReason)
	}
}
