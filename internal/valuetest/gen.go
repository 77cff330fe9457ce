package valuetest

import (
	"math/rand"
	"strconv"

	"github.com/varcade/statsctl/internal/event"
)

// Generate makes n events of the generated game from seed: scores on a
// coarse grid (so players tie often) at times that are often equal and
// not in file order, with malformed, out-of-range and missing values,
// jumps beyond max_change and sums beyond the exact range mixed in.
func Generate(seed int64, n int) ([]event.Event, []Ev) {
	r := rand.New(rand.NewSource(seed))
	users := []string{"ana", "bo", "cy", "dee", "ed", "fay"}
	bad := []string{"abc", "1.234", "2000", "-1000.01", "1e3", "+5", " 5", "0x10", "1.", ".5", "--1", "1000.001"}
	good := []string{"0", "-0", "00.50", "1000", "-1000", "1000.00", "0.10"}
	base := int64(1764633600000)
	evs := make([]event.Event, 0, n)
	mod := make([]Ev, 0, n)
	for i := 0; i < n; i++ {
		line := i + 1
		e := Ev{User: users[r.Intn(len(users))], Line: line, Ms: base + int64(r.Intn(n/4+1))*1000}
		f := map[string]string{"product_id": Product, "type": "gameplay", "time": strconv.FormatInt(e.Ms, 10)}
		switch k := r.Intn(100); {
		case k < 80:
			e.Name = "score"
			e.V = strconv.FormatFloat(float64(r.Intn(41)-20)/4, 'f', -1, 64)
			if r.Intn(15) == 0 {
				e.V = bad[r.Intn(len(bad))]
			} else if r.Intn(15) == 0 {
				e.V = good[r.Intn(len(good))]
			}
			e.Track = "t" + strconv.Itoa(r.Intn(4))
			e.HasTrack = r.Intn(30) != 0
			if e.HasTrack {
				f["track"] = e.Track
			}
			if r.Intn(3) == 0 {
				e.Display = "name-" + strconv.Itoa(r.Intn(100))
				f["display_name"] = e.Display
			}
		case k < 92:
			e.Name = "jump"
			e.V = strconv.Itoa(r.Intn(9)) + "." + strconv.Itoa(r.Intn(10))
		default:
			e.Name = "big"
			e.V = []string{"4503599627370496", "-4503599627370496", "9007199254740991", "9007199254740992", "1", "-1", "4503599627370495"}[r.Intn(7)]
		}
		f["event_name"] = e.Name
		e.HasV = r.Intn(40) != 0
		if e.HasV {
			f["v"] = e.V
		}
		if r.Intn(60) == 0 {
			e.User = ""
		} else {
			f["user_id"] = e.User
		}
		evs = append(evs, event.Event{ID: "g" + strconv.Itoa(line), Fields: f, Src: event.Source{File: "gen.jsonl", Line: line}})
		mod = append(mod, e)
	}
	return evs, mod
}
