package rating

import (
	"math"
	"sort"
)

// OpenSkillModel picks the Weng-Lin update rule. Plackett-Luce (the
// default) models a finishing order as successive choices, so it costs
// O(teams^2) and rates any number of teams in one step; Bradley-Terry full
// compares every pair of teams, which some communities prefer for small
// team counts.
type OpenSkillModel uint8

const (
	// PlackettLuce is Algorithm 4 of Weng and Lin (2011), the model
	// openskill.js and openskill.py use by default.
	PlackettLuce OpenSkillModel = iota
	// BradleyTerryFull is Algorithm 1 of Weng and Lin (2011), every pair of
	// teams compared.
	BradleyTerryFull
)

// OpenSkill defaults: the reference implementations' (mu 25, sigma 25/3,
// beta sigma/2, tau mu/300, kappa 0.0001), so ratings carry over.
const (
	DefaultOSMu    = 25.0
	DefaultOSSigma = 25.0 / 3
	DefaultOSBeta  = DefaultOSSigma / 2
	DefaultOSTau   = DefaultOSMu / 300
	DefaultOSKappa = 0.0001
	DefaultOSZ     = 3.0
)

// Skill is one player's Weng-Lin belief: mean mu and deviation sigma.
type Skill struct {
	Mu, Sigma float64
}

// Ordinal is the skill a player has with high confidence, mu - z*sigma: it
// is what an OpenSkill board ranks by, so a newcomer starts near 0 and
// climbs as the system grows sure of them.
func (s Skill) Ordinal(z float64) float64 { return s.Mu - z*s.Sigma }

// OpenSkill holds the parameters of one Weng-Lin rating system. Beta is the
// performance noise of one player, Tau the dynamics added to every sigma
// before each match (so sigma never freezes), Kappa the floor that keeps
// a variance update positive. LimitSigma keeps sigma from growing in a
// match (the reference's limit_sigma).
type OpenSkill struct {
	Model      OpenSkillModel
	Mu, Sigma  float64
	Beta       float64
	Tau        float64
	Kappa      float64
	LimitSigma bool
}

// DefaultOpenSkill is the reference implementations' default model.
func DefaultOpenSkill() OpenSkill {
	return OpenSkill{Model: PlackettLuce, Mu: DefaultOSMu, Sigma: DefaultOSSigma, Beta: DefaultOSBeta, Tau: DefaultOSTau, Kappa: DefaultOSKappa}
}

// New is the skill of a player who has not played yet.
func (o OpenSkill) New() Skill { return Skill{Mu: o.Mu, Sigma: o.Sigma} }

type osTeam struct {
	mu, s2 float64 // sums of the members' mu and sigma^2
	rank   int     // 0-based competition position in the sorted order
	orig   int     // index in the caller's order
}

// Rate returns every player's skill after one match. teams[i] lists the
// skills of team i's players; ranks[i] is team i's placement, lower is
// better and equal values tie (nil: the teams finished in the order
// given). The result has the shape of teams. Fewer than two teams change
// nothing.
func (o OpenSkill) Rate(teams [][]Skill, ranks []float64) [][]Skill {
	out := make([][]Skill, len(teams))
	for i, t := range teams {
		out[i] = make([]Skill, len(t))
		for j, p := range t {
			out[i][j] = Skill{Mu: p.Mu, Sigma: math.Sqrt(p.Sigma*p.Sigma + o.Tau*o.Tau)}
		}
	}
	if len(teams) < 2 {
		for i := range teams {
			copy(out[i], teams[i])
		}
		return out
	}
	order := make([]int, len(teams))
	for i := range order {
		order[i] = i
	}
	if ranks != nil {
		sort.SliceStable(order, func(a, b int) bool { return ranks[order[a]] < ranks[order[b]] })
	}
	ts := make([]osTeam, len(teams))
	for k, i := range order {
		t := osTeam{orig: i, rank: k}
		if k > 0 && (ranks == nil || ranks[i] != ranks[order[k-1]]) {
			t.rank = k
		} else if k > 0 {
			t.rank = ts[k-1].rank
		}
		for _, p := range out[i] {
			t.mu += p.Mu
			t.s2 += p.Sigma * p.Sigma
		}
		ts[k] = t
	}
	omega, delta := make([]float64, len(ts)), make([]float64, len(ts))
	switch o.Model {
	case BradleyTerryFull:
		o.bradleyTerry(ts, omega, delta)
	default:
		o.plackettLuce(ts, omega, delta)
	}
	for k, t := range ts {
		for j, p := range out[t.orig] {
			r := p.Sigma * p.Sigma / t.s2
			p.Mu += r * omega[k]
			p.Sigma *= math.Sqrt(math.Max(1-r*delta[k], o.Kappa))
			if o.LimitSigma && p.Sigma > teams[t.orig][j].Sigma {
				p.Sigma = teams[t.orig][j].Sigma
			}
			out[t.orig][j] = p
		}
	}
	return out
}

// plackettLuce fills each team's mean and variance steps (omega, delta)
// by Algorithm 4 of Weng and Lin, ties shared as the reference does (A_q
// counts the teams tied at q's place).
func (o OpenSkill) plackettLuce(ts []osTeam, omega, delta []float64) {
	var c2 float64
	for _, t := range ts {
		c2 += t.s2 + o.Beta*o.Beta
	}
	c := math.Sqrt(c2)
	// exp(mu/c) scaled by the largest, so big ratings cannot overflow; the
	// ratios below are unchanged.
	top := math.Inf(-1)
	for _, t := range ts {
		top = math.Max(top, t.mu/c)
	}
	ex := make([]float64, len(ts))
	for i, t := range ts {
		ex[i] = math.Exp(t.mu/c - top)
	}
	sumQ, a := make([]float64, len(ts)), make([]float64, len(ts))
	for q, tq := range ts {
		for i, ti := range ts {
			if ti.rank >= tq.rank {
				sumQ[q] += ex[i]
			}
			if ti.rank == tq.rank {
				a[q]++
			}
		}
	}
	for i, ti := range ts {
		var om, de float64
		for q, tq := range ts {
			if tq.rank > ti.rank {
				continue
			}
			p := 1.0 // ex[i] underflowed with all of C_q: i is certain there
			if sumQ[q] > 0 {
				p = ex[i] / sumQ[q]
			}
			de += p * (1 - p) / a[q]
			if q == i {
				om += (1 - p) / a[q]
			} else {
				om -= p / a[q]
			}
		}
		gamma := math.Sqrt(ti.s2) / c
		omega[i] = om * ti.s2 / c
		delta[i] = gamma * de * ti.s2 / c2
	}
}

// bradleyTerry fills omega and delta by Algorithm 1 of Weng and Lin: every
// pair of teams is one comparison, a tie scoring 1/2.
func (o OpenSkill) bradleyTerry(ts []osTeam, omega, delta []float64) {
	for i, ti := range ts {
		var om, de float64
		for q, tq := range ts {
			if q == i {
				continue
			}
			ciq := math.Sqrt(ti.s2 + tq.s2 + 2*o.Beta*o.Beta)
			p := 1 / (1 + math.Exp((tq.mu-ti.mu)/ciq))
			s := 0.0
			switch {
			case tq.rank > ti.rank:
				s = 1
			case tq.rank == ti.rank:
				s = 0.5
			}
			om += ti.s2 / ciq * (s - p)
			gamma := math.Sqrt(ti.s2) / ciq
			de += gamma * ti.s2 / (ciq * ciq) * p * (1 - p)
		}
		omega[i], delta[i] = om, de
	}
}

// Phi is the standard normal distribution function.
func Phi(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// PhiInv is the standard normal quantile function.
func PhiInv(p float64) float64 { return math.Sqrt2 * math.Erfinv(2*p-1) }

func teamSums(t []Skill) (mu, s2 float64) {
	for _, p := range t {
		mu += p.Mu
		s2 += p.Sigma * p.Sigma
	}
	return mu, s2
}

// PredictWin is each team's chance to finish first, as openskill.js
// computes it: the average over the other teams of Phi(mean difference /
// sqrt(teams*beta^2 + both variances)), which sums to 1. (openskill.py
// uses the player count instead of the team count for two teams; the two
// agree on every FFA.)
func (o OpenSkill) PredictWin(teams [][]Skill) []float64 {
	n := len(teams)
	out := make([]float64, n)
	if n < 2 {
		for i := range out {
			out[i] = 1
		}
		return out
	}
	b2 := o.Beta * o.Beta
	denom := float64(n*(n-1)) / 2
	for i := range teams {
		ma, sa := teamSums(teams[i])
		for j := range teams {
			if i == j {
				continue
			}
			mb, sb := teamSums(teams[j])
			out[i] += Phi((ma - mb) / math.Sqrt(float64(n)*b2+sa+sb))
		}
		out[i] /= denom
	}
	return out
}

// PredictDraw is the chance that the match ends in a draw, by
// openskill.py's draw margin (the margin that makes a draw among equal
// players 1/players likely), averaged over ordered pairs of teams.
// openskill.py does not divide by the 2 ordered pairs of a two-team match
// (so identical teams get 1 there); statsctl divides for every n, so the
// result is a probability and two-team figures are openskill.py's halved.
func (o OpenSkill) PredictDraw(teams [][]Skill) float64 {
	n := len(teams)
	if n < 2 {
		return 0
	}
	players := 0
	for _, t := range teams {
		players += len(t)
	}
	np := float64(players)
	margin := math.Sqrt(np) * o.Beta * PhiInv((1+1/np)/2)
	b2 := o.Beta * o.Beta
	var sum float64
	for i := range teams {
		ma, sa := teamSums(teams[i])
		for j := range teams {
			if i == j {
				continue
			}
			mb, sb := teamSums(teams[j])
			d := math.Sqrt(float64(n)*b2 + sa + sb)
			sum += Phi((margin-ma+mb)/d) - Phi((ma-mb-margin)/d)
		}
	}
	return math.Abs(sum) / float64(n*(n-1))
}

// Quality is how even a match is, 0 to 1: TrueSkill's two-team match
// quality sqrt(c0/c) * exp(-(mu_a-mu_b)^2 / 2c), with c0 = players*beta^2
// and c = c0 + sigma_a^2 + sigma_b^2, averaged over every pair of teams. Two
// newcomers score 0.447 as in TrueSkill; a certain, even match nears 1.
func (o OpenSkill) Quality(teams [][]Skill) float64 {
	n := len(teams)
	if n < 2 {
		return 0
	}
	b2 := o.Beta * o.Beta
	var sum float64
	for i := 0; i < n; i++ {
		ma, sa := teamSums(teams[i])
		for j := i + 1; j < n; j++ {
			mb, sb := teamSums(teams[j])
			c0 := float64(len(teams[i])+len(teams[j])) * b2
			c := c0 + sa + sb
			d := ma - mb
			sum += math.Sqrt(c0/c) * math.Exp(-d*d/(2*c))
		}
	}
	return sum / float64(n*(n-1)/2)
}
