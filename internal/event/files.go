package event

import (
	"fmt"
	"io"
	"os"
)

// Stdin is the file name that reads standard input in a list of event
// files, as `-f -` does on the command line.
const Stdin = "-"

// Files decodes several JSONL files one after another as one source, for
// `track -f` and `rebuild -f` alike. Files are opened one at a time, when
// reading reaches them, so a long list holds one descriptor.
type Files struct {
	in    io.Reader
	names []string
	size  int64
	cur   *Decoder
	close func() error
	done  int64
}

// OpenFiles checks that every named file exists and is not a directory, so
// a typo fails before anything is written, and returns them as one source.
// Stdin ("-") reads in, named "stdin" in messages.
func OpenFiles(names []string, in io.Reader) (*Files, error) {
	var size int64
	for _, n := range names {
		if n == Stdin {
			size = -1
			continue
		}
		st, err := os.Stat(n)
		if err != nil {
			return nil, fmt.Errorf("event file: %w", err)
		}
		if st.IsDir() {
			return nil, fmt.Errorf("event file %s is a directory", n)
		}
		if size >= 0 {
			size += st.Size()
		}
	}
	return &Files{in: in, names: append([]string(nil), names...), size: size}, nil
}

// Size is the total bytes of the files, for a progress bar; -1 when stdin
// is among them.
func (m *Files) Size() int64 { return m.size }

// Next returns the next event of the current file, moving on at its end.
// Errors are the Decoder's, and a failure to open a file that vanished
// since OpenFiles.
func (m *Files) Next() (Event, error) {
	for {
		if m.cur == nil {
			if len(m.names) == 0 {
				return Event{}, io.EOF
			}
			name := m.names[0]
			m.names = m.names[1:]
			if name == Stdin {
				m.cur = NewDecoder(m.in, "stdin")
				m.close = func() error { return nil }
			} else {
				fh, err := os.Open(name)
				if err != nil {
					return Event{}, fmt.Errorf("open event file: %w", err)
				}
				m.cur = NewDecoder(fh, name)
				m.close = fh.Close
			}
		}
		ev, err := m.cur.Next()
		if err == io.EOF {
			m.done += m.cur.Offset()
			_ = m.close()
			m.cur = nil
			continue
		}
		return ev, err
	}
}

// Offset is the bytes read across all files, for the progress line.
func (m *Files) Offset() int64 {
	if m.cur != nil {
		return m.done + m.cur.Offset()
	}
	return m.done
}

// Close closes the file being read; the rest were never opened.
func (m *Files) Close() error {
	if m.cur == nil {
		return nil
	}
	err := m.close()
	m.cur = nil
	return err
}
