package event

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFilesReadInOrderWithStdin(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.jsonl")
	if err := os.WriteFile(a, []byte(`{"id":"1","product_id":"p","type":"t"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdin := strings.NewReader(`{"id":"2","product_id":"p","type":"t"}` + "\nnot json\n")
	fs, err := OpenFiles([]string{a, Stdin}, stdin)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	if fs.Size() != -1 {
		t.Fatalf("size with stdin: %d", fs.Size())
	}
	var ids []string
	for {
		ev, err := fs.Next()
		if err == io.EOF {
			break
		}
		var le *LineError
		if errors.As(err, &le) {
			ids = append(ids, le.Src.String())
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ev.ID)
	}
	if got := strings.Join(ids, " "); got != "1 2 stdin:2" {
		t.Fatalf("read %q", got)
	}
	if fs.Offset() == 0 {
		t.Fatal("offset not counted")
	}

	for _, names := range [][]string{{filepath.Join(dir, "missing.jsonl")}, {dir}} {
		if _, err := OpenFiles(names, nil); err == nil || !strings.HasPrefix(err.Error(), "event file") {
			t.Errorf("%v: %v", names, err)
		}
	}
}
