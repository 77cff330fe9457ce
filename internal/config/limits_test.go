package config

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A config over MaxFileBytes is refused before parsing, naming the file,
// its size and the limit; one of exactly MaxFileBytes is read. (The code
// before the limit parsed a 50 MB file, at 2.6 GB, on every command.)
func TestConfigSizeLimit(t *testing.T) {
	valid := []byte("products:\n  p:\n    boards: [{name: w, scorer: wins}]\n")
	pad := func(n int) []byte { // valid YAML of exactly n bytes: comment lines
		b := append([]byte{}, valid...)
		for len(b) < n {
			line := min(80, n-len(b))
			b = append(b, '#')
			b = append(b, bytes.Repeat([]byte{'x'}, line-2)...)
			b = append(b, '\n')
		}
		return b[:n]
	}
	dir := t.TempDir()
	for _, n := range []int{MaxFileBytes - 1, MaxFileBytes} {
		path := filepath.Join(dir, "ok.yaml")
		if err := os.WriteFile(path, pad(n), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(path); err != nil {
			t.Fatalf("%d-byte config refused: %v", n, err)
		}
	}
	for _, n := range []int{MaxFileBytes + 1, 50 << 20} {
		path := filepath.Join(dir, "big.yaml")
		if err := os.WriteFile(path, pad(MaxFileBytes+1), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(path, int64(n)); err != nil { // 50 MB: sparse, refused by its size
			t.Fatal(err)
		}
		_, err := Load(path)
		if err == nil {
			t.Fatalf("%d-byte config accepted", n)
		}
		for _, want := range []string{path, strconv.Itoa(n) + " bytes", "limit is " + strconv.Itoa(MaxFileBytes) + " bytes"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%d bytes: error %q lacks %q", n, err, want)
			}
		}
		if _, err := Parse(path, pad(MaxFileBytes+1)); err == nil || !strings.Contains(err.Error(), "limit is") {
			t.Errorf("Parse of %d bytes: %v, want the size refusal", n, err)
		}
	}
	// A file that is not regular (its size unknown) is read only up to the limit.
	fifo := filepath.Join(dir, "pipe.yaml")
	if err := mkfifo(fifo); err != nil {
		t.Skipf("no fifo: %v", err)
	}
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		_, _ = f.Write(pad(2 * MaxFileBytes))
	}()
	if _, err := Load(fifo); err == nil || !strings.Contains(err.Error(), "more than 1048576 bytes") {
		t.Fatalf("pipe of 2 MiB: %v, want the size refusal", err)
	}
}

// A stat template that takes its name from the event with no values map
// would let input create any number of stats on a player: refused, on the
// template's line. With a values map, or without a placeholder, it is fine.
func TestStatTemplateNeedsValues(t *testing.T) {
	rule := func(extra string) string {
		return "products:\n  p:\n    boards: [{name: w, scorer: wins}]\n    stats:\n      - match: {type: gameplay}\n        player: user_id\n" + extra
	}
	_, err := Parse("x.yaml", []byte(rule("        stat: \"{event_data}\"\n")))
	if err == nil {
		t.Fatal("a template without values was accepted")
	}
	for _, want := range []string{"x.yaml:7:", `stat template "{event_data}"`, "event_data", "no values map", "values: {"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	_, err = Parse("x.yaml", []byte(rule("        stat: \"{event_name}_{event_data}_count\"\n        by: 2\n")))
	if err == nil || !strings.Contains(err.Error(), "x.yaml:7:") {
		t.Errorf("two placeholders without values: %v", err)
	}
	for _, ok := range []string{
		"        stat: \"{event_data}_n\"\n        values: {\"0\": rock, \"1\": paper}\n",
		"        stat: \"{event_data}_n\"\n        values: {}\n", // every value unknown: no stat at all
		"        stat: emotes\n", // one fixed stat
	} {
		if _, err := Parse("x.yaml", []byte(rule(ok))); err != nil {
			t.Errorf("refused:\n%s\n%v", ok, err)
		}
	}
}
