package handler

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"testing"

	"github.com/varcade/statsctl/internal/event"
)

// hiddenSkillEvents generates results between players whose hidden skill
// decides the outcome: teams of 1-4 (every team of a match the same size),
// free-for-alls of 2-16, 1v1 game_overs, and draws (two teams whose
// performances are within drawMargin; a 1v1 draw is a game_over with
// result=draw). A team performs as the sum of its players' skills plus
// Gaussian noise per player. It returns the events and the hidden skills.
func hiddenSkillEvents(seed uint64, players, matches int, noise float64) ([]event.Event, map[string]float64) {
	rnd := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	skill := map[string]float64{}
	ids := make([]string, players)
	for i := range ids {
		ids[i] = fmt.Sprintf("p%03d", i)
		skill[ids[i]] = rnd.NormFloat64()
	}
	const drawMargin = 0.25
	evs := make([]event.Event, 0, matches)
	for m := 0; m < matches; m++ {
		var nTeams, size int
		switch k := rnd.IntN(3); k {
		case 0: // free-for-all of 2-16
			nTeams, size = 2+rnd.IntN(15), 1
		case 1: // teams of 1-4
			nTeams, size = 2+rnd.IntN(3), 1+rnd.IntN(4)
		default: // 1v1
			nTeams, size = 2, 1
		}
		perm := rnd.Perm(players)[:nTeams*size]
		teams := make([][]string, nTeams)
		perf := make([]float64, nTeams)
		for t := range teams {
			for _, i := range perm[t*size : (t+1)*size] {
				teams[t] = append(teams[t], ids[i])
				perf[t] += skill[ids[i]] + noise*rnd.NormFloat64()
			}
		}
		id := fmt.Sprintf("%d-0", 1700000000000+int64(m)*1000)
		if nTeams == 2 && size == 1 && rnd.IntN(2) == 0 {
			w, l := teams[0][0], teams[1][0]
			if perf[1] > perf[0] {
				w, l = l, w
			}
			f := map[string]string{"product_id": "g", "type": "game_over", "winner_id": w, "loser_id": l}
			if math.Abs(perf[0]-perf[1]) < drawMargin {
				f["result"] = "draw"
			}
			evs = append(evs, event.Event{ID: id, Fields: f})
			continue
		}
		scores := make([]float64, nTeams)
		for t := range perf {
			scores[t] = math.Round(perf[t] / drawMargin) // equal rounded scores tie
		}
		tj, _ := json.Marshal(teams)
		sj, _ := json.Marshal(scores)
		evs = append(evs, event.Event{ID: id, Fields: map[string]string{"product_id": "g", "type": "match_over", "teams": string(tj), "scores": string(sj)}})
	}
	return evs, skill
}

// boardOf runs one scorer over the events in order, in memory, and returns
// its board (player -> score) the way the store would hold it.
func boardOf(t testing.TB, h Handler, evs []event.Event) map[string]float64 {
	states := stateMap{}
	board := map[string]float64{}
	for _, ev := range evs {
		ch, err := h.Handle(ev, states)
		if err != nil {
			t.Fatalf("%v: %v", ev.Fields, err)
		}
		for _, c := range ch {
			switch c.Op {
			case StateSet:
				states[c.Board+"/"+c.User] = c.Str
			case ScoreSet:
				board[c.User] = c.Num
			case ScoreAdd:
				board[c.User] += c.Num
			case ScoreEnsure:
				if _, ok := board[c.User]; !ok {
					board[c.User] = c.Num
				}
			}
		}
	}
	return board
}

// avgRanks ranks values descending, ties sharing their average rank.
func avgRanks(v []float64) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return v[idx[a]] > v[idx[b]] })
	r := make([]float64, len(v))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && v[idx[j+1]] == v[idx[i]] {
			j++
		}
		for k := i; k <= j; k++ {
			r[idx[k]] = float64(i+j)/2 + 1
		}
		i = j + 1
	}
	return r
}

// spearman is the rank correlation of a board with the hidden skills, over
// every player (one absent from the board counts as its lowest score).
func spearman(board, skill map[string]float64) float64 {
	low := math.Inf(1)
	for _, s := range board {
		low = math.Min(low, s)
	}
	var a, b []float64
	for u, s := range skill {
		v, ok := board[u]
		if !ok {
			v = low
		}
		a, b = append(a, v), append(b, s)
	}
	ra, rb := avgRanks(a), avgRanks(b)
	var ma, mb float64
	for i := range ra {
		ma += ra[i]
		mb += rb[i]
	}
	ma /= float64(len(ra))
	mb /= float64(len(rb))
	var num, da, db float64
	for i := range ra {
		num += (ra[i] - ma) * (rb[i] - mb)
		da += (ra[i] - ma) * (ra[i] - ma)
		db += (rb[i] - mb) * (rb[i] - mb)
	}
	return num / math.Sqrt(da*db)
}

// TestOpenSkillRanksHiddenSkillBest is issue 13's done-when: over generated
// results decided by hidden skill, the openskill board's order is at least
// as close to the hidden skill (Spearman) as elo's, and both are closer
// than wins'. 16 seeds of 80 players and 600 results (about 45 results per
// player); performance noise is half the skill spread, the ratio
// OpenSkill's defaults assume (beta = sigma/2). Wins must lose on every
// seed; openskill against elo is close per seed (0.979 vs 0.976 on
// average), so that comparison is on the mean of the 16 seeds.
//
// SKILLTEST="results noise" reruns it at other settings, for exploring: at
// 150 results (about 11 per player) elo is ahead, because the board ranks
// by mu - 3 sigma and so holds back players it is still unsure of
// (docs/ratings.md).
func TestOpenSkillRanksHiddenSkillBest(t *testing.T) {
	players, matches, noise := 80, 600, 0.5
	explore := os.Getenv("SKILLTEST") != ""
	if explore {
		fmt.Sscan(os.Getenv("SKILLTEST"), &matches, &noise)
	}
	var sumOS, sumElo, sumWins float64
	ahead := 0
	const seeds = 16
	for seed := uint64(1); seed <= seeds; seed++ {
		evs, skill := hiddenSkillEvents(seed, players, matches, noise)
		osk := spearman(boardOf(t, NewOpenSkill("os"), evs), skill)
		elo := spearman(boardOf(t, Elo{Board: "elo", K: 32}, evs), skill)
		wins := spearman(boardOf(t, Wins{Board: "wins"}, evs), skill)
		t.Logf("seed %2d: Spearman vs hidden skill: openskill %.4f, elo %.4f, wins %.4f", seed, osk, elo, wins)
		sumOS, sumElo, sumWins = sumOS+osk, sumElo+elo, sumWins+wins
		if osk >= elo {
			ahead++
		}
		if !explore && (elo <= wins || osk <= wins) {
			t.Errorf("seed %d: wins (%.4f) ranks as well as openskill (%.4f) or elo (%.4f)", seed, wins, osk, elo)
		}
	}
	mOS, mElo, mWins := sumOS/seeds, sumElo/seeds, sumWins/seeds
	t.Logf("mean over %d seeds (%d players, %d results, noise %.2f): openskill %.4f, elo %.4f, wins %.4f; openskill >= elo on %d seeds",
		seeds, players, matches, noise, mOS, mElo, mWins, ahead)
	if !explore && (mOS < mElo || mElo <= mWins) {
		t.Errorf("want mean openskill (%.4f) >= elo (%.4f) > wins (%.4f)", mOS, mElo, mWins)
	}
}
