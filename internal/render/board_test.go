package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
)

func TestDisplayValueFormats(t *testing.T) {
	for _, c := range []struct {
		score float64
		value string
		spec  handler.Spec
		want  string
	}{
		{62345, "62345", handler.Spec{Format: handler.FormatDurationMs}, "1:02.345"},
		{3723004, "3723004", handler.Spec{Format: handler.FormatDurationMs}, "1:02:03.004"},
		{-1500, "-1500", handler.Spec{Format: handler.FormatDurationMs}, "-0:01.500"},
		{83.5, "83.5", handler.Spec{Format: handler.FormatDurationS, Scale: 1}, "1:23.500"},
		{4.5, "4.5", handler.Spec{Format: handler.FormatDecimal, Scale: 2}, "4.50"},
		{4.5, "4.5", handler.Spec{Format: handler.FormatInteger}, "5"},
		{0.125, "0.125", handler.Spec{Scale: 3, Fixed: true}, "0.125"},
		{12, "12", handler.Spec{}, "12"},
	} {
		if got := DisplayValue(store.Entry{Score: c.score, Value: c.value}, c.spec); got != c.want {
			t.Errorf("DisplayValue(%v, %+v) = %q, want %q", c.score, c.spec, got, c.want)
		}
	}
}

// JSON and CSV keep the exact value and the metadata; a zero spec renders
// byte for byte as Leaderboard.
func TestBoardRawAndCompatible(t *testing.T) {
	es := []store.Entry{{Rank: 1, UserID: "a", Score: 9007199.254740991, Value: "9007199.254740991", Meta: map[string]string{"display_name": "A\x1b"}}}
	spec := handler.Spec{Fixed: true, Scale: 9, Meta: []string{"display_name"}}
	var j, c, tb bytes.Buffer
	if err := Board(&j, es, spec, Options{Format: FormatJSON}); err != nil {
		t.Fatal(err)
	}
	if got := j.String(); got != `[{"rank":1,"user_id":"a","score":9007199.254740991,"meta":{"display_name":"A\u001b"}}]`+"\n" {
		t.Errorf("json %s", got)
	}
	if err := Board(&c, es, spec, Options{Format: FormatCSV}); err != nil {
		t.Fatal(err)
	}
	if got := c.String(); got != "rank,user_id,score,display_name\n1,a,9007199.254740991,A\x1b\n" {
		t.Errorf("csv %q", got)
	}
	if err := Board(&tb, es, spec, Options{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(tb.String(), "\x1b") || !strings.Contains(tb.String(), `A\x1b`) {
		t.Errorf("table must escape metadata: %q", tb.String())
	}
	plain := []store.Entry{{Rank: 1, UserID: "a", Score: 2}}
	var a, b bytes.Buffer
	_ = Board(&a, plain, handler.Spec{}, Options{})
	_ = Leaderboard(&b, plain, Options{})
	if a.String() != b.String() {
		t.Errorf("zero spec differs from Leaderboard:\n%s\n%s", a.String(), b.String())
	}
}
