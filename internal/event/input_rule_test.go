package event

import (
	"strings"
	"testing"
)

// TestInvalidUTF8RefusedInJSON: encoding/json turns invalid bytes and lone
// surrogate escapes into U+FFFD, which made "\xff\xfe", "\xfe\xff" and
// "\xc0\xaf" one player. Every such line is refused, naming the field, the
// way the stream refuses the same bytes.
func TestInvalidUTF8RefusedInJSON(t *testing.T) {
	for _, in := range []string{
		"{\"product_id\":\"exrps\",\"winner_id\":\"\xff\xfe\"}",
		"{\"product_id\":\"exrps\",\"winner_id\":\"\xfe\xff\"}",
		"{\"product_id\":\"exrps\",\"winner_id\":\"\xc0\xaf\"}",
		"{\"product_id\":\"exrps\",\"winner_id\":\"a\\n\xff\"}", // escape forces the tokenizer
		`{"product_id":"exrps","winner_id":"\ud800"}`,
		`{"product_id":"exrps","winner_id":"x\udc00y"}`,
		`{"product_id":"exrps","winner_id":"\ud800\u0041"}`,
		`{"product_id":"exrps","winner_id":"\ud800\\"}`,
	} {
		_, err := ParseJSON([]byte(in))
		if err == nil || !strings.Contains(err.Error(), "field winner_id is not valid UTF-8") {
			t.Errorf("%q: got %v, want a refusal naming winner_id", in, err)
		}
	}
	if _, err := ParseJSON([]byte("{\"product_id\":\"exrps\",\"\xff\":\"1\"}")); err == nil || !strings.Contains(err.Error(), "field name") {
		t.Errorf("invalid field name: got %v", err)
	}
	for _, in := range []string{
		`{"product_id":"exrps","winner_id":"\ud83d\ude00"}`, // a real pair: 😀
		`{"product_id":"exrps","winner_id":"\\ud800"}`,      // an escaped backslash, then text
		`{"product_id":"exrps","winner_id":"\u00e9\"x"}`,
		`{"product_id":"exrps","winner_id":"` + "\uFFFD" + `"}`, // a real U+FFFD is text like any other
	} {
		if _, err := ParseJSON([]byte(in)); err != nil {
			t.Errorf("%s: refused valid text: %v", in, err)
		}
	}
}

// TestFromPairsRefusesDuplicates: `track PRODUCT k=v k=w` used to keep the
// last value; JSONL and HTTP refuse the same event, so the command line does.
func TestFromPairsRefusesDuplicates(t *testing.T) {
	for _, args := range [][]string{
		{"type=game_over", "winner_id=u1", "winner_id=u2"},
		{"id=a", "id=b"},
	} {
		_, err := FromPairs(args)
		if err == nil || !strings.Contains(err.Error(), "appears twice") {
			t.Errorf("%v: got %v, want a refusal", args, err)
		}
	}
}
