// Package gen makes realistic, reproducible game event streams: the sample
// files in testdata, the large replays of the benchmarks and the inputs of
// the property tests all come from here, so they share one notion of "a
// typical exrps game".
package gen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
)

// Options shapes a generated stream. The zero value plus Games is a clean
// exrps stream.
type Options struct {
	Games   int    // number of games
	Players int    // distinct players (default 50)
	Seed    uint64 // same seed, same stream
	// Products lists the games played, chosen at random per game (default
	// exrps only). Products other than exrps get a plain game: state
	// changes and a game_over.
	Products []string
	// IDs gives every event an "id" so replays are idempotent.
	IDs bool
	// BadEvery, when > 0, mixes in a broken line about once every BadEvery
	// events: undecodable JSON, missing fields, unknown weapon codes, a
	// player beating themself.
	BadEvery int
}

// Fields is one event as ordered key/value pairs, as XADD takes them.
type Fields []string

// Each calls fn for every event in order. bad is true for lines that are
// meant to be rejected; raw is set instead of fields for lines that are not
// even JSON.
func Each(o Options, fn func(fields Fields, raw string, bad bool) error) error {
	if o.Players <= 1 {
		o.Players = 50
	}
	if len(o.Products) == 0 {
		o.Products = []string{"exrps"}
	}
	r := rand.New(rand.NewPCG(o.Seed, o.Seed^0x5eed))
	seq := 0
	emit := func(f Fields, bad bool) error {
		seq++
		if o.IDs {
			f = append(Fields{"id", "e" + strconv.Itoa(seq)}, f...)
		}
		return fn(f, "", bad)
	}
	for g := 0; g < o.Games; g++ {
		product := o.Products[r.IntN(len(o.Products))]
		game := fmt.Sprintf("g%d", g+1)
		p1 := "u" + strconv.Itoa(1+r.IntN(o.Players))
		p2 := p1
		for p2 == p1 {
			p2 = "u" + strconv.Itoa(1+r.IntN(o.Players))
		}
		base := func(typ string, kv ...string) Fields {
			return append(Fields{"product_id", product, "game_id", game, "type", typ}, kv...)
		}
		var evs []Fields
		evs = append(evs, base("state_change", "new_state", "fighter_select"))
		if product == "exrps" {
			for _, p := range []string{p1, p2} {
				evs = append(evs, base("gameplay", "event_name", "select_fighter", "event_data", strconv.Itoa(r.IntN(6)), "user_id", p))
			}
			evs = append(evs, base("state_change", "new_state", "in_progress"))
			w1, w2 := 0, 0
			for round := 1; w1 < 2 && w2 < 2; round++ {
				evs = append(evs, base("state_change", "new_state", "round_"+strconv.Itoa(round)))
				for _, p := range []string{p1, p2} {
					code := strconv.Itoa(r.IntN(3))
					if r.IntN(12) == 0 {
						code = "null"
					}
					evs = append(evs, base("gameplay", "event_name", "select_weapon", "event_data", code, "user_id", p))
				}
				rw, rl := p1, p2
				if r.IntN(2) == 0 {
					rw, rl = p2, p1
					w2++
				} else {
					w1++
				}
				evs = append(evs, base("gameplay", "event_name", "progression", "event_data", strconv.Itoa(round), "user_id", rw,
					"progress_event", "round_over", "p1_id", p1, "p2_id", p2, "round_winner_id", rw, "round_loser_id", rl))
			}
			winner, loser := p1, p2
			if w2 > w1 {
				winner, loser = p2, p1
			}
			evs = append(evs, base("state_change", "new_state", "game_over"))
			evs = append(evs, base("game_over", "winner_id", winner, "loser_id", loser))
		} else {
			evs = append(evs, base("state_change", "new_state", "in_progress"))
			winner, loser := p1, p2
			if r.IntN(2) == 0 {
				winner, loser = p2, p1
			}
			evs = append(evs, base("game_over", "winner_id", winner, "loser_id", loser))
		}
		evs = append(evs, base("game_removed"))
		for _, e := range evs {
			if o.BadEvery > 0 && r.IntN(o.BadEvery) == 0 {
				if err := emitBad(r, product, game, p1, emit, fn); err != nil {
					return err
				}
			}
			if err := emit(e, false); err != nil {
				return err
			}
		}
	}
	return nil
}

func emitBad(r *rand.Rand, product, game, p1 string, emit func(Fields, bool) error, fn func(Fields, string, bool) error) error {
	switch r.IntN(6) {
	case 0:
		return fn(nil, `{"product_id":"`+product+`","type":"game_over","winner_id":`, true)
	case 1:
		return fn(nil, `not json at all`, true)
	case 2:
		return emit(Fields{"product_id", product, "game_id", game, "type", "game_over", "winner_id", p1}, true)
	case 3:
		return emit(Fields{"product_id", product, "game_id", game, "type", "game_over", "winner_id", p1, "loser_id", p1}, true)
	case 4:
		return emit(Fields{"product_id", "exrps", "game_id", game, "type", "gameplay", "event_name", "select_weapon", "event_data", "7", "user_id", p1}, true)
	default:
		return emit(Fields{"game_id", game, "type", "game_over", "winner_id", p1, "loser_id", "x"}, true)
	}
}

// WriteJSONL writes the stream as JSONL and returns how many lines it wrote
// and how many of them are bad.
func WriteJSONL(w io.Writer, o Options) (lines, bad int, err error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	err = Each(o, func(f Fields, raw string, isBad bool) error {
		lines++
		if isBad {
			bad++
		}
		if raw != "" {
			_, err := bw.WriteString(raw + "\n")
			return err
		}
		return writeObject(bw, f)
	})
	if err != nil {
		return lines, bad, err
	}
	return lines, bad, bw.Flush()
}

// writeObject writes ordered fields as one JSON object line. exrps's botch
// ("null") is written as JSON null, as a JSON producer would.
func writeObject(w *bufio.Writer, f Fields) error {
	w.WriteByte('{')
	for i := 0; i+1 < len(f); i += 2 {
		if i > 0 {
			w.WriteByte(',')
		}
		k, _ := json.Marshal(f[i])
		w.Write(k)
		w.WriteByte(':')
		if f[i] == "event_data" && f[i+1] == "null" {
			w.WriteString("null")
			continue
		}
		v, _ := json.Marshal(f[i+1])
		w.Write(v)
	}
	w.WriteByte('}')
	_, err := w.WriteString("\n")
	return err
}

// GamesFor is how many games o needs for about events events: games of
// different products differ in length (an exrps game is about 17 events),
// so benchmarks that promise "1,000,000 events" size the run from a sample
// of 2,000 games generated with the same options.
func GamesFor(o Options, events int) (int, error) {
	o.Games = 2000
	n := 0
	if err := Each(o, func(Fields, string, bool) error { n++; return nil }); err != nil {
		return 0, fmt.Errorf("size a run of %d events: %w", events, err)
	}
	return int(int64(events)*int64(o.Games)/int64(n)) + 1, nil
}
