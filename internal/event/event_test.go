package event

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestParseJSONTurnsValuesIntoStreamText(t *testing.T) {
	ev, err := ParseJSON([]byte(`{"id": 42, "product_id":"exrps","event_data":null,"n":1.50,"ok":true,"user_id":"u\u00e9"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"product_id": "exrps", "event_data": "null", "n": "1.50", "ok": "true", "user_id": "ué"}
	if ev.ID != "42" {
		t.Errorf("id %q, want 42", ev.ID)
	}
	if len(ev.Fields) != len(want) {
		t.Errorf("fields %v, want %v", ev.Fields, want)
	}
	for k, v := range want {
		if ev.Fields[k] != v {
			t.Errorf("%s = %q, want %q", k, ev.Fields[k], v)
		}
	}
}

func TestParseJSONErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`[1,2]`, "not a JSON object"},
		{`true`, "not a JSON object"},
		{`{"a":"b"`, "unexpected end"},
		{`{"a":{"b":1}}`, "object or array"},
		{`{"a":[1]}`, "object or array"},
		{`{"a":"1","a":"2"}`, "appears twice"},
		{`{"a":"1"} {"b":2}`, "text after"},
		{`{"id":null,"a":"1"}`, `"id" is empty`},
		{`{"id":"","a":"1"}`, `"id" is empty`},
		{`{"a":"1",}`, "not JSON"},
	} {
		_, err := ParseJSON([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseJSON(%s) = %v, want error containing %q", c.in, err, c.want)
		}
	}
}

func TestDecoderReportsLinesAndGoesOn(t *testing.T) {
	in := "{\"product_id\":\"a\"}\n\n  \nbad\n{\"product_id\":\"b\"}\r\n{\"product_id\":\"c\"}"
	d := NewDecoder(strings.NewReader(in), "f.jsonl")
	var got []string
	for {
		ev, err := d.Next()
		if err == io.EOF {
			break
		}
		var le *LineError
		if errors.As(err, &le) {
			got = append(got, "bad@"+le.Src.String())
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev.Product()+"@"+ev.Src.String())
	}
	want := "a@f.jsonl:1 bad@f.jsonl:4 b@f.jsonl:5 c@f.jsonl:6"
	if strings.Join(got, " ") != want {
		t.Fatalf("got %v\nwant %s", got, want)
	}
	if d.Offset() != int64(len(in)) {
		t.Fatalf("offset %d, want %d", d.Offset(), len(in))
	}
}

func TestDecoderSkipsOverlongLine(t *testing.T) {
	long := `{"product_id":"` + strings.Repeat("x", MaxLineBytes) + `"}`
	d := NewDecoder(strings.NewReader(long+"\n{\"product_id\":\"ok\"}\n"), "f")
	_, err := d.Next()
	var le *LineError
	if !errors.As(err, &le) || le.Src.Line != 1 || !strings.Contains(err.Error(), "longer than") {
		t.Fatalf("first line: %v", err)
	}
	ev, err := d.Next()
	if err != nil || ev.Product() != "ok" || ev.Src.Line != 2 {
		t.Fatalf("second line: %+v %v", ev, err)
	}
}

func TestValidate(t *testing.T) {
	ok := Event{Fields: map[string]string{"product_id": "exrps"}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, ev := range map[string]Event{
		"no product":   {Fields: map[string]string{"type": "x"}},
		"braces":       {Fields: map[string]string{"product_id": "a{b}"}},
		"bad utf8":     {Fields: map[string]string{"product_id": "p", "user_id": "\xff"}},
		"huge value":   {Fields: map[string]string{"product_id": "p", "x": strings.Repeat("a", MaxFieldValue+1)}},
		"long product": {Fields: map[string]string{"product_id": strings.Repeat("p", 65)}},
	} {
		if ev.Validate() == nil {
			t.Errorf("%s: Validate accepted %v", name, ev)
		}
	}
	many := Event{Fields: map[string]string{"product_id": "p"}}
	for i := 0; i < MaxFields; i++ {
		many.Fields[string(rune('a'+i%26))+strings.Repeat("z", i/26)] = "v"
	}
	if many.Validate() == nil {
		t.Error("Validate accepted too many fields")
	}
}

func TestCheckUser(t *testing.T) {
	for _, u := range []string{"u1", "zoë", "name with spaces", strings.Repeat("a", 128)} {
		if err := CheckUser(u); err != nil {
			t.Errorf("CheckUser(%q): %v", u, err)
		}
	}
	for _, u := range []string{"", "a\nb", "\x00", strings.Repeat("a", 129), "\xff"} {
		if CheckUser(u) == nil {
			t.Errorf("CheckUser(%q) accepted", u)
		}
	}
}

func TestFromPairs(t *testing.T) {
	ev, err := FromPairs([]string{"type=game_over", "id=x1", "note=a=b"})
	if err != nil || ev.ID != "x1" || ev.Fields["note"] != "a=b" || ev.Fields["type"] != "game_over" {
		t.Fatalf("%+v %v", ev, err)
	}
	if _, err := FromPairs([]string{"novalue"}); err == nil {
		t.Fatal("accepted an argument without =")
	}
}

// FuzzDecoder: no input makes the decoder panic or loop, every event it
// returns is flat text, and line numbers only go up.
func FuzzDecoder(f *testing.F) {
	for _, s := range []string{
		`{"product_id":"exrps","type":"game_over","winner_id":"u1","loser_id":"u2"}`,
		"{\"a\":null}\n{\"b\":1e400}\n[]\n",
		`{"id":1,"x":true,"y":-0.0}`,
		"\xff\xfe{",
		`{"a":"\ud800"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := NewDecoder(strings.NewReader(string(data)), "fuzz")
		last := 0
		for i := 0; i < 10000; i++ {
			ev, err := d.Next()
			if err == io.EOF {
				return
			}
			var le *LineError
			if errors.As(err, &le) {
				if le.Src.Line <= last {
					t.Fatalf("line numbers went back: %d after %d", le.Src.Line, last)
				}
				last = le.Src.Line
				continue
			}
			if err != nil {
				t.Fatalf("unexpected error kind: %v", err)
			}
			if ev.Src.Line <= last {
				t.Fatalf("line numbers went back: %d after %d", ev.Src.Line, last)
			}
			last = ev.Src.Line
			_ = ev.Validate()
			_ = ev.String()
		}
		t.Fatal("decoder returned 10000 results without reaching EOF")
	})
}

// TestParseFlatTakesPlainLines makes sure the fast path is the one a plain
// line takes (a change that made it bail would pass every other test and
// halve replay speed) and that it leaves escapes and errors to the tokenizer.
func TestParseFlatTakesPlainLines(t *testing.T) {
	for _, in := range []string{
		`{"id":"g1-3","product_id":"exrps","type":"game_over","winner_id":"u1","loser_id":"u2"}`,
		` { "product_id" : "exrps" , "event_data" : null , "n" : -1.5e+3, "ok" : false, "user_id" : "ué" } `,
		`{}`,
		`{"id":7}`,
	} {
		fast, ok := parseFlat([]byte(in))
		if !ok {
			t.Errorf("fast path refused a plain line: %s", in)
			continue
		}
		slow, err := parseJSONTokens([]byte(in))
		if err != nil || fast.ID != slow.ID || fmt.Sprint(fast.Fields) != fmt.Sprint(slow.Fields) {
			t.Errorf("%s: fast %+v, tokenizer %+v %v", in, fast, slow, err)
		}
	}
	for _, in := range []string{
		`{"a":"tab\there"}`, `{"a":"\u00e9"}`, "{\"a\":\"\xff\"}", `{"a":1,}`, `{"a":01}`,
		`{"a":1.}`, `{"a":-}`, `{"a":1e}`, `{"a":tru}`, `{"a":nullx}`, `{"a":1}x`, `{"a":1,"a":2}`,
		`{"id":1,"id":2}`, `{"id":null}`, `{"id":""}`, `{"a":[1]}`, `{"a":{}}`, `{"a" 1}`, `{a:1}`, `{"a":1`,
		"{\"a\":\"x\ny\"}",
	} {
		if ev, ok := parseFlat([]byte(in)); ok {
			t.Errorf("fast path accepted %q as %+v; it must leave it to the tokenizer", in, ev)
		}
	}
}

// FuzzParseFlat: whatever the fast path accepts, the tokenizer accepts too,
// with the same id and fields; so ParseJSON answers as if it had only the
// tokenizer.
func FuzzParseFlat(f *testing.F) {
	for _, s := range []string{
		`{"id":"g1-3","product_id":"exrps","type":"game_over","winner_id":"u1","loser_id":"u2"}`,
		`{"id": 42, "product_id":"exrps","event_data":null,"n":1.50,"ok":true}`,
		`{"a":-0.0e-0,"b":"ü","c":false}`,
		`{"id":true}`,
		"\t{ }\r\n",
		`{"a":1e400}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := parseFlat(data)
		if !ok {
			return
		}
		slow, err := parseJSONTokens(data)
		if err != nil {
			t.Fatalf("fast path accepted %q, tokenizer says %v", data, err)
		}
		if fast.ID != slow.ID || len(fast.Fields) != len(slow.Fields) {
			t.Fatalf("%q: fast %+v, tokenizer %+v", data, fast, slow)
		}
		for k, v := range slow.Fields {
			if got, ok := fast.Fields[k]; !ok || got != v {
				t.Fatalf("%q: field %q fast %q, tokenizer %q", data, k, got, v)
			}
		}
	})
}
