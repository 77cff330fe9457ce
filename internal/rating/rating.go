// Package rating holds the rating systems statsctl offers as scorers, as pure
// functions of numbers: no events, no I/O. Keeping the mathematics apart
// from the plumbing lets each formula be checked against its published
// definition alone.
package rating

import "math"

// DefaultElo is the rating every player starts from (FIDE's and most
// online games' convention).
const DefaultElo = 1500

// Expected is the Elo expected score of a player rated ra against one rated
// rb: 1 / (1 + 10^((rb-ra)/400)).
func Expected(ra, rb float64) float64 {
	return 1 / (1 + math.Pow(10, (rb-ra)/400))
}

// EloDelta is the change of a player's rating after one game: K times the
// difference between the actual score (1 win, 0.5 draw, 0 loss) and the
// expected one.
func EloDelta(ra, rb, score, k float64) float64 {
	return k * (score - Expected(ra, rb))
}

// FIDE K-factor thresholds, per the FIDE rating regulations this mimics.
const (
	FIDENewGames   = 30   // games played below which a player is new
	FIDEHighRating = 2400 // rating from which K drops to 10
)

// FIDEK is the development coefficient a player gets by the games played
// before this one and the current rating: 40 for the first 30 games, then
// 20, and 10 from a rating of 2400 on. (FIDE keeps 10 once 2400 was ever
// reached; statsctl uses the current rating, which needs no extra state.)
func FIDEK(gamesPlayed int64, rating float64) float64 {
	switch {
	case gamesPlayed < FIDENewGames:
		return 40
	case rating >= FIDEHighRating:
		return 10
	default:
		return 20
	}
}
