package handler

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// PeriodKind is how a periodic board cuts time (docs/boards.md).
type PeriodKind uint8

// The period kinds a board may have.
const (
	Daily PeriodKind = iota + 1
	Weekly
	Monthly
	Cron
)

// Limits of the period layer: they keep the keys a periodic board can hold
// bounded (docs/boards.md "Bounds").
const (
	// MaxKeep is the most periods a board may keep.
	MaxKeep = 1000
	// DefaultKeep is how many periods a board keeps when keep: is absent.
	DefaultKeep = 8
	// MinCronInterval is the shortest period a cron expression may make:
	// shorter ones would mint keys faster than anyone reads them.
	MinCronInterval = time.Hour
)

// Period is the period layer's configuration of one board: how time is cut
// into periods, in which zone, how many are kept and how long an ended
// period still takes late events. It is pure time arithmetic; the wrapper
// that uses it is Layered (periodic.go).
type Period struct {
	Kind PeriodKind
	// Expr is the cron expression when Kind is Cron; it is also how the
	// period is shown ("weekly", "0 6 * * 1").
	Expr string
	Loc  *time.Location
	// SundayWeeks starts weeks on Sunday (ids are then the start date)
	// instead of ISO weeks (Monday, ids 2026-W48).
	SundayWeeks bool
	Keep        int
	Grace       time.Duration

	sched cron.Schedule
}

// ParsePeriod reads a board's period: daily, weekly, monthly or a standard
// five-field cron expression whose firings start the periods. loc nil is UTC.
func ParsePeriod(spec string, loc *time.Location) (Period, error) {
	if loc == nil {
		loc = time.UTC
	}
	p := Period{Expr: spec, Loc: loc, Keep: DefaultKeep}
	switch spec {
	case "daily":
		p.Kind = Daily
	case "weekly":
		p.Kind = Weekly
	case "monthly":
		p.Kind = Monthly
	default:
		if strings.HasPrefix(spec, "CRON_TZ=") || strings.HasPrefix(spec, "TZ=") {
			return Period{}, fmt.Errorf("period %q: give the zone as time_zone:, not inside the cron expression", spec)
		}
		s, err := cron.ParseStandard(spec)
		if err != nil {
			return Period{}, fmt.Errorf("period %q is not daily, weekly, monthly or a five-field cron expression (minute hour day month weekday): %v", spec, err)
		}
		ss, ok := s.(*cron.SpecSchedule)
		if !ok {
			return Period{}, fmt.Errorf("period %q: @every schedules do not follow the calendar; use a cron expression or daily/weekly/monthly", spec)
		}
		ss.Location = loc
		p.Kind, p.sched = Cron, ss
		if err := p.checkCron(); err != nil {
			return Period{}, err
		}
	}
	return p, nil
}

// checkCron refuses schedules that fire more often than MinCronInterval or
// never: a year of firings from a fixed start is sampled.
func (p Period) checkCron() error {
	t := time.Date(2025, 1, 1, 0, 0, 0, 0, p.Loc)
	prev := p.sched.Next(t)
	if prev.IsZero() {
		return fmt.Errorf("period %q never fires", p.Expr)
	}
	for i := 0; i < 400; i++ {
		n := p.sched.Next(prev)
		if n.IsZero() {
			return fmt.Errorf("period %q stops firing", p.Expr)
		}
		if n.Sub(prev) < MinCronInterval {
			return fmt.Errorf("period %q starts a new period after %v; the shortest allowed is %v", p.Expr, n.Sub(prev), MinCronInterval)
		}
		prev = n
	}
	return nil
}

// Shortest is the shortest period the board can have (a February, a day
// that loses an hour to DST, the closest two cron firings), for checks
// that must hold for every period.
func (p Period) Shortest() time.Duration {
	switch p.Kind {
	case Daily:
		return 23 * time.Hour
	case Weekly:
		return 7*24*time.Hour - time.Hour
	case Monthly:
		return 28*24*time.Hour - time.Hour
	}
	t := time.Date(2025, 1, 1, 0, 0, 0, 0, p.Loc)
	prev := p.sched.Next(t)
	best := time.Duration(1<<63 - 1)
	for i := 0; i < 400; i++ {
		n := p.sched.Next(prev)
		best = min(best, n.Sub(prev))
		prev = n
	}
	return best
}

// Start is the start of the period holding t.
func (p Period) Start(t time.Time) time.Time {
	t = t.In(p.Loc)
	y, m, d := t.Date()
	switch p.Kind {
	case Daily:
		return time.Date(y, m, d, 0, 0, 0, 0, p.Loc)
	case Weekly:
		off := (int(t.Weekday()) + 6) % 7 // days since Monday
		if p.SundayWeeks {
			off = int(t.Weekday())
		}
		return time.Date(y, m, d-off, 0, 0, 0, 0, p.Loc)
	case Monthly:
		return time.Date(y, m, 1, 0, 0, 0, 0, p.Loc)
	}
	// Cron: the latest firing at or before t. Look back far enough to
	// find one, then walk forward.
	for back := time.Hour; back < 10*366*24*time.Hour; back *= 2 {
		s := p.sched.Next(t.Add(-back))
		if s.IsZero() || s.After(t) {
			continue
		}
		for {
			n := p.sched.Next(s)
			if n.IsZero() || n.After(t) {
				return s
			}
			s = n
		}
	}
	return time.Time{}
}

// Next is the start of the period after the one starting at start.
func (p Period) Next(start time.Time) time.Time {
	start = start.In(p.Loc)
	y, m, d := start.Date()
	switch p.Kind {
	case Daily:
		return time.Date(y, m, d+1, 0, 0, 0, 0, p.Loc)
	case Weekly:
		return time.Date(y, m, d+7, 0, 0, 0, 0, p.Loc)
	case Monthly:
		return time.Date(y, m+1, 1, 0, 0, 0, 0, p.Loc)
	}
	return p.sched.Next(start)
}

// Prev is the start of the period before the one starting at start.
func (p Period) Prev(start time.Time) time.Time {
	start = start.In(p.Loc)
	y, m, d := start.Date()
	switch p.Kind {
	case Daily:
		return time.Date(y, m, d-1, 0, 0, 0, 0, p.Loc)
	case Weekly:
		return time.Date(y, m, d-7, 0, 0, 0, 0, p.Loc)
	case Monthly:
		return time.Date(y, m-1, 1, 0, 0, 0, 0, p.Loc)
	}
	return p.Start(start.Add(-time.Minute))
}

// Shift moves n periods from the period starting at start (n may be
// negative).
func (p Period) Shift(start time.Time, n int) time.Time {
	start = start.In(p.Loc)
	y, m, d := start.Date()
	switch p.Kind {
	case Daily:
		return time.Date(y, m, d+n, 0, 0, 0, 0, p.Loc)
	case Weekly:
		return time.Date(y, m, d+7*n, 0, 0, 0, 0, p.Loc)
	case Monthly:
		return time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, p.Loc)
	}
	for ; n > 0; n-- {
		start = p.Next(start)
	}
	for ; n < 0; n++ {
		start = p.Prev(start)
	}
	return start
}

// ID names the period starting at start: 2026-11-30 (daily, and weekly
// from Sunday), 2026-W48 (ISO weekly, the ISO year), 2026-11 (monthly),
// 2026-11-30T0600 (cron, the start in the board's zone). Ids hold only
// [0-9A-Z-] (docs/boards.md "Instances") and sort in time order within a
// board, except ISO weeks across a year boundary, which the registry
// orders by start instead.
func (p Period) ID(start time.Time) string {
	start = start.In(p.Loc)
	switch p.Kind {
	case Weekly:
		if !p.SundayWeeks {
			y, w := start.ISOWeek()
			return fmt.Sprintf("%04d-W%02d", y, w)
		}
		return start.Format("2006-01-02")
	case Daily:
		return start.Format("2006-01-02")
	case Monthly:
		return start.Format("2006-01")
	}
	return start.Format("2006-01-02T1504")
}

// ParseID is the start of the period an id names, refusing ids that name
// no period of this board (a week 53 of a year with 52, a time no cron
// firing starts at).
func (p Period) ParseID(id string) (time.Time, error) {
	var t time.Time
	var err error
	switch {
	case p.Kind == Weekly && !p.SundayWeeks:
		y, w, ok := strings.Cut(id, "-W")
		yi, e1 := strconv.Atoi(y)
		wi, e2 := strconv.Atoi(w)
		if !ok || e1 != nil || e2 != nil || len(y) != 4 || len(w) != 2 || wi < 1 || wi > 53 {
			return time.Time{}, fmt.Errorf("period %q is not an ISO week such as 2026-W48", id)
		}
		// ISO week 1 holds January 4th.
		t = p.Start(time.Date(yi, 1, 4, 12, 0, 0, 0, p.Loc)).AddDate(0, 0, 7*(wi-1))
		t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, p.Loc)
	case p.Kind == Daily || p.Kind == Weekly:
		t, err = time.ParseInLocation("2006-01-02", id, p.Loc)
	case p.Kind == Monthly:
		t, err = time.ParseInLocation("2006-01", id, p.Loc)
	default:
		t, err = time.ParseInLocation("2006-01-02T1504", id, p.Loc)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("period %q is not a period id of a %s board (e.g. %s)", id, p.Expr, p.ID(p.Start(time.Date(2026, 11, 30, 12, 0, 0, 0, p.Loc))))
	}
	if s := p.Start(t); !s.Equal(t) || p.ID(s) != id {
		return time.Time{}, fmt.Errorf("period %q names no period of a %s board (e.g. %s)", id, p.Expr, p.ID(p.Start(t)))
	}
	return t, nil
}

// String shows the period as configured.
func (p Period) String() string {
	if p.Loc == nil || p.Loc == time.UTC {
		return p.Expr
	}
	return p.Expr + " (" + p.Loc.String() + ")"
}
