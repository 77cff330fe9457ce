package cmdutil

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Enum is the set of values a fixed-choice flag takes: validation, shell
// completion and usage text come from this one description, so they
// cannot disagree (as cli/cli's StringEnumFlag does).
type Enum struct {
	// Choices are the accepted values, matched ignoring case and
	// surrounding space and stored as written here.
	Choices []string
	// Other, when set, also accepts values beyond Choices (an entry id
	// for --start); OtherName says what they are in usage text and errors.
	Other     func(string) bool
	OtherName string
}

// String is the usage form of the choices: "{a|b|c}", plus "or OtherName".
func (e Enum) String() string {
	s := "{" + strings.Join(e.Choices, "|") + "}"
	if e.Other != nil {
		s += " or " + e.OtherName
	}
	return s
}

// StringEnumFlag defines --name (and -shorthand, if any) on c's own flags,
// taking one of e's values, with def as the default. usage is completed with
// the choices; a value outside them is a flag error (exit 2) worded once,
// here.
func StringEnumFlag(c *cobra.Command, p *string, name, shorthand, def string, e Enum, usage string) *pflag.Flag {
	return enumFlag(c, c.Flags(), p, name, shorthand, def, e, usage)
}

// PersistentStringEnumFlag is StringEnumFlag for a flag c's subcommands
// inherit (the root's -o).
func PersistentStringEnumFlag(c *cobra.Command, p *string, name, shorthand, def string, e Enum, usage string) *pflag.Flag {
	return enumFlag(c, c.PersistentFlags(), p, name, shorthand, def, e, usage)
}

func enumFlag(c *cobra.Command, fs *pflag.FlagSet, p *string, name, shorthand, def string, e Enum, usage string) *pflag.Flag {
	*p = def
	fl := fs.VarPF(&enumValue{p: p, e: e}, name, shorthand, usage+": "+e.String())
	_ = c.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(e.Choices, cobra.ShellCompDirectiveNoFileComp))
	return fl
}

// enumValue is the pflag.Value of a fixed-choice flag.
type enumValue struct {
	p *string
	e Enum
}

func (v *enumValue) String() string { return *v.p }

// Type is what usage shows after the flag's name.
func (v *enumValue) Type() string { return "string" }

// Set accepts one of the choices (stored in its canonical spelling) or,
// if the enum has one, a value its Other accepts.
func (v *enumValue) Set(s string) error {
	t := strings.TrimSpace(s)
	for _, c := range v.e.Choices {
		if strings.EqualFold(c, t) {
			*v.p = c
			return nil
		}
	}
	if v.e.Other != nil && v.e.Other(s) {
		*v.p = s
		return nil
	}
	return fmt.Errorf("want %s", v.e)
}
