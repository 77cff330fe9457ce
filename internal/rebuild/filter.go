package rebuild

import (
	"errors"
	"fmt"
	"io"

	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
)

// maxShown caps the unreadable lines listed on Warn; the rest are counted.
const maxShown = 10

// filtered passes on only the product's events (the scratch store itself
// remembers which keys it wrote, for the cleanup). An unreadable
// JSONL line names no product, so it is not the rebuilt board's business:
// it is listed (up to maxShown) and counted apart, instead of swelling the
// board's invalid count with every other product's bad lines.
type filtered struct {
	src        engine.Source
	product    string
	warn       io.Writer
	unreadable int64
}

// Next returns the product's next event, skipping everything else.
func (s *filtered) Next() (event.Event, error) {
	for {
		ev, err := s.src.Next()
		var le *event.LineError
		if errors.As(err, &le) {
			if s.unreadable < maxShown {
				fmt.Fprintf(s.warn, "%s: skipped (unreadable): %v\n", le.Src, le.Err)
			}
			s.unreadable++
			continue
		}
		if err != nil {
			return ev, err
		}
		if ev.Product() != s.product {
			continue
		}
		return ev, nil
	}
}
