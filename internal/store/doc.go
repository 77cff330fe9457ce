// Package store keeps boards and stats in Redis. Everything one product owns
// lives under one hash tag, so a product's keys share a cluster slot and one
// Lua script can change them atomically.
//
// It is the only package that speaks go-redis about statsctl's data: the
// engine, the server and the commands ask it questions (Top, TopTen,
// BoardSizes, PlayerStats...) and get statsctl's own types back (Entry,
// Page, Standing), never key names or go-redis replies, so the key layout
// can change in one place. Client and Keys remain for tests that inspect
// Redis.
//
// Files by concern: store.go (New, Options, the Store), keys.go (the key
// layout), apply.go beside apply.lua (the write path), read.go beside
// read.lua (the read path), state.go (rating states and stats with ratings),
// scratch.go beside swap.lua (rebuild's scratch copies and the swap).
package store
