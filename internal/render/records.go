package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/olekukonko/tablewriter/tw"
)

// Records writes rows of named columns in opts.Format: the shape of the
// admin commands' listings (bans, archives, the audit stream) and action
// results. Table: the column names upper-cased as header, every cell made
// printable (ids and reasons are untrusted text). JSON: an array of
// objects keyed by the column names, values as given (numbers stay
// numbers, nil is null). CSV: header, then the values as text.
func Records(w io.Writer, columns []string, rows [][]any, opts Options) error {
	f, err := opts.format()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	text := func(v any) string {
		if v == nil {
			return ""
		}
		return fmt.Sprint(v)
	}
	switch f {
	case FormatJSON:
		buf.WriteByte('[')
		for i, row := range rows {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.WriteByte('{')
			for j, c := range columns {
				if j > 0 {
					buf.WriteByte(',')
				}
				k, _ := json.Marshal(c)
				var v any
				if j < len(row) {
					v = row[j]
				}
				var vb bytes.Buffer
				enc := json.NewEncoder(&vb)
				enc.SetEscapeHTML(false)
				if err := enc.Encode(v); err != nil {
					return fmt.Errorf("render: %s of row %d: %w", c, i+1, err)
				}
				buf.Write(k)
				buf.WriteByte(':')
				buf.Write(bytes.TrimRight(vb.Bytes(), "\n"))
			}
			buf.WriteByte('}')
		}
		buf.WriteString("]\n")
	case FormatCSV:
		out := make([][]string, len(rows))
		for i, row := range rows {
			for _, v := range row {
				out[i] = append(out[i], text(v))
			}
		}
		err = writeCSV(&buf, columns, out)
	default:
		header := make([]string, len(columns))
		aligns := make([]tw.Align, len(columns))
		for i, c := range columns {
			header[i] = upper(c)
			aligns[i] = tw.AlignLeft
		}
		out := make([][]string, len(rows))
		for i, row := range rows {
			for j, v := range row {
				switch v.(type) {
				case int, int64, float64:
					aligns[j] = tw.AlignRight
				}
				out[i] = append(out[i], printable(text(v)))
			}
		}
		err = writeTable(&buf, tableSpec{header: header, aligns: aligns, rows: out, color: opts.Color})
	}
	if err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z':
			b[i] = c - 'a' + 'A'
		case c == '_':
			b[i] = ' '
		}
	}
	return string(b)
}
