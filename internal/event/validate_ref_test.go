package event

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// The reference versions below are the event checks as they were before
// their fast paths: what every verdict must still be.

func fromStreamPairsRef(id string, kv []string) Event {
	ev := Event{ID: id, Fields: make(map[string]string, len(kv)/2)}
	for i := 0; i+1 < len(kv); i += 2 {
		k := kv[i]
		if _, seen := ev.Fields[k]; seen && ev.dup == "" {
			ev.dup = k
		}
		ev.Fields[k] = kv[i+1]
	}
	return ev
}

func validateRef(e Event) error {
	if e.dup != "" {
		return fmt.Errorf("field %q appears twice", e.dup)
	}
	if len(e.Fields) > MaxFields {
		return fmt.Errorf("%d fields, more than the %d allowed", len(e.Fields), MaxFields)
	}
	if len(e.ID) > MaxFieldValue || !utf8.ValidString(e.ID) {
		return fmt.Errorf("event id is not valid UTF-8 text of at most %d bytes", MaxFieldValue)
	}
	for k, v := range e.Fields {
		if len(k) > MaxFieldName || !utf8.ValidString(k) {
			return fmt.Errorf("field name %.40q is not valid UTF-8 text of at most %d bytes", k, MaxFieldName)
		}
		if len(v) > MaxFieldValue {
			return fmt.Errorf("field %s is %d bytes, more than the %d allowed", k, len(v), MaxFieldValue)
		}
		if !utf8.ValidString(v) {
			return fmt.Errorf("field %s is not valid UTF-8", k)
		}
	}
	p, ok := e.Get(FieldProduct)
	if !ok {
		return fmt.Errorf("missing field %s", FieldProduct)
	}
	return CheckProduct(p)
}

func checkUserRef(u string) error {
	if u == "" {
		return fmt.Errorf("user id is empty")
	}
	if len(u) > 128 {
		return fmt.Errorf("user id %.20q... is longer than 128 bytes", u)
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

// hostileTexts are names and values at every edge the checks draw: invalid
// and overlong UTF-8, surrogates, truncated sequences, control bytes, the
// size limits and one past them, non-ASCII after ASCII and before it.
func hostileTexts() []string {
	return []string{
		"", "a", "exrps", "u3673", "product_id", "user_id", "null", "0",
		"\xff", "\xfe\xff", "u1\xff\xfe", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
		"\xe2\x82", "abcdefg\xe2\x82", "abcdefgh\x80", "zoë", "ü" + strings.Repeat("a", 20), "日本語", "\U0001F600",
		"a\x00b", "\x1f", "\x7f", "tab\there", "a\nb", "\u0085", "\u00a0", "ex{rps}", "ex.r_p-s",
		strings.Repeat("n", MaxFieldName), strings.Repeat("n", MaxFieldName+1),
		strings.Repeat("é", MaxFieldName/2), strings.Repeat("é", MaxFieldName/2) + "x",
		strings.Repeat("v", MaxFieldValue), strings.Repeat("v", MaxFieldValue+1),
		strings.Repeat("v", MaxFieldValue-1) + "\xff", strings.Repeat("u", 128), strings.Repeat("u", 129),
		strings.Repeat("u", 127) + "é", strings.Repeat("u", 126) + "é",
	}
}

// TestChecksMatchReference: on random events built from hostile names and
// values (duplicates, empty values, too many fields, a missing or broken
// product id), FromStreamPairs, Validate and CheckUser give the verdicts of
// their reference versions; with at most one defect, the same message.
func TestChecksMatchReference(t *testing.T) {
	texts := hostileTexts()
	names := append([]string{FieldProduct, FieldProduct, FieldType, FieldUser, FieldWinner}, texts...)
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	for i := 0; i < 20000; i++ {
		n := rng.IntN(8)
		if i%50 == 0 {
			n = MaxFields - 2 + rng.IntN(4)
		}
		var kv []string
		if rng.IntN(4) > 0 {
			kv = append(kv, FieldProduct, pick([]string{"exrps", "chess", "", "a{b}", "p\xff", strings.Repeat("p", 65)}))
		}
		for j := 0; j < n; j++ {
			name := pick(names)
			if n > 8 {
				name = fmt.Sprintf("f%d", j)
			}
			kv = append(kv, name, pick(texts))
		}
		if rng.IntN(3) == 0 && len(kv) > 0 {
			kv = kv[:len(kv)-1] // an odd list: the last name has no value
		}
		id := pick([]string{"1712345678901-0", "", "x\xff", strings.Repeat("i", MaxFieldValue+1)})
		ev, ref := FromStreamPairs(id, kv), fromStreamPairsRef(id, kv)
		if ev.dup != ref.dup || !reflect.DeepEqual(ev.Fields, ref.Fields) {
			t.Fatalf("FromStreamPairs(%q, %q) = %q dup %q, want %q dup %q", id, kv, ev.Fields, ev.dup, ref.Fields, ref.dup)
		}
		got, want := ev.Validate(), validateRef(ref)
		if (got == nil) != (want == nil) {
			t.Fatalf("Validate(%q, %q) = %v, want %v", id, kv, got, want)
		}
		for _, v := range ev.Fields {
			if got, want := CheckUser(v), checkUserRef(v); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("CheckUser(%q) = %v, want %v", v, got, want)
			}
		}
	}
	// One defect at a time: the message is the same too.
	for _, s := range texts {
		for _, ev := range []Event{
			{ID: s, Fields: map[string]string{FieldProduct: "exrps"}},
			{Fields: map[string]string{FieldProduct: "exrps", s: "v"}},
			{Fields: map[string]string{FieldProduct: "exrps", "k": s}},
			{Fields: map[string]string{FieldProduct: s}},
			{Fields: map[string]string{"k": s}},
			FromStreamPairs("1-0", []string{FieldProduct, "exrps", s, "1", s, "2"}),
		} {
			if got, want := ev.Validate(), validateRef(ev); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("Validate(%+v) = %v, want %v", ev, got, want)
			}
		}
		if got, want := CheckUser(s), checkUserRef(s); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("CheckUser(%q) = %v, want %v", s, got, want)
		}
	}
}

// FuzzChecksMatchReference: for any fields (NUL-separated name, value,
// ...), FromStreamPairs, Validate and CheckUser agree with their reference
// versions.
func FuzzChecksMatchReference(f *testing.F) {
	for _, s := range []string{
		"product_id\x00exrps\x00type\x00game_over\x00winner_id\x00u1\x00loser_id\x00u2",
		"product_id\x00exrps\x00user_id\x00u1\xff\xfe",
		"product_id\x00exrps\x00a\x001\x00a\x002",
		"\x00\x00\x00\x00product_id\x00p",
		"product_id\x00ex{rps}\x00\xc0\xaf\x00v",
		"user_id\x00zo\xc3\xab\x00x\x00\x7f",
	} {
		f.Add("1-0", s)
	}
	f.Fuzz(func(t *testing.T, id, fields string) {
		kv := strings.Split(fields, "\x00")
		ev, ref := FromStreamPairs(id, kv), fromStreamPairsRef(id, kv)
		if ev.dup != ref.dup || !reflect.DeepEqual(ev.Fields, ref.Fields) {
			t.Fatalf("FromStreamPairs: %q dup %q, want %q dup %q", ev.Fields, ev.dup, ref.Fields, ref.dup)
		}
		if got, want := ev.Validate(), validateRef(ref); (got == nil) != (want == nil) {
			t.Fatalf("Validate = %v, want %v", got, want)
		}
		for _, s := range append(kv, id) {
			if got, want := CheckUser(s), checkUserRef(s); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("CheckUser(%q) = %v, want %v", s, got, want)
			}
		}
	})
}
