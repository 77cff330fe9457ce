package store

// Keys of value boards (issue 11). Each is the board's key plus a suffix
// after ':', which no board or instance name holds, so it can never be
// another board's key; all share the product's hash tag.
//
//	<ns>:{<product>}:lb:<board>:tf   sorted set, member tie prefix + user id, score (ties: first)
//	<ns>:{<product>}:lb:<board>:tu   hash, user id -> that user's member of :tf
//	<ns>:{<product>}:lb:<board>:md   hash, user id -> entry metadata (JSON)
//	<ns>:{<product>}:dv:<user>:<stat> set of a distinct-count stat's values

// TieSet is the sorted set that orders a ties: first board's equal scores
// by who reached them first.
func (k Keys) TieSet(product, board string) string {
	return k.tag(product) + "lb:" + board + ":tf" + k.Scratch
}

// TieOf is the hash from user to their current member of TieSet.
func (k Keys) TieOf(product, board string) string {
	return k.tag(product) + "lb:" + board + ":tu" + k.Scratch
}

// Meta is the hash of each entry's metadata on one board.
func (k Keys) Meta(product, board string) string {
	return k.tag(product) + "lb:" + board + ":md" + k.Scratch
}

// Distinct is the set behind one player's distinct-count stat. Like stats
// it is never a scratch key.
func (k Keys) Distinct(product, user, stat string) string {
	return k.tag(product) + "dv:" + user + ":" + stat
}
