package cmdutil

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestStringEnumFlag(t *testing.T) {
	isNum := func(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }
	var v string
	c := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
	fl := StringEnumFlag(c, &v, "mode", "m", "a", Enum{Choices: []string{"a", "b"}, Other: isNum, OtherName: "a number"}, "the mode")
	if v != "a" || fl.Usage != "the mode: {a|b} or a number" {
		t.Fatalf("default %q, usage %q", v, fl.Usage)
	}
	for in, want := range map[string]string{" B ": "b", "a": "a", "42": "42"} {
		if err := fl.Value.Set(in); err != nil || v != want {
			t.Errorf("Set(%q): %v, value %q, want %q", in, err, v, want)
		}
	}
	if err := fl.Value.Set("c"); err == nil || err.Error() != "want {a|b} or a number" {
		t.Fatalf("Set(c): %v", err)
	}
	comp, _ := c.GetFlagCompletionFunc("mode")
	if got, _ := comp(c, nil, ""); strings.Join(got, " ") != "a b" {
		t.Fatalf("completion %v", got)
	}
}
