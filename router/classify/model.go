package classify

import (
	"math"
	"math/rand/v2"
	"slices"
)

// linear is a linear model over hashed binary features: the score of class k for a
// message with features F is Bias[k] + scale(F) * sum over f in F of W[f][k] (plus
// Unseen[k] for each f the model never saw). Naive Bayes and logistic regression both
// take this form, so they share prediction, explanation and storage.
type linear struct {
	Classes []string
	// Index maps a feature to its row of W.
	Index map[uint64]int32
	// W holds len(Classes) weights per row.
	W    []float32
	Bias []float32
	// Unseen is what an unknown feature adds to each class (naive Bayes smoothing).
	Unseen []float32
	// Norm scales the sum by 1/sqrt(number of features) (logistic regression).
	Norm bool
}

// scores writes the score of every class into out (len(Classes)) and returns it.
func (m *linear) scores(feats []uint64, out []float64) []float64 {
	k := len(m.Classes)
	out = out[:k]
	for c := range out {
		out[c] = 0
	}
	for _, f := range feats {
		row, ok := m.Index[f]
		if !ok {
			if m.Unseen != nil {
				for c := range out {
					out[c] += float64(m.Unseen[c])
				}
			}
			continue
		}
		w := m.W[int(row)*k : int(row)*k+k]
		for c := range out {
			out[c] += float64(w[c])
		}
	}
	scale := 1.0
	if m.Norm && len(feats) > 0 {
		scale = 1 / math.Sqrt(float64(len(feats)))
	}
	for c := range out {
		out[c] = out[c]*scale + float64(m.Bias[c])
	}
	return out
}

// weight returns how much feature f pushes class c above the average of the classes,
// and whether the model knows f.
func (m *linear) weight(f uint64, c int) (float64, bool) {
	row, ok := m.Index[f]
	if !ok {
		return 0, false
	}
	k := len(m.Classes)
	w := m.W[int(row)*k : int(row)*k+k]
	var mean float64
	for _, v := range w {
		mean += float64(v)
	}
	mean /= float64(k)
	return float64(w[c]) - mean, true
}

// best returns the index of the highest score and a confidence: the softmax
// probability of that class, with scores divided by temperature.
func best(scores []float64, temperature float64) (int, float64) {
	top := 0
	for i, s := range scores {
		if s > scores[top] {
			top = i
		}
	}
	var sum float64
	for _, s := range scores {
		sum += math.Exp((s - scores[top]) / temperature)
	}
	return top, 1 / sum
}

// example is a training example: its deduplicated features and its class.
type example struct {
	feats []uint64
	class int
}

// trainBayes fits a multinomial naive Bayes model over binary features with additive
// smoothing alpha and uniform priors (the dataset is balanced on purpose; uniform priors
// keep a category that is rare in training from being penalised for it).
func trainBayes(classes []string, exs []example, alpha float64) *linear {
	k := len(classes)
	m := &linear{Classes: classes, Index: map[uint64]int32{}, Bias: make([]float32, k), Unseen: make([]float32, k)}
	var counts []float64
	totals := make([]float64, k)
	for _, ex := range exs {
		for _, f := range ex.feats {
			row, ok := m.Index[f]
			if !ok {
				row = int32(len(m.Index))
				m.Index[f] = row
				counts = append(counts, make([]float64, k)...)
			}
			counts[int(row)*k+ex.class]++
			totals[ex.class]++
		}
	}
	v := float64(len(m.Index))
	m.W = make([]float32, len(counts))
	for c := range k {
		denom := math.Log(totals[c] + alpha*v)
		m.Unseen[c] = float32(math.Log(alpha) - denom)
		for row := range len(m.Index) {
			m.W[row*k+c] = float32(math.Log(counts[row*k+c]+alpha) - denom)
		}
	}
	return m
}

// lrParams tune logistic regression training.
type lrParams struct {
	epochs int
	rate   float64
	l2     float64
	seed   uint64
}

// trainLogistic fits a multinomial logistic regression (softmax) with AdaGrad and L2
// regularisation, on L2-normalised binary features. Training is deterministic for a
// given seed.
func trainLogistic(classes []string, exs []example, p lrParams) *linear {
	k := len(classes)
	m := &linear{Classes: classes, Index: map[uint64]int32{}, Bias: make([]float32, k), Norm: true}
	for _, ex := range exs {
		for _, f := range ex.feats {
			if _, ok := m.Index[f]; !ok {
				m.Index[f] = int32(len(m.Index))
			}
		}
	}
	w := make([]float64, len(m.Index)*k)
	g2 := make([]float64, len(w))
	bias := make([]float64, k)
	bg2 := make([]float64, k)
	rows := make([][]int32, len(exs))
	for i, ex := range exs {
		rows[i] = make([]int32, len(ex.feats))
		for j, f := range ex.feats {
			rows[i][j] = m.Index[f]
		}
	}
	order := make([]int, len(exs))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(p.seed, p.seed^0x9e3779b97f4a7c15))
	probs := make([]float64, k)
	for range p.epochs {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			ex := exs[i]
			if len(ex.feats) == 0 {
				continue
			}
			x := 1 / math.Sqrt(float64(len(ex.feats)))
			for c := range k {
				s := bias[c]
				for _, r := range rows[i] {
					s += w[int(r)*k+c] * x
				}
				probs[c] = s
			}
			top := slices.Max(probs)
			var sum float64
			for c := range probs {
				probs[c] = math.Exp(probs[c] - top)
				sum += probs[c]
			}
			for c := range k {
				grad := probs[c] / sum
				if c == ex.class {
					grad--
				}
				bg2[c] += grad * grad
				bias[c] -= p.rate * grad / (math.Sqrt(bg2[c]) + 1e-8)
				for _, r := range rows[i] {
					j := int(r)*k + c
					gj := grad*x + p.l2*w[j]
					g2[j] += gj * gj
					w[j] -= p.rate * gj / (math.Sqrt(g2[j]) + 1e-8)
				}
			}
		}
	}
	m.W = make([]float32, len(w))
	for i, v := range w {
		m.W[i] = float32(v)
	}
	for c := range k {
		m.Bias[c] = float32(bias[c])
	}
	return m
}
