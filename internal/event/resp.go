package event

import (
	"errors"
	"fmt"
)

// ReadGroupReply decodes the raw RESP bytes of an XREADGROUP reply for one
// stream (RESP2: [[stream, entries]], RESP3: {stream: entries}, or null)
// into entries, as StreamEntries does for go-redis's decoded reply. It
// exists for the consumer's hot path: go-redis's generic decode allocates
// two values per field and was the largest Go cost of a drain (issue 15).
// Here each entry is one string, which its ID and fields slice, so a
// string kept from an event keeps only its own entry alive. An error reply
// ("-...") is not decoded: the caller sends the command the usual way.
func ReadGroupReply(raw []byte) ([]StreamEntry, error) {
	r := respReader{b: raw}
	kind, n, err := r.header()
	if err != nil {
		return nil, err
	}
	switch {
	case n <= 0: // null (or no stream): nothing new
		return nil, nil
	case kind == '*' || kind == '%':
		if n != 1 {
			return nil, fmt.Errorf("XREADGROUP reply holds %d streams, want 1", n)
		}
		if kind == '*' { // RESP2: the stream is a [name, entries] pair
			if k, m, err := r.header(); err != nil || k != '*' || m != 2 {
				return nil, fmt.Errorf("XREADGROUP reply: the stream is not a [name, entries] pair (%v)", err)
			}
		}
		if _, _, null, err := r.bulk(); err != nil || null {
			return nil, fmt.Errorf("XREADGROUP reply: the stream name is not a string (%v)", err)
		}
		es, err := r.entries()
		if err == nil && r.i != len(r.b) {
			err = fmt.Errorf("XREADGROUP reply: %d bytes after the reply", len(r.b)-r.i)
		}
		return es, err
	}
	return nil, fmt.Errorf("XREADGROUP reply starts with %q, not an array, a map or null", kind)
}

// entries decodes an array of [id, [name, value, ...] or null].
func (r *respReader) entries() ([]StreamEntry, error) {
	kind, n, err := r.header()
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, nil
	}
	if kind != '*' {
		return nil, fmt.Errorf("stream entries start with %q, not an array", kind)
	}
	// A count is only a claim until the bytes are there: every entry and
	// field takes at least 4 bytes, so the room made for them is bounded by
	// what is left of the reply (a hostile count cannot ask for gigabytes).
	out := make([]StreamEntry, 0, min(n, r.left()/4))
	var buf []string // fields of the entries so far; see StreamEntries
	var spans []int  // offsets of the current entry's strings
	for e := 0; e < n; e++ {
		if k, m, err := r.header(); err != nil || k != '*' || m != 2 {
			return nil, fmt.Errorf("stream entry %d is not [id, fields] (%v)", e+1, err)
		}
		from := r.i
		s, end, null, err := r.bulk()
		if err != nil || null {
			return nil, fmt.Errorf("stream entry %d: the id is not a string (%v)", e+1, err)
		}
		spans = append(spans[:0], s, end)
		k, m, err := r.header()
		if err != nil {
			return nil, fmt.Errorf("stream entry %d: %w", e+1, err)
		}
		if m >= 0 && k != '*' {
			return nil, fmt.Errorf("stream entry %d: fields start with %q, not an array", e+1, k)
		}
		for f := 0; f < m; f++ {
			s, end, null, err := r.bulk()
			if err != nil || null {
				return nil, fmt.Errorf("stream entry %d: field %d is not a string (%v)", e+1, f+1, err)
			}
			spans = append(spans, s, end)
		}
		str := string(r.b[from:r.i])
		id := str[spans[0]-from : spans[1]-from]
		if m <= 0 {
			out = append(out, StreamEntry{ID: id})
			continue
		}
		if cap(buf)-len(buf) < m {
			buf = make([]string, 0, max(m, min(16*(n-e), r.left()/4)))
		}
		kv := buf[len(buf) : len(buf)+m : len(buf)+m]
		buf = buf[:len(buf)+m]
		for f := range kv {
			kv[f] = str[spans[2+2*f]-from : spans[3+2*f]-from]
		}
		out = append(out, StreamEntry{ID: id, KV: kv})
	}
	return out, nil
}

// respReader walks one RESP2 or RESP3 reply held in memory.
type respReader struct {
	b []byte
	i int
}

var errShort = errors.New("reply ends early")

// header reads a type byte and its length line: n is the element count of
// an array or map, the byte length of a bulk string, -1 for null ('_',
// '*-1', '$-1').
func (r *respReader) header() (kind byte, n int, err error) {
	if r.i >= len(r.b) {
		return 0, 0, errShort
	}
	kind = r.b[r.i]
	r.i++
	if kind == '_' {
		return kind, -1, r.crlf()
	}
	if kind != '*' && kind != '%' && kind != '$' {
		return kind, 0, fmt.Errorf("unexpected RESP type %q at byte %d", kind, r.i-1)
	}
	neg := false
	if r.i < len(r.b) && r.b[r.i] == '-' {
		neg = true
		r.i++
	}
	digits := 0
	for r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
		if n > 1<<40 {
			return kind, 0, fmt.Errorf("RESP length too large at byte %d", r.i)
		}
		n = n*10 + int(r.b[r.i]-'0')
		r.i++
		digits++
	}
	if digits == 0 {
		return kind, 0, fmt.Errorf("RESP length missing at byte %d", r.i)
	}
	if neg {
		if n != 1 {
			return kind, 0, fmt.Errorf("RESP length -%d at byte %d", n, r.i)
		}
		n = -1
	}
	return kind, n, r.crlf()
}

// bulk reads a bulk string and returns where its bytes are in r.b.
func (r *respReader) bulk() (start, end int, null bool, err error) {
	kind, n, err := r.header()
	if err != nil {
		return 0, 0, false, err
	}
	if kind != '$' && !(kind == '_' && n < 0) {
		return 0, 0, false, fmt.Errorf("RESP type %q where a string belongs", kind)
	}
	if n < 0 {
		return 0, 0, true, nil
	}
	start = r.i
	if len(r.b)-start < n+2 {
		return 0, 0, false, errShort
	}
	r.i += n
	return start, start + n, false, r.crlf()
}

// left is how many bytes of the reply are not read yet.
func (r *respReader) left() int { return len(r.b) - r.i }

func (r *respReader) crlf() error {
	if len(r.b)-r.i < 2 || r.b[r.i] != '\r' || r.b[r.i+1] != '\n' {
		return fmt.Errorf("RESP line does not end in CRLF at byte %d", r.i)
	}
	r.i += 2
	return nil
}
