package handler

import (
	"math"

	"github.com/varcade/statsctl/internal/rating"
)

// Prediction is what a matchmaker asks of a rating board before a match:
// each team's chance to finish first, the chance of a draw where the model
// has one, and how even the match is (Quality, 0 to 1, higher is fairer).
type Prediction struct {
	Win     []float64
	Draw    float64
	HasDraw bool
	Quality float64
	// Ratings is each team's strength as the model sees it (OpenSkill: the
	// sum of mu; Elo, Glicko-2: the mean rating), for display.
	Ratings []float64
}

// Predictor is implemented by rating scorers, to predict a match between
// teams from the players' current states (cur must be a StateReader; a
// player without state is new).
type Predictor interface {
	Predict(teams [][]string, cur Values) (Prediction, error)
}

// Predict gives OpenSkill's win and draw probabilities and match quality.
func (s OpenSkill) Predict(teams [][]string, cur Values) (Prediction, error) {
	sk := make([][]rating.Skill, len(teams))
	ratings := make([]float64, len(teams))
	for i, t := range teams {
		sk[i] = make([]rating.Skill, len(t))
		for j, u := range t {
			p, _, err := s.skill(cur, u)
			if err != nil {
				return Prediction{}, err
			}
			sk[i][j] = p
			ratings[i] += p.Mu
		}
	}
	return Prediction{Win: s.Model.PredictWin(sk), Draw: s.Model.PredictDraw(sk), HasDraw: true, Quality: s.Model.Quality(sk), Ratings: ratings}, nil
}

// pairwisePrediction turns a pairwise expected score e(i, j) into the
// prediction of the decomposition the scorer rates by (teams.go): a team's
// win chance is its expected pairwise score averaged over the n(n-1)/2
// pairs, so the chances sum to 1; quality is the mean over pairs of
// 1 - |2e - 1| (1 for a coin flip, 0 for a certain result).
func pairwisePrediction(n int, e func(i, j int) float64) Prediction {
	p := Prediction{Win: make([]float64, n)}
	if n < 2 {
		return p
	}
	var q float64
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			x := e(i, j)
			p.Win[i] += x
			p.Win[j] += 1 - x
			q += 1 - math.Abs(2*x-1)
		}
	}
	pairs := float64(n*(n-1)) / 2
	for i := range p.Win {
		p.Win[i] /= pairs
	}
	p.Quality = q / pairs
	return p
}

// Predict gives Elo's expected scores of the team means. Elo has no draw
// model, so the prediction has no draw probability.
func (s Elo) Predict(teams [][]string, cur Values) (Prediction, error) {
	means := make([]float64, len(teams))
	for i, t := range teams {
		for _, u := range t {
			st, ok, err := readState(cur, s.Board, u)
			if err != nil {
				return Prediction{}, err
			}
			if !ok {
				st.Rating = s.initial()
			}
			means[i] += st.Rating / float64(len(t))
		}
	}
	p := pairwisePrediction(len(teams), func(i, j int) float64 { return rating.Expected(means[i], means[j]) })
	p.Ratings = means
	return p, nil
}

// Predict gives Glicko-2's expected scores of the teams as one player each
// (mean rating, RMS deviation, as stored: a prediction has no event time
// to widen deviations by), both deviations in the expectation:
// E = 1/(1+exp(-g(sqrt(phi_i^2+phi_j^2)) (mu_i-mu_j))).
func (s Glicko2) Predict(teams [][]string, cur Values) (Prediction, error) {
	mu := make([]float64, len(teams))
	phi2 := make([]float64, len(teams))
	ratings := make([]float64, len(teams))
	for i, t := range teams {
		for _, u := range t {
			p, _, err := s.player(cur, u, 0, false)
			if err != nil {
				return Prediction{}, err
			}
			ratings[i] += p.Rating / float64(len(t))
			phi2[i] += (p.RD / rating.GlickoScale) * (p.RD / rating.GlickoScale) / float64(len(t))
		}
		mu[i] = (ratings[i] - rating.DefaultGlickoRating) / rating.GlickoScale
	}
	p := pairwisePrediction(len(teams), func(i, j int) float64 {
		phi := math.Sqrt(phi2[i] + phi2[j])
		g := 1 / math.Sqrt(1+3*phi*phi/(math.Pi*math.Pi))
		return 1 / (1 + math.Exp(-g*(mu[i]-mu[j])))
	})
	p.Ratings = ratings
	return p, nil
}

var (
	_ Predictor = OpenSkill{}
	_ Predictor = Elo{}
	_ Predictor = Glicko2{}
)
