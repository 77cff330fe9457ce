package event

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// MaxLineBytes bounds one JSONL line so a file with no newlines cannot make
// a replay read gigabytes into memory.
const MaxLineBytes = 1 << 20

// LineError is a problem with one input line. Decoding can go on after it,
// which is what lets `track` report every bad line and skip them.
type LineError struct {
	Src Source
	Err error
}

func (e *LineError) Error() string { return fmt.Sprintf("%s: %v", e.Src, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// Decoder streams events out of JSONL so memory stays flat whatever the file
// size: one line is held at a time.
type Decoder struct {
	r      *bufio.Reader
	file   string
	line   int
	offset int64
	buf    []byte
}

// NewDecoder reads JSONL from r; file names the input in error messages.
func NewDecoder(r io.Reader, file string) *Decoder {
	return &Decoder{r: bufio.NewReaderSize(r, 64<<10), file: file}
}

// Offset is the number of bytes consumed so far, for progress reporting.
func (d *Decoder) Offset() int64 { return d.offset }

// Next returns the next event. It returns io.EOF at the end of input, a
// *LineError for a line that is not a valid event (call Next again to go on),
// and any other error for a failed read (stop then).
func (d *Decoder) Next() (Event, error) {
	for {
		line, tooLong, err := d.readLine()
		if err != nil && len(line) == 0 && !tooLong {
			return Event{}, err
		}
		d.line++
		src := Source{File: d.file, Line: d.line}
		if tooLong {
			return Event{}, &LineError{Src: src, Err: fmt.Errorf("line is longer than %d bytes", MaxLineBytes)}
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			if err != nil {
				return Event{}, err
			}
			continue
		}
		ev, perr := ParseJSON(line)
		if perr != nil {
			return Event{}, &LineError{Src: src, Err: perr}
		}
		ev.Src = src
		return ev, nil
	}
}

// readLine returns one line without its newline. A line over MaxLineBytes is
// consumed to its end and reported as tooLong, so decoding can resume after it.
func (d *Decoder) readLine() (line []byte, tooLong bool, err error) {
	d.buf = d.buf[:0]
	for {
		chunk, err := d.r.ReadSlice('\n')
		d.offset += int64(len(chunk))
		if !tooLong {
			if len(d.buf)+len(chunk) > MaxLineBytes+1 {
				tooLong = true
				d.buf = d.buf[:0]
			} else {
				d.buf = append(d.buf, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err == nil {
			return bytes.TrimSuffix(d.buf, []byte{'\n'}), tooLong, nil
		}
		return d.buf, tooLong, err
	}
}

// ParseJSON turns one flat JSON object into an Event the way the game server
// would have sent it on the stream: numbers and booleans become their text,
// null becomes "null", and an "id" member becomes the event's identity.
//
// Almost every line is plain: strings without escapes, valid UTF-8. Those
// take a direct scan (parseFlat), which allocates only the strings it keeps;
// anything else, including every line with an error, goes through
// encoding/json's tokenizer, which has the final word on what is valid and
// writes the error messages. FuzzParseFlat holds the two paths equal.
func ParseJSON(data []byte) (Event, error) {
	if ev, ok := parseFlat(data); ok {
		return ev, nil
	}
	return parseJSONTokens(data)
}

// parseJSONTokens is ParseJSON through encoding/json's tokenizer: slower, but
// it decodes escapes and explains every kind of bad input.
func parseJSONTokens(data []byte) (Event, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return Event{}, fmt.Errorf("not a JSON object; each line must be one flat object such as {\"product_id\":\"exrps\",\"type\":\"game_over\",...}")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return Event{}, fmt.Errorf("not JSON: %w", syntaxMsg(err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return Event{}, fmt.Errorf("not a JSON object; each line must be one flat object such as {\"product_id\":\"exrps\",\"type\":\"game_over\",...}")
	}
	ev := Event{Fields: make(map[string]string, 8)}
	for dec.More() {
		at := dec.InputOffset()
		kt, err := dec.Token()
		if err != nil {
			return Event{}, fmt.Errorf("not JSON: %w", syntaxMsg(err))
		}
		key := kt.(string) // object keys are always strings
		if !rawTextValid(data[at:dec.InputOffset()]) {
			return Event{}, fmt.Errorf("field name %.40q is not valid UTF-8 (invalid bytes or a lone \\u surrogate escape)", key)
		}
		at = dec.InputOffset()
		vt, err := dec.Token()
		if err != nil {
			return Event{}, fmt.Errorf("field %q: not JSON: %w", key, syntaxMsg(err))
		}
		if !rawTextValid(data[at:dec.InputOffset()]) {
			return Event{}, fmt.Errorf("field %s is not valid UTF-8 (invalid bytes or a lone \\u surrogate escape)", key)
		}
		var val string
		switch v := vt.(type) {
		case string:
			val = v
		case json.Number:
			val = v.String()
		case bool:
			val = strconv.FormatBool(v)
		case nil:
			val = "null"
		case json.Delim:
			return Event{}, fmt.Errorf("field %q is an object or array; events are flat key/value objects", key)
		}
		if _, dup := ev.Fields[key]; dup || (key == FieldID && ev.ID != "") {
			return Event{}, fmt.Errorf("field %q appears twice", key)
		}
		if key == FieldID {
			if val == "" || val == "null" {
				return Event{}, fmt.Errorf("field \"id\" is empty; leave it out or give the event a unique id")
			}
			ev.ID = val
			continue
		}
		ev.Fields[key] = val
	}
	if _, err := dec.Token(); err != nil { // closing brace
		return Event{}, fmt.Errorf("not JSON: %w", syntaxMsg(err))
	}
	if dec.More() {
		return Event{}, fmt.Errorf("text after the JSON object; put one object per line")
	}
	if _, err := dec.Token(); err != io.EOF {
		return Event{}, fmt.Errorf("text after the JSON object; put one object per line")
	}
	return ev, nil
}

func syntaxMsg(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("unexpected end of line")
	}
	return err
}

// FromStream builds an Event from a stream entry. Redis stream values are
// always strings; the entry id becomes the event identity.
func FromStream(id string, values map[string]any) Event {
	ev := Event{ID: id, Fields: make(map[string]string, len(values))}
	for k, v := range values {
		switch s := v.(type) {
		case string:
			ev.Fields[k] = s
		default:
			ev.Fields[k] = fmt.Sprint(s)
		}
	}
	return ev
}

// FromPairs builds an Event from key=value arguments typed by a person.
func FromPairs(pairs []string) (Event, error) {
	ev := Event{Fields: make(map[string]string, len(pairs))}
	for i, p := range pairs {
		k, v, ok := bytes.Cut([]byte(p), []byte{'='})
		if !ok || len(k) == 0 {
			return Event{}, fmt.Errorf("argument %d (%q) is not key=value", i+1, p)
		}
		if _, dup := ev.Fields[string(k)]; dup || (string(k) == FieldID && ev.ID != "") {
			return Event{}, fmt.Errorf("argument %d: field %q appears twice; give each field once", i+1, k)
		}
		if string(k) == FieldID {
			ev.ID = string(v)
			continue
		}
		ev.Fields[string(k)] = string(v)
	}
	return ev, nil
}

// parseFlat is the fast path of ParseJSON for a well-formed flat object with
// plain strings. It gives up (ok false) on anything it does not handle itself:
// escapes, invalid UTF-8, nesting, duplicates, an empty id, any syntax error.
// When it succeeds, the result is what parseJSONTokens returns.
func parseFlat(data []byte) (ev Event, ok bool) {
	i := skipSpace(data, 0)
	if i == len(data) || data[i] != '{' {
		return Event{}, false
	}
	i = skipSpace(data, i+1)
	ev = Event{Fields: make(map[string]string, 8)}
	if i < len(data) && data[i] == '}' {
		return ev, skipSpace(data, i+1) == len(data)
	}
	for {
		var key, val string
		if key, i, ok = plainString(data, i); !ok {
			return Event{}, false
		}
		i = skipSpace(data, i)
		if i == len(data) || data[i] != ':' {
			return Event{}, false
		}
		i = skipSpace(data, i+1)
		if i == len(data) {
			return Event{}, false
		}
		switch c := data[i]; {
		case c == '"':
			val, i, ok = plainString(data, i)
		case c == '-' || (c >= '0' && c <= '9'):
			var end int
			end, ok = numberEnd(data, i)
			val, i = string(data[i:end]), end
		case bytes.HasPrefix(data[i:], []byte("true")):
			val, i = "true", i+4
		case bytes.HasPrefix(data[i:], []byte("false")):
			val, i = "false", i+5
		case bytes.HasPrefix(data[i:], []byte("null")):
			val, i = "null", i+4
		default:
			ok = false
		}
		if !ok {
			return Event{}, false
		}
		if key == FieldID {
			if ev.ID != "" || val == "" || val == "null" {
				return Event{}, false
			}
			ev.ID = val
		} else {
			if _, dup := ev.Fields[key]; dup {
				return Event{}, false
			}
			ev.Fields[key] = val
		}
		i = skipSpace(data, i)
		if i == len(data) {
			return Event{}, false
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return ev, skipSpace(data, i+1) == len(data)
		default:
			return Event{}, false
		}
	}
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON whitespace.
func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// plainString reads a JSON string starting at data[i] == '"' that needs no
// decoding: no escapes, no control characters, valid UTF-8.
func plainString(data []byte, i int) (s string, next int, ok bool) {
	if i >= len(data) || data[i] != '"' {
		return "", i, false
	}
	ascii := true
	for j := i + 1; j < len(data); j++ {
		switch c := data[j]; {
		case c == '"':
			raw := data[i+1 : j]
			if !ascii && !utf8.Valid(raw) {
				return "", i, false
			}
			return string(raw), j + 1, true
		case c == '\\' || c < 0x20:
			return "", i, false
		case c >= 0x80:
			ascii = false
		}
	}
	return "", i, false
}

// numberEnd returns the end of the JSON number starting at data[i], by the
// grammar -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?.
func numberEnd(data []byte, i int) (int, bool) {
	digits := func(j int) int {
		for j < len(data) && data[j] >= '0' && data[j] <= '9' {
			j++
		}
		return j
	}
	if data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && data[i] >= '1' && data[i] <= '9':
		i = digits(i)
	default:
		return i, false
	}
	if i < len(data) && data[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return i, false
		}
		i = j
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return i, false
		}
		i = j
	}
	return i, true
}
