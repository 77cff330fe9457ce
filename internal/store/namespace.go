package store

import "fmt"

// MaxNamespace bounds the key prefix; every key carries it.
const MaxNamespace = 64

// CheckNamespace reports whether ns can prefix statsctl's keys without
// breaking their layout. A brace would move the cluster hash tag out of
// "{<product>}" ("x:{evil}" puts every product in one slot and lets one
// namespace's keys collide with another's), and whitespace or control
// characters make keys that redis-cli and scripts cannot name. Allowed:
// letters, digits, '_', '-', '.' and ':'.
func CheckNamespace(ns string) error {
	if ns == "" {
		return fmt.Errorf("the namespace is empty; leave --namespace out for %q", DefaultNamespace)
	}
	if len(ns) > MaxNamespace {
		return fmt.Errorf("namespace %.20q... is longer than %d bytes", ns, MaxNamespace)
	}
	for _, r := range ns {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.' || r == ':') {
			hint := ""
			if r == '{' || r == '}' {
				hint = " (braces would take over the {product} hash tag of every key)"
			}
			return fmt.Errorf("namespace %q has %q%s; use letters, digits, '_', '-', '.' or ':'", ns, r, hint)
		}
	}
	return nil
}
