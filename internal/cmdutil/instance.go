package cmdutil

import (
	"errors"
	"strings"
	"time"

	"github.com/varcade/statsctl/internal/handler"
)

// Instance resolves --board/--period/--segment to the board instance a
// query reads (handler.Product.Resolve, the resolver the v1 API uses too),
// as a usage error that names what exists when it names nothing.
func Instance(reg *handler.Registry, product, board, period, segment string, now time.Time) (handler.Choice, error) {
	c, err := reg.Lookup(product).Resolve(board, period, segment, now)
	var re *handler.ResolveError
	if errors.As(err, &re) {
		hint := ""
		if re.Code == "unknown_board" {
			hint = "; boards beyond the built-in wins board come from the games config (--config or STATSCTL_CONFIG, see docs/config.md)"
		} else if len(re.Choices) > 0 {
			hint = " (try: " + strings.Join(re.Choices, ", ") + "; --periods lists the stored ones)"
		}
		return handler.Choice{}, UsageErrorf("product %s: %s%s", product, re.Msg, hint)
	}
	return c, err
}

// InstanceName is how messages name a chosen instance: "weekly (period
// 2026-W48, segment eu)".
func InstanceName(c handler.Choice) string {
	var parts []string
	if c.Period != "" {
		parts = append(parts, "period "+c.Period)
	}
	if c.Segment != "" {
		parts = append(parts, "segment "+c.Segment)
	}
	if len(parts) == 0 {
		return c.Board
	}
	return c.Board + " (" + strings.Join(parts, ", ") + ")"
}
