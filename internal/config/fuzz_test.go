package config

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"os"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
)

// fuzzEvents are what a configured product meets at run time: a game
// over, a weapon pick, broken variants of both.
var fuzzEvents = []map[string]string{
	{"product_id": "exrps", "type": "game_over", "winner_id": "u1", "loser_id": "u2"},
	{"product_id": "exrps", "type": "game_over", "winner_id": "u1", "loser_id": "u1"},
	{"product_id": "exrps", "type": "game_over", "winner_id": "u1"},
	{"product_id": "exrps", "type": "gameplay", "event_name": "select_weapon", "user_id": "u1", "event_data": "2"},
	{"product_id": "exrps", "type": "gameplay", "event_name": "select_weapon", "user_id": "u1", "event_data": "null"},
	{"product_id": "exrps", "type": "gameplay", "event_name": "select_weapon", "user_id": "u1", "event_data": "{x}"},
	{"product_id": "exrps", "type": "round_over"},
}

// FuzzConfig: no config text makes Parse panic or loop; a refusal is an
// error naming the file (and a line inside the text when it gives one);
// an accepted config builds a registry whose products handle run-time
// events without panicking, the same way twice (handlers are pure).
func FuzzConfig(f *testing.F) {
	example, err := os.ReadFile("../../testdata/config/statsctl.yaml")
	if err != nil {
		f.Fatal(err)
	}
	// The seed corpus lives in testdata/fuzz/FuzzConfig (aliases, anchors,
	// every scorer, rules, errors); the shipped example is always a seed.
	f.Add(example)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("f.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			lines := yamlLines(data)
			for _, e := range unjoin(err) {
				var ce *Error
				if errors.As(e, &ce) && ce.Line > lines {
					t.Fatalf("error at line %d of a %d-line text: %v", ce.Line, lines, ce)
				}
			}
			return
		}
		reg, err := c.Registry()
		if err != nil {
			return
		}
		names := append(reg.Known(), "unconfigured")
		for _, name := range names {
			p := reg.Lookup(name)
			if p.DefaultBoard() == "" {
				t.Fatalf("product %s accepted without a default board", name)
			}
			for _, fields := range fuzzEvents {
				fields = maps.Clone(fields)
				fields["product_id"] = name
				ev := event.Event{ID: "1-0", Fields: fields}
				ch1, err1 := p.Handle(ev, handler.NoValues{})
				ch2, err2 := p.Handle(ev, handler.NoValues{})
				if fmt.Sprint(ch1, err1) != fmt.Sprint(ch2, err2) {
					t.Fatalf("product %s handled %v differently twice: %v %v / %v %v", name, fields, ch1, err1, ch2, err2)
				}
			}
		}
	})
}

// yamlLines counts lines as YAML does: LF, CRLF, a lone CR and the Unicode
// breaks NEL, LS and PS each end one. A text that starts with a UTF-16 byte
// order mark (a Windows editor's "Unicode") is read as UTF-16, as yaml.v3
// reads it.
func yamlLines(data []byte) int {
	n := 1
	s := decodeText(data)
	for i, r := range s {
		switch {
		case r == '\n', r == '\u0085', r == '\u2028', r == '\u2029':
			n++
		case r == '\r' && !strings.HasPrefix(s[i+1:], "\n"):
			n++
		}
	}
	return n
}

// decodeText returns the text YAML sees in data: UTF-8, or UTF-16 after a
// little- or big-endian byte order mark (a trailing odd byte is dropped).
func decodeText(data []byte) string {
	var order binary.ByteOrder
	switch {
	case bytes.HasPrefix(data, []byte{0xff, 0xfe}):
		order = binary.LittleEndian
	case bytes.HasPrefix(data, []byte{0xfe, 0xff}):
		order = binary.BigEndian
	default:
		return string(data)
	}
	units := make([]uint16, 0, len(data)/2)
	for i := 2; i+1 < len(data); i += 2 {
		units = append(units, order.Uint16(data[i:]))
	}
	return string(utf16.Decode(units))
}

// unjoin lists the errors an errors.Join holds (or err alone).
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
