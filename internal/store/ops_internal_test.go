package store

import (
	"strings"
	"testing"
)

// Every op the Go side emits must be one the script knows and its header
// lists; a typo on either side would only show as a failed apply.
func TestApplyOpsKnownToScript(t *testing.T) {
	for _, op := range []string{opScoreAdd, opScoreEnsure, opScoreSet, opHashAdd, opHashSet} {
		if !strings.Contains(applySrc, "op == '"+op+"'") {
			t.Errorf("apply.lua does not handle op %q", op)
		}
		if !strings.Contains(applySrc, "--   '"+op+"'") {
			t.Errorf("apply.lua's header does not list op %q", op)
		}
	}
}
