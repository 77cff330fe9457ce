package rating

import "math"

// Glicko-2 defaults from Glickman's "Example of the Glicko-2 system".
const (
	DefaultGlickoRating = 1500
	DefaultGlickoRD     = 350
	DefaultVolatility   = 0.06
	DefaultTau          = 0.5
	// glickoScale converts between the Glicko and Glicko-2 scales.
	glickoScale = 173.7178
	// convergence is the tolerance of the volatility iteration (step 5.1).
	convergence = 0.000001
)

// Glicko is one player's Glicko-2 state on the familiar Glicko scale.
type Glicko struct {
	Rating     float64 // r, 1500 for a new player
	RD         float64 // rating deviation, 350 for a new player
	Volatility float64 // sigma, 0.06 for a new player
}

// Conservative is the rating a player is at least, with ~95% confidence:
// rating minus two deviations. Ranking by it keeps players with few games
// (high RD) from topping a board by luck.
func (g Glicko) Conservative() float64 { return g.Rating - 2*g.RD }

// GlickoResult is one game of a rating period: the opponent as they were
// at the start of the period, and the score (1 win, 0.5 draw, 0 loss).
type GlickoResult struct {
	Opponent Glicko
	Score    float64
}

func g(phi float64) float64 { return 1 / math.Sqrt(1+3*phi*phi/(math.Pi*math.Pi)) }

func e(mu, muj, phij float64) float64 { return 1 / (1 + math.Exp(-g(phij)*(mu-muj))) }

// Glicko2 rates a player over one rating period with system constant tau,
// following the steps of Glickman's paper. With no games, only the
// deviation grows (step 6 alone), as the paper prescribes.
func Glicko2(p Glicko, games []GlickoResult, tau float64) Glicko {
	// Step 2: to the Glicko-2 scale.
	mu := (p.Rating - 1500) / glickoScale
	phi := p.RD / glickoScale
	sigma := p.Volatility
	if len(games) == 0 {
		return Glicko{Rating: p.Rating, RD: math.Sqrt(phi*phi+sigma*sigma) * glickoScale, Volatility: sigma}
	}
	// Steps 3 and 4: estimated variance v and improvement delta.
	var vinv, sum float64
	for _, gm := range games {
		muj := (gm.Opponent.Rating - 1500) / glickoScale
		phij := gm.Opponent.RD / glickoScale
		gj, ej := g(phij), e(mu, muj, phij)
		vinv += gj * gj * ej * (1 - ej)
		sum += gj * (gm.Score - ej)
	}
	v := 1 / vinv
	delta := v * sum
	// Step 5: new volatility by the Illinois algorithm.
	a := math.Log(sigma * sigma)
	f := func(x float64) float64 {
		ex := math.Exp(x)
		d := phi*phi + v + ex
		return ex*(delta*delta-phi*phi-v-ex)/(2*d*d) - (x-a)/(tau*tau)
	}
	A := a
	var B float64
	if delta*delta > phi*phi+v {
		B = math.Log(delta*delta - phi*phi - v)
	} else {
		k := 1.0
		for f(a-k*tau) < 0 {
			k++
		}
		B = a - k*tau
	}
	fA, fB := f(A), f(B)
	for math.Abs(B-A) > convergence {
		C := A + (A-B)*fA/(fB-fA)
		fC := f(C)
		if fC*fB <= 0 {
			A, fA = B, fB
		} else {
			fA /= 2
		}
		B, fB = C, fC
	}
	sigma2 := math.Exp(A / 2)
	// Steps 6 and 7: new deviation and rating.
	phiStar := math.Sqrt(phi*phi + sigma2*sigma2)
	phi2 := 1 / math.Sqrt(1/(phiStar*phiStar)+1/v)
	mu2 := mu + phi2*phi2*sum
	// Step 8: back to the Glicko scale.
	return Glicko{Rating: mu2*glickoScale + 1500, RD: phi2 * glickoScale, Volatility: sigma2}
}

// Inflate grows a player's deviation for a stretch without games, given in
// rating periods (fractions allowed): phi' = sqrt(phi^2 + periods*sigma^2),
// the paper's step 6 for unplayed periods, continued in time. It never
// exceeds maxRD (a player long gone is as uncertain as a new one).
func Inflate(p Glicko, periods, maxRD float64) Glicko {
	if periods <= 0 {
		return p
	}
	phi := p.RD / glickoScale
	rd := math.Sqrt(phi*phi+periods*p.Volatility*p.Volatility) * glickoScale
	if maxRD > 0 && rd > maxRD {
		rd = math.Max(maxRD, p.RD)
	}
	p.RD = rd
	return p
}
