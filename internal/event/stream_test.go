package event

import (
	"fmt"
	"reflect"
	"testing"
)

// streamEntriesRef is StreamEntries as it was before it shared one backing
// array between entries: the reference the faster decode must match.
func streamEntriesRef(v any) ([]StreamEntry, error) {
	if v == nil {
		return nil, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("stream entries are a %T, not an array", v)
	}
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
		kv := make([]string, len(fs))
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

// TestStreamEntriesMatchesReference: on well-formed, odd and malformed
// replies, StreamEntries returns what the one-slice-per-entry decode did,
// the same entries or the same error.
func TestStreamEntriesMatchesReference(t *testing.T) {
	ok := []any{"1-0", []any{"product_id", "exrps", "type", "game_over"}}
	for name, reply := range map[string]any{
		"nil":              nil,
		"empty":            []any{},
		"not an array":     "x",
		"map":              map[any]any{"s": []any{}},
		"one":              []any{ok},
		"several":          []any{ok, []any{"1-1", []any{"a", "b"}}, []any{"2-0", []any{"c", "d", "c", "e"}}},
		"deleted":          []any{ok, []any{"1-1", nil}, ok},
		"empty fields":     []any{[]any{"1-1", []any{}}, ok},
		"typed nil fields": []any{[]any{"1-1", []any(nil)}, ok},
		"odd fields":       []any{[]any{"1-1", []any{"a", "b", "c"}}, ok},
		"non-strings":      []any{[]any{"1-1", []any{"n", int64(7), "x", nil, "l", []any{"y"}, "b", []byte("z")}}},
		"invalid utf8":     []any{[]any{"1-\xff", []any{"\xff\xfe", "v\xc0\xaf"}}},
		"short pair":       []any{ok, []any{"1-1"}},
		"long pair":        []any{ok, []any{"1-1", []any{}, "x"}},
		"entry not array":  []any{ok, "1-1"},
		"id not string":    []any{ok, []any{int64(1), []any{"a", "b"}}},
		"fields not array": []any{ok, []any{"1-1", "a"}},
		"bad after fields": []any{ok, []any{"1-1", []any{"a", "b"}}, []any{"1-2", map[any]any{}}},
	} {
		got, gerr := StreamEntries(reply)
		want, werr := streamEntriesRef(reply)
		if fmt.Sprint(gerr) != fmt.Sprint(werr) || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %q %v, want %q %v", name, got, gerr, want, werr)
		}
	}
}

// TestStreamEntriesKeepEntriesApart: the entries of one reply share a
// backing array, so appending to one entry's fields must not change the
// next entry's.
func TestStreamEntriesKeepEntriesApart(t *testing.T) {
	es, err := StreamEntries([]any{[]any{"1-0", []any{"a", "1"}}, []any{"1-1", []any{"b", "2"}}})
	if err != nil {
		t.Fatal(err)
	}
	_ = append(es[0].KV, "c", "3")
	if got := es[1].KV; len(got) != 2 || got[0] != "b" || got[1] != "2" {
		t.Fatalf("second entry's fields became %q after an append to the first's", got)
	}
}
