// Package event defines the one event type statsctl applies, whether it came
// from the Redis stream, a JSONL file or the command line, so that every entry
// point shares a single apply path. It also reads them: the JSONL decoder,
// and Files, the one source of several files that track and rebuild share.
package event

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Field names of the contract the game servers already speak. They are
// constants so a typo is a compile error rather than a silently skipped event.
const (
	FieldProduct    = "product_id"
	FieldGame       = "game_id"
	FieldType       = "type"
	FieldWinner     = "winner_id"
	FieldLoser      = "loser_id"
	FieldEventName  = "event_name"
	FieldEventData  = "event_data"
	FieldUser       = "user_id"
	FieldNewState   = "new_state"
	FieldID         = "id"
	TypeGameOver    = "game_over"
	TypeGameplay    = "gameplay"
	TypeStateChange = "state_change"
)

// DefaultStream is the Redis stream the game servers XADD their events to,
// part of the same contract as the field names: every command that reads
// the stream defaults to it.
const DefaultStream = "game_event_stream"

// Limits keep one hostile or broken event from costing unbounded memory in
// the daemon or unbounded space in Redis.
const (
	MaxFields     = 64
	MaxFieldName  = 64
	MaxFieldValue = 4096
)

// Source says where an event came from, so an error can point a person at the
// exact line or stream entry to fix.
type Source struct {
	File string // file name, "-" for stdin, "" for the stream
	Line int    // 1-based line number in File, 0 when not from a file
}

// String renders the source as "file:line" for error messages.
func (s Source) String() string {
	switch {
	case s.File != "" && s.Line > 0:
		return fmt.Sprintf("%s:%d", s.File, s.Line)
	case s.File != "":
		return s.File
	default:
		return "stream"
	}
}

// Event is one stream entry or JSONL line: an identity plus string fields, as
// the game servers send them (every value is text, "null" included).
type Event struct {
	// ID identifies the event for idempotent application: the stream entry id,
	// or the optional "id" field of a JSONL line. Empty means "no identity":
	// such an event is applied every time it is seen.
	ID     string
	Fields map[string]string
	Src    Source

	dup string // a field the stream entry gave twice; Validate refuses it
}

// Get returns a field's value and whether it is present and non-empty; an
// empty value counts as missing because no handler can use one.
func (e Event) Get(name string) (string, bool) {
	v, ok := e.Fields[name]
	return v, ok && v != ""
}

// Product is the event's product id ("" when missing).
func (e Event) Product() string { return e.Fields[FieldProduct] }

// Type is the event's type ("" when missing).
func (e Event) Type() string { return e.Fields[FieldType] }

// String gives a stable one-line rendering for logs and dead letters.
func (e Event) String() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	if e.ID != "" {
		b.WriteString("id=" + e.ID)
	}
	for _, k := range keys {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%q", k, e.Fields[k])
	}
	return b.String()
}

// Validate checks the shape every event must have before any handler sees it:
// sizes within limits, valid UTF-8, and a well-formed product id. It does not
// know handler-specific fields; handlers report those.
func (e Event) Validate() error {
	if e.dup != "" {
		return fmt.Errorf("field %q appears twice", e.dup)
	}
	if len(e.Fields) > MaxFields {
		return fmt.Errorf("%d fields, more than the %d allowed", len(e.Fields), MaxFields)
	}
	if len(e.ID) > MaxFieldValue || !validText(e.ID) {
		return fmt.Errorf("event id is not valid UTF-8 text of at most %d bytes", MaxFieldValue)
	}
	for k, v := range e.Fields {
		if len(k) > MaxFieldName || !validText(k) {
			return fmt.Errorf("field name %.40q is not valid UTF-8 text of at most %d bytes", k, MaxFieldName)
		}
		if len(v) > MaxFieldValue {
			return fmt.Errorf("field %s is %d bytes, more than the %d allowed", k, len(v), MaxFieldValue)
		}
		if !validText(v) {
			return fmt.Errorf("field %s is not valid UTF-8", k)
		}
	}
	p, ok := e.Get(FieldProduct)
	if !ok {
		return fmt.Errorf("missing field %s", FieldProduct)
	}
	if err := CheckProduct(p); err != nil {
		return err
	}
	return nil
}

// validText is utf8.ValidString with the ASCII text of real events, short
// names and ids, checked inline: Validate calls it for every name and value
// of every event, and the call cost more than the check. Text with any
// other byte gets utf8.ValidString's verdict.
func validText(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return utf8.ValidString(s)
		}
	}
	return true
}

// CheckProduct reports whether p can name a product. Product ids become part
// of Redis keys inside a cluster hash tag, so braces and control characters
// are refused rather than allowed to split one game across slots.
func CheckProduct(p string) error {
	if p == "" {
		return fmt.Errorf("product id is empty")
	}
	if len(p) > 64 {
		return fmt.Errorf("product id %.20q... is longer than 64 characters", p)
	}
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return fmt.Errorf("product id %q has %q; use letters, digits, '_', '-' or '.'", p, r)
		}
	}
	return nil
}

// CheckUser reports whether u can name a player: non-empty printable UTF-8 of
// at most 128 bytes. Anything else is a broken event, not a player.
func CheckUser(u string) error {
	if u == "" {
		return fmt.Errorf("user id is empty")
	}
	if len(u) > 128 {
		return fmt.Errorf("user id %.20q... is longer than 128 bytes", u)
	}
	if printableASCII(u) {
		return nil
	}
	if !utf8.ValidString(u) {
		return fmt.Errorf("user id is not valid UTF-8")
	}
	for _, r := range u {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("user id %q has a control character", u)
		}
	}
	return nil
}

// printableASCII reports whether s is all printable ASCII (0x20 to 0x7e),
// which CheckUser accepts without decoding runes: every user id real
// events carry. Anything else takes CheckUser's full checks.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}
