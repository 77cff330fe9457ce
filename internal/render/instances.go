package render

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"time"

	"github.com/olekukonko/tablewriter/tw"

	"github.com/varcade/statsctl/internal/store"
)

type instanceJSON struct {
	Instance string `json:"instance"`
	Period   string `json:"period,omitempty"`
	Segment  string `json:"segment,omitempty"`
	Start    string `json:"start,omitempty"`
	Players  int64  `json:"players"`
	Closed   bool   `json:"closed"`
}

// Instances writes a board's periods and segments: a table PERIOD,
// SEGMENT, STARTS, PLAYERS, STATUS for people (closed; live for current,
// the period id holding now; ended for an older one not closed yet, as
// the history table says), JSON objects or CSV rows with the stored
// fields (closed true/false) for programs.
// Starts are shown in loc, the board's zone (nil: UTC).
func Instances(w io.Writer, rows []store.InstanceInfo, loc *time.Location, current string, opts Options) error {
	f, err := opts.format()
	if err != nil {
		return err
	}
	if loc == nil {
		loc = time.UTC
	}
	start := func(r store.InstanceInfo) string {
		if r.Period == "" {
			return ""
		}
		return time.UnixMilli(r.Start).In(loc).Format(time.RFC3339)
	}
	var buf bytes.Buffer
	switch f {
	case FormatJSON:
		out := make([]instanceJSON, 0, len(rows))
		for _, r := range rows {
			out = append(out, instanceJSON{r.Instance, r.Period, r.Segment, start(r), r.Size, r.Closed})
		}
		b, err := json.Marshal(out)
		if err != nil {
			return err
		}
		buf.Write(b)
		buf.WriteByte('\n')
	case FormatCSV:
		cells := make([][]string, 0, len(rows))
		for _, r := range rows {
			cells = append(cells, []string{r.Instance, r.Period, r.Segment, start(r), strconv.FormatInt(r.Size, 10), strconv.FormatBool(r.Closed)})
		}
		if err := writeCSV(&buf, []string{"instance", "period", "segment", "start", "players", "closed"}, cells); err != nil {
			return err
		}
	default:
		cells := make([][]string, 0, len(rows))
		for _, r := range rows {
			seg, closed := r.Segment, ""
			if seg == "" {
				seg = "(all)"
			}
			switch {
			case r.Closed:
				closed = "closed"
			case r.Period == "":
			case r.Period == current:
				closed = "live"
			default:
				closed = "ended" // past its end, not closed yet (grace, or no closer ran)
			}
			cells = append(cells, []string{r.Period, seg, start(r), strconv.FormatInt(r.Size, 10), closed})
		}
		if err := writeTable(&buf, tableSpec{
			header: []string{"PERIOD", "SEGMENT", "STARTS", "PLAYERS", "STATUS"},
			aligns: []tw.Align{tw.AlignLeft, tw.AlignLeft, tw.AlignLeft, tw.AlignRight, tw.AlignLeft},
			rows:   cells, color: opts.Color,
		}); err != nil {
			return err
		}
	}
	_, err = w.Write(buf.Bytes())
	return err
}
