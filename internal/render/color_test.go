package render

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/varcade/statsctl/internal/fakeenv"
)

func TestColorEnabledNonTerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var nilFile *os.File
	for name, w := range map[string]any{
		"bytes.Buffer": &bytes.Buffer{},
		"regular file": f,
		"nil *os.File": nilFile,
	} {
		w := w.(interface{ Write([]byte) (int, error) })
		if IsTerminal(w) {
			t.Errorf("IsTerminal(%s) = true", name)
		}
		// Even with a colour-friendly environment, a non-terminal gets none.
		if ColorEnabled(w, false, fakeenv.Map{"TERM": "xterm-256color"}.Lookup) {
			t.Errorf("ColorEnabled(%s) = true, want false", name)
		}
	}
}

func TestColorEnabledTruthTable(t *testing.T) {
	tty := openTerminal(t)
	if !IsTerminal(tty) {
		t.Fatal("IsTerminal(pty) = false")
	}
	cases := []struct {
		name string
		flag bool
		env  map[string]string
		want bool
	}{
		{"terminal, clean env", false, map[string]string{}, true},
		{"terminal, xterm", false, map[string]string{"TERM": "xterm-256color"}, true},
		{"--no-color flag", true, map[string]string{"TERM": "xterm"}, false},
		{"NO_COLOR=1", false, map[string]string{"NO_COLOR": "1", "TERM": "xterm"}, false},
		{"NO_COLOR=anything", false, map[string]string{"NO_COLOR": "false"}, false},
		{"NO_COLOR empty is ignored", false, map[string]string{"NO_COLOR": "", "TERM": "xterm"}, true},
		{"TERM=dumb", false, map[string]string{"TERM": "dumb"}, false},
		{"flag and NO_COLOR", true, map[string]string{"NO_COLOR": "1"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ColorEnabled(tty, c.flag, fakeenv.Map(c.env).Lookup); got != c.want {
				t.Errorf("ColorEnabled = %v, want %v", got, c.want)
			}
		})
	}
}

func TestColorEnabledNilGetenvUsesProcessEnv(t *testing.T) {
	tty := openTerminal(t)
	t.Setenv("NO_COLOR", "1")
	if ColorEnabled(tty, false, nil) {
		t.Error("nil getenv should fall back to os.LookupEnv and see NO_COLOR")
	}
	t.Setenv("NO_COLOR", "")
	t.Setenv("TERM", "xterm")
	if !ColorEnabled(tty, false, nil) {
		t.Error("want colour on a terminal with a clean environment")
	}
}
