package event

import "fmt"

// StreamEntry is one stream entry as Redis sent it: its fields in order, a
// field given twice kept twice (go-redis's XMessage is a map and keeps only
// the last one, which would let a duplicate field pass as a valid event).
type StreamEntry struct {
	ID string
	KV []string // name, value, name, value...; empty: deleted from the stream
}

// Deleted reports a pending entry removed from the stream since delivery.
func (e StreamEntry) Deleted() bool { return len(e.KV) == 0 }

// Event is the entry as the event it carries.
func (e StreamEntry) Event() Event { return FromStreamPairs(e.ID, e.KV) }

// FromStreamPairs builds an Event from a stream entry's fields in the order
// Redis sent them (name, value, name, value...). A field given twice marks
// the event invalid (Validate names it), the rule JSONL, HTTP and `track
// k=v` follow: a map-shaped decode would silently keep the last value.
func FromStreamPairs(id string, kv []string) Event {
	ev := Event{ID: id, Fields: make(map[string]string, len(kv)/2)}
	for i := 0; i+1 < len(kv); i += 2 {
		// A store that does not grow the map found the name there: one
		// hash of the name per field, not a lookup and then a store.
		n := len(ev.Fields)
		ev.Fields[kv[i]] = kv[i+1]
		if len(ev.Fields) == n && ev.dup == "" {
			ev.dup = kv[i]
		}
	}
	return ev
}

// StreamEntries decodes a reply of XRANGE, XREADGROUP or XAUTOCLAIM, as
// go-redis's Do returns it, into entries that keep field order and
// duplicates. It decodes an array of [id, [name, value, ...]] (the same shape
// in RESP2 and RESP3); a nil field list is an entry deleted from the stream.
func StreamEntries(v any) ([]StreamEntry, error) {
	if v == nil {
		return nil, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("stream entries are a %T, not an array", v)
	}
	// One backing array holds every entry's fields: a reply of 1000 entries
	// is one allocation rather than 1000. Each KV is capped at its own
	// length, so appending to one entry's fields cannot reach the next's.
	buf := make([]string, replyFields(arr))
	out := make([]StreamEntry, 0, len(arr))
	for _, x := range arr {
		pair, ok := x.([]any)
		if !ok || len(pair) != 2 {
			return nil, fmt.Errorf("stream entry %v is not [id, fields]", x)
		}
		id, ok := pair[0].(string)
		if !ok {
			return nil, fmt.Errorf("stream entry id is a %T, not a string", pair[0])
		}
		if pair[1] == nil {
			out = append(out, StreamEntry{ID: id})
			continue
		}
		fs, ok := pair[1].([]any)
		if !ok {
			return nil, fmt.Errorf("fields of stream entry %s are a %T, not an array", id, pair[1])
		}
		kv := buf[:len(fs):len(fs)]
		buf = buf[len(fs):]
		for i, f := range fs {
			switch s := f.(type) {
			case string:
				kv[i] = s
			default:
				kv[i] = fmt.Sprint(s)
			}
		}
		out = append(out, StreamEntry{ID: id, KV: kv})
	}
	return out, nil
}

// replyFields counts the field names and values of a reply's well-formed
// entries, the size of StreamEntries' backing array; a malformed entry adds
// nothing (StreamEntries refuses it when it gets there).
func replyFields(arr []any) int {
	n := 0
	for _, x := range arr {
		if pair, ok := x.([]any); ok && len(pair) == 2 {
			if fs, ok := pair[1].([]any); ok {
				n += len(fs)
			}
		}
	}
	return n
}
