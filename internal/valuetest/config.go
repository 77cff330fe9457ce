package valuetest

import (
	"fmt"
	"strings"
)

// Product is the generated game's product id.
const Product = "vgame"

var (
	ops    = []string{"best", "last", "sum", "decr", "min", "max"}
	orders = []string{"desc", "asc"}
	ties   = []string{"shared", "first"}
)

// boardSpec is one generated board as the model sees it.
type boardSpec struct {
	name, op, order, ties string
	event                 string // event_name it matches
	scale                 int
	min, max              int64 // scaled; both 0 = unbounded
	bounded               bool
	maxChange             int64 // scaled, 0 = none
	floor                 int64 // decr
	meta                  bool
}

// orderFree picks the boards and stats whose end state does not depend
// on the order events are applied in (best, min, max with any ties; sum
// with shared ties; no state-dependent refusals): what several consumers,
// which apply one product's entries out of stream order, must still agree
// on with a pass in stream order.
func orderFree(op, ties string) bool {
	return op == "best" || op == "min" || op == "max" || op == "sum" && ties == "shared"
}

func boards(free bool) []boardSpec {
	var out []boardSpec
	for _, op := range ops {
		for _, o := range orders {
			for _, t := range ties {
				if free && !orderFree(op, t) {
					continue
				}
				b := boardSpec{name: op + "-" + o + "-" + t, op: op, order: o, ties: t, event: "score",
					scale: 2, min: -100000, max: 100000, bounded: true}
				if op == "decr" {
					b.floor = -5000
				}
				out = append(out, b)
			}
		}
	}
	if free {
		// Metadata is the latest applied event's, so several consumers
		// applying out of stream order may keep another event's fields
		// (docs/values.md): the order-free set keeps none.
		return out
	}
	out[0].meta = true
	out = append(out,
		boardSpec{name: "capped", op: "best", order: "desc", ties: "first", event: "jump", scale: 2, maxChange: 300},
		boardSpec{name: "bigsum", op: "sum", order: "desc", ties: "shared", event: "big"},
	)
	return out
}

// Config is the games config of the generated product; free keeps only
// what does not depend on apply order (see orderFree).
func Config(free bool) string {
	var b strings.Builder
	b.WriteString("version: 1\nproducts:\n  " + Product + ":\n    boards:\n")
	for _, s := range boards(free) {
		fmt.Fprintf(&b, "      - name: %s\n        scorer: value\n        match: {type: gameplay, event_name: %s}\n        player: user_id\n        field: v\n        op: %s\n        order: %s\n        ties: %s\n        scale: %d\n",
			s.name, s.event, s.op, s.order, s.ties, s.scale)
		if s.bounded {
			fmt.Fprintf(&b, "        min: %s\n        max: %s\n", fixed(s.min, s.scale), fixed(s.max, s.scale))
		}
		if s.maxChange > 0 {
			fmt.Fprintf(&b, "        max_change: %s\n", fixed(s.maxChange, s.scale))
		}
		if s.op == "decr" {
			fmt.Fprintf(&b, "        floor: %s\n", fixed(s.floor, s.scale))
		}
		if s.meta {
			b.WriteString("        meta: [display_name]\n")
		}
	}
	b.WriteString("    stats:\n")
	for _, st := range stats(free) {
		fmt.Fprintf(&b, "      - match: {type: gameplay, event_name: score}\n        player: user_id\n        field: %s\n        stat: %s\n        op: %s\n", st.field, st.name, st.op)
		if st.op == "distinct" {
			fmt.Fprintf(&b, "        max_distinct: %d\n", maxTracks)
		} else {
			b.WriteString("        scale: 2\n        min: -1000\n        max: 1000\n")
		}
	}
	return b.String()
}

type statSpec struct{ name, field, op string }

const maxTracks = 3

func stats(free bool) []statSpec {
	if free {
		return []statSpec{{"total", "v", "add"}, {"hi", "v", "max"}, {"lo", "v", "min"}}
	}
	return []statSpec{{"total", "v", "add"}, {"hi", "v", "max"}, {"lo", "v", "min"}, {"last", "v", "last"}, {"tracks", "track", "distinct"}}
}
