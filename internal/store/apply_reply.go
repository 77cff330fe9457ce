package store

import "fmt"

// decodeReply adds one product's apply.lua reply to res. The reply is
// {applied, nDup, dup ordinals..., (ordinal, keyIndex, message)...}, {-1}
// for a failed guard, or {-2, ordinal, keyIndex, message} for a rejected
// strict event (see apply.lua's header). Ordinals and key indexes are
// 1-based; pos maps ordinals to item positions.
func decodeReply(res *Result, product string, keys []string, pos []int, val any) error {
	bad := func() error {
		return fmt.Errorf("apply batch for %s: unexpected reply %v (is apply.lua out of date?)", product, val)
	}
	vals, ok := val.([]any)
	if !ok || len(vals) < 1 {
		return bad()
	}
	num := func(j int) (int, bool) {
		if j >= len(vals) {
			return 0, false
		}
		n, ok := vals[j].(int64)
		return int(n), ok
	}
	reject := func(j int) (Reject, bool) {
		o, ok1 := num(j)
		k, ok2 := num(j + 1)
		msg, ok3 := "", j+2 < len(vals)
		if ok3 {
			msg, ok3 = vals[j+2].(string)
		}
		if !ok1 || !ok2 || !ok3 || o < 1 || o > len(pos) || k < 1 || k > len(keys) {
			return Reject{}, false
		}
		return Reject{Pos: pos[o-1], Key: keys[k-1], Message: msg}, true
	}
	head, _ := num(0)
	switch {
	case head == -1:
		res.Conflicts = append(res.Conflicts, product)
		return nil
	case head == -2:
		r, ok := reject(1)
		if !ok {
			return bad()
		}
		res.Aborted[product] = r
		return nil
	case head < 0:
		return bad()
	}
	nd, ok := num(1)
	if !ok || 2+nd > len(vals) || (len(vals)-2-nd)%3 != 0 {
		return bad()
	}
	res.Applied += head
	for j := 2; j < 2+nd; j++ {
		d, ok := num(j)
		if !ok || d < 1 || d > len(pos) {
			return bad()
		}
		res.Duplicates[product] = append(res.Duplicates[product], pos[d-1])
	}
	for j := 2 + nd; j < len(vals); j += 3 {
		r, ok := reject(j)
		if !ok {
			return bad()
		}
		res.Rejected[product] = append(res.Rejected[product], r)
	}
	return nil
}
