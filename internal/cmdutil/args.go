package cmdutil

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
)

// ExactArgs is cobra.ExactArgs that fails as a usage error (exit 2) and
// names the arguments expected.
func ExactArgs(n int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return UsageErrorf("%s takes %d argument(s): %s (got %d)", cmd.CommandPath(), n, names, len(args))
		}
		return nil
	}
}

// CheckProduct checks a product id given on the command line, so a bad one
// is a usage error (exit 2) before anything is opened.
func CheckProduct(arg string) error {
	if err := event.CheckProduct(arg); err != nil {
		return UsageErrorf("product: %v", err)
	}
	return nil
}

// CheckUser checks a user id given on the command line, as CheckProduct does.
func CheckUser(arg string) error {
	if err := event.CheckUser(arg); err != nil {
		return UsageErrorf("user: %v", err)
	}
	return nil
}

// CompleteProducts offers the products the registry knows, without opening
// the store (completion must be instant and never wait on a lock).
func CompleteProducts(f *Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		reg, err := f.Registry()
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		return reg.Known(), cobra.ShellCompDirectiveNoFileComp
	}
}

// Board resolves --board for a product: the product's default board when
// empty, and a usage error naming the boards when unknown.
func Board(reg *handler.Registry, product, board string) (string, error) {
	p := reg.Lookup(product)
	if board == "" {
		return p.DefaultBoard(), nil
	}
	if !p.HasBoard(board) {
		names := ""
		for i, b := range p.Boards {
			if i > 0 {
				names += ", "
			}
			names += b.Name
		}
		return "", UsageErrorf("product %s has no board %q (boards: %s); boards beyond the built-in wins board "+
			"come from the games config (--config or STATSCTL_CONFIG, see docs/config.md)", product, board, names)
	}
	return board, nil
}

// Plural picks the singular or plural form of a noun for messages.
func Plural(n int64, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
