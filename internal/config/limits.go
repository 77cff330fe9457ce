package config

import (
	"fmt"
	"io"
	"os"

	"github.com/varcade/statsctl/internal/handler"
)

// MaxFileBytes is the largest config file statsctl reads. Every command
// loads the config at start, and YAML costs about 50 times its size in
// memory (a 50 MB file took 2.6 GB on every command); a real games config
// is a few kilobytes, so 1 MiB leaves room for hundreds of products.
const MaxFileBytes = 1 << 20

// tooBig is the refusal of a config over MaxFileBytes, before parsing.
func tooBig(file string, size int64) error {
	return &Error{File: file, Msg: fmt.Sprintf("the config is %d bytes; the limit is %d bytes (1 MiB): a games config is a few kilobytes, so check this is the right file", size, MaxFileBytes)}
}

// readLimited reads a config file, refusing one over MaxFileBytes without
// reading it all (a named pipe or device is read up to the limit + 1).
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > MaxFileBytes {
		return nil, tooBig(path, fi.Size())
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	if len(data) > MaxFileBytes {
		return nil, &Error{File: path, Msg: fmt.Sprintf("the config is more than %d bytes (1 MiB), the limit; a games config is a few kilobytes, so check this is the right file", MaxFileBytes)}
	}
	return data, nil
}

// checkBoundedTemplate refuses a stat template with a placeholder and no
// values map: the raw event value would name the stat, so input alone
// could add any number of stats to a player (20,000 fields on one player
// in a test). With values, the names are those the config lists.
func checkBoundedTemplate(tmpl string) error {
	names, err := handler.Placeholders(tmpl)
	if err != nil || len(names) == 0 {
		return nil // a bad template has its own error; a fixed name is one stat
	}
	return fmt.Errorf("stat template %q takes its name from the event's %s with no values map, so events could create any number of stats; list the values it may take and their names, e.g. values: {\"0\": rock, \"1\": paper}", tmpl, names[0])
}
