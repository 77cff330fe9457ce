package server

import (
	"math"
	"testing"
)

// Expected strings are Python 3's json.dumps output (checked with python3).
func TestPyFloat(t *testing.T) {
	for _, c := range []struct {
		f    float64
		want string
	}{
		{3, "3.0"}, {2.5, "2.5"}, {0, "0.0"}, {math.Copysign(0, -1), "-0.0"}, {1e16, "1e+16"}, {1.5e-05, "1.5e-05"},
		{123456789012345, "123456789012345.0"}, {0.0001, "0.0001"}, {1e22, "1e+22"}, {-7.25, "-7.25"},
		{9999999999999998, "9999999999999998.0"}, {math.Inf(1), "1.7976931348623157e+308"},
	} {
		if got := string(appendPyFloat(nil, c.f)); got != c.want {
			t.Errorf("%v: got %s want %s", c.f, got, c.want)
		}
	}
}

func TestPyString(t *testing.T) {
	for in, want := range map[string]string{
		"é": `"\u00e9"`, "\x01": `"\u0001"`, `"q\`: `"\"q\\"`, "😀": `"\ud83d\ude00"`, "a\x7fb": `"a\u007fb"`,
		"<&>": `"<&>"`, "\n\t": `"\n\t"`,
	} {
		if got := string(appendPyString(nil, in)); got != want {
			t.Errorf("%q: got %s want %s", in, got, want)
		}
	}
}
