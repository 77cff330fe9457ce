package embedded

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"time"
)

// SnapshotFile is the name of the snapshot inside the data directory; it is a
// constant so operators and docs can point at the exact file to back up or
// move aside.
const SnapshotFile = "statsctl.snapshot"

// snapshotMagic opens every snapshot so a stray or foreign file is rejected
// before any decoding is attempted.
const snapshotMagic = "statsctl-snapshot\n"

// snapshotVersion is bumped whenever the encoded layout changes, so an old
// binary refuses a newer file instead of misreading it.
// Version 2 added keyRecord.DB; version 1 files (database 0 only) still load,
// into database 0.
const snapshotVersion uint32 = 2

// snapshotVersionDB0 is the last version that held database 0 only.
const snapshotVersionDB0 uint32 = 1

// tempPrefix names in-progress snapshot writes; leftovers from a crash are
// removed by Open while it holds the lock.
const tempPrefix = SnapshotFile + ".tmp-"

// snapshot is the whole persisted state of every database that has keys.
type snapshot struct {
	SavedAt time.Time // clock at capture; TTLs and pending idle times are relative to it
	Keys    []keyRecord

	skipped []string // not encoded: keys left out, for Save's error
}

// snapshotable reports whether a key type can be stored in a snapshot.
func snapshotable(typ string) bool {
	switch typ {
	case "string", "hash", "zset", "set", "list", "stream":
		return true
	}
	return false
}

type keyRecord struct {
	DB     int // Redis database number; absent (0) in version 1 files
	Key    string
	Type   string        // "string", "hash", "zset", "set", "list", "stream"
	TTL    time.Duration // remaining TTL at SavedAt; 0 = no expiry
	String string
	Hash   []string // field, value, field, value, ...
	ZSet   []zMember
	Set    []string
	List   []string
	Stream *streamRecord
}

type zMember struct {
	Member string
	Score  float64
}

type streamRecord struct {
	Entries []streamEntry
	LastID  string // last generated id, may be past the newest entry after XDEL
	Groups  []groupRecord
}

type streamEntry struct {
	ID     string
	Values []string
}

type groupRecord struct {
	Name          string
	LastDelivered string
	Consumers     []string
	Pending       []pendingRecord
}

type pendingRecord struct {
	ID         string
	Consumer   string
	Deliveries int64
	Idle       time.Duration
}

// encodeSnapshot writes magic, version, then gzip'd gob; gzip's CRC-32 and
// length trailer are the integrity check.
func encodeSnapshot(w io.Writer, snap *snapshot) error {
	return encodeSnapshotVersion(w, snap, snapshotVersion)
}

// encodeSnapshotVersion lets tests write an older format version.
func encodeSnapshotVersion(w io.Writer, snap *snapshot, version uint32) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	if _, err := bw.WriteString(snapshotMagic); err != nil {
		return err
	}
	var v [4]byte
	binary.BigEndian.PutUint32(v[:], version)
	if _, err := bw.Write(v[:]); err != nil {
		return err
	}
	zw, err := gzip.NewWriterLevel(bw, gzip.BestSpeed)
	if err != nil {
		return err
	}
	if err := gob.NewEncoder(zw).Encode(snap); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return bw.Flush()
}

// decodeSnapshot is the inverse of encodeSnapshot. It reads the gzip stream to
// its end before decoding so a truncated or corrupted file fails the CRC check
// instead of yielding partial data.
func decodeSnapshot(r io.Reader) (*snapshot, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	head := make([]byte, len(snapshotMagic)+4)
	if _, err := io.ReadFull(br, head); err != nil {
		return nil, fmt.Errorf("not a statsctl snapshot (too short): %w", err)
	}
	if string(head[:len(snapshotMagic)]) != snapshotMagic {
		return nil, errors.New("not a statsctl snapshot (bad magic header)")
	}
	if v := binary.BigEndian.Uint32(head[len(snapshotMagic):]); v != snapshotVersion && v != snapshotVersionDB0 {
		return nil, fmt.Errorf("snapshot format version %d is not supported by this statsctl (it reads version %d)", v, snapshotVersion)
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("corrupt snapshot body: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("corrupt or truncated snapshot body: %w", err)
	}
	var snap snapshot
	if err := gob.NewDecoder(bytes.NewReader(raw)).Decode(&snap); err != nil {
		return nil, fmt.Errorf("corrupt snapshot contents: %w", err)
	}
	return &snap, nil
}
