package cmdutil

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"
)

// LogFormatFlag defines --log-format (default text) on a daemon's command,
// so consume and serve take the same values with the same wording.
func LogFormatFlag(c *cobra.Command, p *string) {
	StringEnumFlag(c, p, "log-format", "", "text", Enum{Choices: []string{"text", "json"}}, "log format on stderr")
}

// LogLevelFlag defines --log-level (default info) on a daemon's command.
func LogLevelFlag(c *cobra.Command, p *string) {
	StringEnumFlag(c, p, "log-level", "", "info", Enum{Choices: []string{"debug", "info", "warn", "error"}}, "log level")
}

// NewLogger is a daemon's logger on w: JSON lines for "json", key=value
// text otherwise, at level ("" = info). The flags have already refused
// other values, so this is the one place that maps them to slog.
func NewLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if level != "" {
		if err := lv.UnmarshalText([]byte(level)); err != nil {
			return nil, fmt.Errorf("log level: %w", err)
		}
	}
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}
