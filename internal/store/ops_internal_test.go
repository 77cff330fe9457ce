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

// The value ops (issue 11) live in apply.lua's vop table and its header.
func TestValueOpsKnownToScript(t *testing.T) {
	for _, op := range []string{opScoreMax, opScoreMin, opScoreExact, opScoreCheck, opScoreTie, opHashMax, opHashMin, opDistinct} {
		if !strings.Contains(applySrc, "vop['"+op+"']") {
			t.Errorf("apply.lua does not handle value op %q", op)
		}
		if !strings.Contains(applySrc, "--   '"+op+"'") {
			t.Errorf("apply.lua's header does not list op %q", op)
		}
	}
}
