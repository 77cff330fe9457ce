package embedded

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/gob"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// clientDB is client on database db.
func clientDB(t *testing.T, s *Store, db int) *redis.Client {
	t.Helper()
	o, err := redis.ParseURL(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	o.DB = db
	c := redis.NewClient(o)
	t.Cleanup(func() { c.Close() })
	return c
}

// The platform's game servers XADD to database 1: a restart must keep it,
// and every other database, apart from database 0.
func TestEveryDatabaseSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openT(t, Options{Dir: dir})
	c0, c1, c15 := clientDB(t, s, 0), clientDB(t, s, 1), clientDB(t, s, 15)
	if err := c0.Set(ctx, "k", "db0", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c15.Set(ctx, "k", "db15", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 3 {
		id, err := c1.XAdd(ctx, &redis.XAddArgs{Stream: "game_event_stream", Values: []string{"type", "game_over", "n", string(rune('a' + i))}}).Result()
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := c1.XGroupCreate(ctx, "game_event_stream", "g", "0").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c1.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{"game_event_stream", ">"}, Count: 1}).Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openT(t, Options{Dir: dir})
	defer s.Close()
	c0, c1, c15 = clientDB(t, s, 0), clientDB(t, s, 1), clientDB(t, s, 15)
	if v := c0.Get(ctx, "k").Val(); v != "db0" {
		t.Errorf("db 0 k = %q, want db0", v)
	}
	if v := c15.Get(ctx, "k").Val(); v != "db15" {
		t.Errorf("db 15 k = %q, want db15", v)
	}
	if ttl := c15.TTL(ctx, "k").Val(); ttl <= 0 || ttl > time.Hour {
		t.Errorf("db 15 k TTL = %s, want (0, 1h]", ttl)
	}
	if n := c0.Exists(ctx, "game_event_stream").Val(); n != 0 {
		t.Errorf("db 1's stream leaked into db 0")
	}
	msgs, err := c1.XRange(ctx, "game_event_stream", "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range msgs {
		got = append(got, m.ID)
	}
	if !reflect.DeepEqual(got, ids) {
		t.Fatalf("db 1 stream after restart = %v, want %v", got, ids)
	}
	pend, err := c1.XPending(ctx, "game_event_stream", "g").Result()
	if err != nil || pend.Count != 1 {
		t.Fatalf("db 1 group pending after restart = %+v, %v; want 1 entry", pend, err)
	}
	if got := s.UnconsumedStreams("game_event_stream", 0); !reflect.DeepEqual(got, []int{1}) {
		t.Errorf("UnconsumedStreams(db 0) = %v, want [1]", got)
	}
	if got := s.UnconsumedStreams("game_event_stream", 1); len(got) != 0 {
		t.Errorf("UnconsumedStreams(db 1) = %v, want none", got)
	}
}

// Version 1 snapshot, as statsctl wrote it before databases were recorded:
// these types have exactly version 1's field names, no DB.
type v1KeyRecord struct {
	Key    string
	Type   string
	TTL    time.Duration
	String string
	Hash   []string
}

type v1Snapshot struct {
	SavedAt time.Time
	Keys    []v1KeyRecord
}

func TestVersion1SnapshotLoadsIntoDB0(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	buf.WriteString(snapshotMagic)
	var v [4]byte
	binary.BigEndian.PutUint32(v[:], 1)
	buf.Write(v[:])
	zw := gzip.NewWriter(&buf)
	if err := gob.NewEncoder(zw).Encode(v1Snapshot{SavedAt: time.Now(), Keys: []v1KeyRecord{
		{Key: "s", Type: "string", String: "old"},
		{Key: "h", Type: "hash", Hash: []string{"f", "1"}},
	}}); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, SnapshotFile), buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	s := openT(t, Options{Dir: dir})
	defer s.Close()
	ctx := context.Background()
	c0 := clientDB(t, s, 0)
	if v := c0.Get(ctx, "s").Val(); v != "old" {
		t.Errorf("s = %q, want old", v)
	}
	if v := c0.HGet(ctx, "h", "f").Val(); v != "1" {
		t.Errorf("h.f = %q, want 1", v)
	}
	if n := clientDB(t, s, 1).DBSize(ctx).Val(); n != 0 {
		t.Errorf("db 1 has %d keys, want 0", n)
	}
	// The next save writes the current version, and it still loads.
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	snap, err := readSnapshotFile(filepath.Join(dir, SnapshotFile))
	if err != nil || len(snap.Keys) != 2 {
		t.Fatalf("re-saved snapshot: %v, %v", snap, err)
	}
}

func TestSnapshotDatabaseOutOfRangeRefused(t *testing.T) {
	dir := t.TempDir()
	if err := writeSnapshotFile(filepath.Join(dir, SnapshotFile), &snapshot{SavedAt: time.Now(),
		Keys: []keyRecord{{DB: NumDatabases, Key: "k", Type: "string", String: "v"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(Options{Dir: dir}); err == nil {
		t.Fatal("Open accepted a snapshot with database 16")
	}
}
