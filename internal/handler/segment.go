package handler

import (
	"fmt"
	"slices"
	"strings"

	"github.com/varcade/statsctl/internal/event"
)

// Limits of the segment layer (docs/boards.md "Bounds").
const (
	// MaxSegmentValue bounds one split field's value in a key.
	MaxSegmentValue = 32
	// MaxSplitFields bounds split_by.
	MaxSplitFields = 3
	// MaxSegments bounds max_segments and a segments: allow-list.
	MaxSegments = 10000
)

// Split is the segment layer's configuration of one board: the event
// fields it is split by and the bound on how many segments may exist,
// either an allow-list (Values) or a maximum count per period (Max),
// which only the apply script can check because it depends on what is
// stored.
type Split struct {
	By     []string
	Values []string // allowed segments (joined with ','), nil = any up to Max
	Max    int
}

// Segment is the segment an event belongs to: the values of the split
// fields joined with ','. It refuses an event that lacks a split field
// (missing_field), a value that cannot be part of a key (bad_segment) or a
// segment the allow-list does not name (segment_limit).
func (s Split) Segment(ev event.Event) (string, error) {
	parts := make([]string, len(s.By))
	for i, f := range s.By {
		v, ok := ev.Get(f)
		if !ok || v == "" {
			return "", Invalidf(ReasonMissingField, "the board is split by %s but the event has no %s", strings.Join(s.By, ","), f)
		}
		if err := CheckSegmentValue(v); err != nil {
			return "", Invalidf(ReasonBadSegment, "%s: %v", f, err)
		}
		parts[i] = v
	}
	seg := strings.Join(parts, ",")
	if s.Values != nil && !slices.Contains(s.Values, seg) {
		return "", Invalidf(ReasonSegmentLimit, "segment %q is not one of the board's segments (%s); add it to segments: in the config", seg, strings.Join(s.Values, " "))
	}
	return seg, nil
}

// CheckSegmentValue keeps a split field's value usable in a key: 1 to 32
// of [A-Za-z0-9_.-], so no '@', '~' or ',' can blur instance names.
func CheckSegmentValue(v string) error {
	if v == "" || len(v) > MaxSegmentValue {
		return fmt.Errorf("segment value %.40q must be 1 to %d characters", v, MaxSegmentValue)
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
			return fmt.Errorf("segment value %.40q has %q; segments are letters, digits, '_', '.' or '-'", v, r)
		}
	}
	return nil
}

// ParseSegment reads a query's segment, "region=eu" or "eu" (several split
// fields: "region=eu,mode=ranked" or "eu,ranked", in split_by order), into
// the segment key part.
func (s Split) ParseSegment(q string) (string, error) {
	parts := strings.Split(q, ",")
	if len(parts) != len(s.By) {
		return "", fmt.Errorf("segment %q: the board is split by %s, so give %d value(s), e.g. %s=VALUE", q, strings.Join(s.By, ","), len(s.By), s.By[0])
	}
	for i, p := range parts {
		if k, v, ok := strings.Cut(p, "="); ok {
			if k != s.By[i] {
				return "", fmt.Errorf("segment %q: field %d is %s, not %s (split_by: %s)", q, i+1, s.By[i], k, strings.Join(s.By, ","))
			}
			p = v
		}
		if err := CheckSegmentValue(p); err != nil {
			return "", fmt.Errorf("segment %q: %v", q, err)
		}
		parts[i] = p
	}
	return strings.Join(parts, ","), nil
}
