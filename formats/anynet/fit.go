package anynet

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Fit is a RegNet's parameters fitted to a network's per-block widths and the fit error.
//
// D is the number of blocks; W0, WA and WM are the RegNet parameters w_0, w_a and w_m
// (see RegNet); EFit is the fit error e_fit of those parameters (see FitRegNet).
type Fit struct {
	D          int
	W0, WA, WM float64
	EFit       float64
}

// RegNet returns the fitted parameters as a RegNet.
func (f Fit) RegNet() RegNet { return RegNet{D: f.D, W0: f.W0, WA: f.WA, WM: f.WM} }

// The range of w_m that FitRegNet searches.
const (
	FitWMMin = 1.05
	FitWMMax = 4.0
)

// fitWMOfConstant is the w_m reported by a fit with w_a = 0, where w_m does not
// change the widths.
const fitWMOfConstant = 2.0

// FitRegNet fits w_0, w_a, w_m to block widths ws (one entry per block, in order, as
// Net.BlockWidths returns them), with d = len(ws), minimising
//
//	e_fit = (1/d) Σ_j |log(w_j^pred / w_j)|
//
// where w_j^pred are the quantized widths of the RegNet rule, RegNet{d, w_0, w_a,
// w_m}.BlockWidths(): u_j = w_0 + w_a·j, s_j = round(log(u_j/w_0)/log(w_m)),
// w_j^pred = round(w_0·w_m^s_j/8)·8. The fit searches w_0 among multiples of 8,
// w_a ≥ 0 and w_m in [FitWMMin, FitWMMax].
//
// Widths that some RegNet in that range produces (multiples of 8, non-decreasing,
// the first one w_0) are reproduced exactly, with e_fit = 0, unless the parameters
// giving them fill only a sliver of relative width below about 1e−14: with
// w_0 = ws[0], the fit cuts the w_m range into the pieces on which every width has a
// fixed range of levels s quantizing to it, and on each piece, from the largest w_m
// down, solves the level constraints on w_a exactly. Other widths get a grid search:
// w_0 among the (at most 5) multiples of 8 nearest ws[0] within a factor 1.25, w_m
// on a grid refined from steps of 0.2 to 0.001 around the best candidates, and for
// each (w_0, w_m) the exact best w_a, found by sweeping the values of w_a at which a
// block changes level. Among parameters giving the same widths the fit reports
// short decimals (for example w_m = 2.5, w_a = 36.4); with w_a = 0 (every block of
// width w_0) it reports w_m = 2. EFit is computed from RegNet{...}.BlockWidths() of
// the returned parameters. The result is deterministic.
//
// It returns an error when ws is empty or holds a width below 1.
func FitRegNet(ws []int) (Fit, error) {
	if len(ws) == 0 {
		return Fit{}, errors.New("regnet fit: no block widths")
	}
	for j, w := range ws {
		if w < 1 {
			return Fit{}, fmt.Errorf("regnet fit: block %d has width %d, want a positive width", j, w)
		}
	}
	var p RegNet
	switch {
	case allEqual(ws):
		p = RegNet{D: len(ws), W0: float64(nearestW0(ws[0])), WM: fitWMOfConstant}
	default:
		var ok bool
		if p, ok = exactFit(ws); !ok {
			p = searchFit(ws)
		}
	}
	return Fit{D: p.D, W0: p.W0, WA: p.WA, WM: p.WM, EFit: fitError(p.BlockWidths(), ws)}, nil
}

// FitRegNet fits a RegNet to the block widths of n (see the function FitRegNet).
func (n Net) FitRegNet() (Fit, error) { return FitRegNet(n.BlockWidths()) }

// fitError returns (1/d) Σ_j |log(pred_j / ws_j)|.
func fitError(pred, ws []int) float64 {
	s := 0.0
	for j, w := range ws {
		s += math.Abs(math.Log(float64(pred[j]) / float64(w)))
	}
	return s / float64(len(ws))
}

func allEqual(ws []int) bool {
	for _, w := range ws {
		if w != ws[0] {
			return false
		}
	}
	return true
}

// nearestW0 returns the positive multiple of 8 nearest w in log ratio.
func nearestW0(w int) int {
	lo := w / WidthQuantum * WidthQuantum
	hi := lo
	if hi < w {
		hi += WidthQuantum
	}
	if lo < WidthQuantum || math.Abs(math.Log(float64(hi)/float64(w))) < math.Abs(math.Log(float64(w)/float64(lo))) {
		return hi
	}
	return lo
}

// simplest returns the number in the middle half of [lo, hi] with the fewest
// decimals (up to 9), the one nearest the centre among those.
func simplest(lo, hi float64) float64 {
	c := (lo + hi) / 2
	lo, hi = lo+(hi-lo)/4, hi-(hi-lo)/4
	for dec := 0; dec <= 9; dec++ {
		s := math.Pow(10, float64(dec))
		if x := math.Round(c*s) / s; x >= lo && x <= hi {
			return x
		}
	}
	return c
}

// Exact fit.
//
// With the ratio a = w_a/w_0 and L = log w_m, block j has level
// s_j = round(log(1 + a·j)/L), and w_0 = ws[0] is forced (s_0 = 0). A run of equal
// widths v needs every level of its blocks in the set of levels k with
// round(w_0·e^(kL)/8)·8 = v, i.e. k·L in [log((v−4)/w_0), log((v+4)/w_0)]: a range
// [klo, khi] constant between the breakpoints log((v±4)/w_0)/k. Within such a piece
// of L the run starting at block f and ending at block l needs
// A(L) = expm1((klo−½)L)/f < a < expm1((khi+½)L)/l = B(L), so L is feasible when
// max A < min B. Each difference B_l − A_f is a sum of three exponentials vanishing
// at L = 0 and so has at most one positive root: the feasible L of a piece form an
// interval, which a bisection steered by the violated pair finds.

type fitRun struct {
	first, last int     // blocks of the run
	alpha, beta float64 // log((v−4)/w_0), log((v+4)/w_0)
	glo, ghi    float64 // klo − ½, khi + ½ on the current piece
}

// exactFit returns parameters reproducing ws exactly, if it finds any with w_m in
// [FitWMMin, FitWMMax]. ws holds at least two distinct widths.
func exactFit(ws []int) (RegNet, bool) {
	w0 := ws[0]
	if w0%WidthQuantum != 0 {
		return RegNet{}, false
	}
	var runs []fitRun
	for j, w := range ws {
		if w%WidthQuantum != 0 || (j > 0 && w < ws[j-1]) {
			return RegNet{}, false
		}
		if j > 0 && w == ws[j-1] {
			runs[len(runs)-1].last = j
			continue
		}
		runs = append(runs, fitRun{first: j, last: j,
			alpha: math.Log(float64(w-WidthQuantum/2) / float64(w0)),
			beta:  math.Log(float64(w+WidthQuantum/2) / float64(w0))})
	}
	lmin, lmax := math.Log(FitWMMin), math.Log(FitWMMax)
	cuts := []float64{lmin, lmax}
	for _, r := range runs {
		for _, x := range []float64{r.alpha, r.beta} {
			for k := 1; x > 0 && x/float64(k) > lmin; k++ {
				if x/float64(k) < lmax {
					cuts = append(cuts, x/float64(k))
				}
			}
		}
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	for i := len(cuts) - 1; i > 0; i-- { // larger w_m first
		lo, hi := cuts[i-1], cuts[i]
		if p, ok := exactPiece(ws, runs, lo, hi); ok {
			return p, true
		}
	}
	return RegNet{}, false
}

// exactPiece looks for an exact fit with L = log w_m in the piece (lo, hi).
func exactPiece(ws []int, runs []fitRun, lo, hi float64) (RegNet, bool) {
	mid := (lo + hi) / 2
	for i := range runs {
		r := &runs[i]
		klo := math.Max(0, math.Ceil(r.alpha/mid))
		khi := math.Floor(r.beta / mid)
		if klo > khi {
			return RegNet{}, false
		}
		r.glo, r.ghi = klo-0.5, khi+0.5
	}
	bound := func(g float64, j int, l float64) float64 { return math.Expm1(g*l) / float64(j) }
	// eval returns the largest lower bound on a (0 at least) and the run giving it
	// (−1 for 0), and the smallest upper bound and its run.
	eval := func(l float64) (float64, int, float64, int) {
		amax, ia, bmin, ib := 0.0, -1, math.Inf(1), -1
		for i, r := range runs {
			if r.first > 0 {
				if a := bound(r.glo, r.first, l); a > amax {
					amax, ia = a, i
				}
			}
			if r.last > 0 {
				if b := bound(r.ghi, r.last, l); b < bmin {
					bmin, ib = b, i
				}
			}
		}
		return amax, ia, bmin, ib
	}
	feasible := func(l float64) bool { a, _, b, _ := eval(l); return a < b }
	// Bisection: the feasible set is an interval inside [x, y]; a violated pair is
	// satisfied on one side of l only, which holds the feasible set.
	x, y, found := lo, hi, math.NaN()
	for it := 0; it < 200 && y-x > 1e-14*y; it++ {
		l := (x + y) / 2
		a, ia, b, ib := eval(l)
		if a < b {
			found = l
			break
		}
		h := func(l float64) float64 {
			return bound(runs[ib].ghi, runs[ib].last, l) - bound(runs[ia].glo, runs[ia].first, l)
		}
		switch {
		case h(x) > 0:
			y = l
		case h(y) > 0:
			x = l
		default:
			return RegNet{}, false
		}
	}
	if math.IsNaN(found) {
		return RegNet{}, false
	}
	// The extent of the feasible interval, then the simplest parameters inside it.
	left, right := lo, found
	for it := 0; it < 60; it++ {
		if m := (left + right) / 2; feasible(m) {
			right = m
		} else {
			left = m
		}
	}
	l0 := right
	left, right = found, hi
	for it := 0; it < 60; it++ {
		if m := (left + right) / 2; feasible(m) {
			left = m
		} else {
			right = m
		}
	}
	l1 := left
	w0 := float64(ws[0])
	try := func(wm float64) (RegNet, bool) {
		a, _, b, _ := eval(math.Log(wm))
		if !(a < b) {
			return RegNet{}, false
		}
		p := RegNet{D: len(ws), W0: w0, WA: simplest(w0*a, w0*b), WM: wm}
		return p, slices.Equal(p.BlockWidths(), ws)
	}
	if p, ok := try(simplest(math.Exp(l0), math.Exp(l1))); ok {
		return p, true
	}
	return try(math.Exp((l0 + l1) / 2))
}

// Grid search.

// fitEvent is the value a = w_a/w_0 at which block j moves from level k to k+1.
type fitEvent struct {
	a    float64
	j, k int32
}

// fitKeyMask covers the low bits of a float64 that event sorting and grouping
// ignore; it also bounds the index stored there.
const fitKeyMask = 1<<16 - 1

// fitCand is the best cell of a for one (w_0, w_m): cost is d·e_fit on a in (lo, hi)
// (lo = 0 includes a = 0).
type fitCand struct {
	cost   float64
	w0     int
	wm     int // w_m in thousandths
	lo, hi float64
}

// The w_m grid of the search, in thousandths: a pass with step fitCoarseStep over
// the whole range for every w_0 candidate, then passes that keep the best candidates
// so far and evaluate their w_0 at w_m ± span·step.
const fitCoarseStep = 200

var fitRefine = []struct{ step, keep, span int }{{40, 10, 4}, {8, 8, 4}, {2, 6, 3}, {1, 3, 1}}

type fitSearch struct {
	ws   []int
	logw []float64
	maxW int // the largest width of blocks 1..d−1
	pw   []int
	logP []float64
	c    []float64 // c_k = expm1((k+½)L): block j moves past level k at a = c_k/j
	ev   []fitEvent
	ev2  []fitEvent
	keys []uint64
	seen map[[2]int]bool
	all  []fitCand
}

// searchFit returns the best parameters of the grid search. ws holds at least two
// distinct widths.
func searchFit(ws []int) RegNet {
	f := &fitSearch{ws: ws, logw: make([]float64, len(ws)), seen: map[[2]int]bool{}}
	for j, w := range ws {
		f.logw[j] = math.Log(float64(w))
		if j > 0 {
			f.maxW = max(f.maxW, w)
		}
	}
	wmMin, wmMax := int(math.Round(FitWMMin*1000)), int(math.Round(FitWMMax*1000))
	for _, w0 := range w0Candidates(ws[0]) {
		for wm := wmMin; wm <= wmMax; wm += fitCoarseStep {
			f.eval(w0, wm)
		}
	}
	for _, r := range fitRefine {
		for _, c := range f.top(r.keep) {
			for wm := max(wmMin, c.wm-r.span*r.step); wm <= min(wmMax, c.wm+r.span*r.step); wm += r.step {
				f.eval(c.w0, wm)
			}
		}
	}
	var best RegNet
	bestE := math.Inf(1)
	for _, c := range f.top(8) {
		p := f.params(c)
		if e := fitError(p.BlockWidths(), ws); e < bestE {
			best, bestE = p, e
		}
	}
	return best
}

// w0Candidates returns up to 5 multiples of 8 near w: those within a factor 1.25
// and the two enclosing w, nearest first.
func w0Candidates(w int) []int {
	var cs []int
	for c := WidthQuantum; 4*c <= 5*w; c += WidthQuantum {
		if 5*c >= 4*w {
			cs = append(cs, c)
		}
	}
	cs = append(cs, nearestW0(w))
	if lo := w / WidthQuantum * WidthQuantum; lo >= WidthQuantum {
		cs = append(cs, lo)
	}
	slices.Sort(cs)
	cs = slices.Compact(cs)
	dist := func(c int) float64 { return math.Abs(math.Log(float64(c) / float64(w))) }
	slices.SortStableFunc(cs, func(x, y int) int { return cmp.Compare(dist(x), dist(y)) })
	return cs[:min(len(cs), 5)]
}

// top returns the k best candidates so far, ties in evaluation order.
func (f *fitSearch) top(k int) []fitCand {
	cs := make([]fitCand, 0, k+1)
	for _, c := range f.all {
		i := len(cs)
		for i > 0 && c.cost < cs[i-1].cost {
			i--
		}
		if i < k {
			cs = slices.Insert(cs, i, c)
			cs = cs[:min(k, len(cs))]
		}
	}
	return cs
}

// params returns parameters inside candidate c's cell.
func (f *fitSearch) params(c fitCand) RegNet {
	p := RegNet{D: len(f.ws), W0: float64(c.w0), WM: float64(c.wm) / 1000}
	if c.lo == 0 {
		p.WM = fitWMOfConstant
	} else {
		p.WA = simplest(c.lo*p.W0, c.hi*p.W0)
	}
	return p
}

// bestLevel returns the first level whose width is nearest ws[j] in log ratio.
func (f *fitSearch) bestLevel(j int) int {
	kb, _ := slices.BinarySearch(f.pw, f.ws[j]) // the first level at least ws[j]
	if kb == 0 {
		return 0
	}
	lw := f.logw[j]
	if math.Abs(f.logP[kb]-lw) < math.Abs(f.logP[kb-1]-lw) {
		return kb
	}
	k := kb - 1
	for k > 0 && f.pw[k-1] == f.pw[k] {
		k--
	}
	return k
}

// sortEvents returns the events in order of a: sorting keys made of a's bit
// pattern (a > 0, so the order is a's) with the event's index in the low bits.
func (f *fitSearch) sortEvents() []fitEvent {
	if len(f.ev) > fitKeyMask {
		slices.SortFunc(f.ev, func(x, y fitEvent) int { return cmp.Compare(x.a, y.a) })
		return f.ev
	}
	f.keys = f.keys[:0]
	for i, e := range f.ev {
		f.keys = append(f.keys, math.Float64bits(e.a)&^fitKeyMask|uint64(i))
	}
	slices.Sort(f.keys)
	f.ev2 = f.ev2[:0]
	for _, k := range f.keys {
		f.ev2 = append(f.ev2, f.ev[k&fitKeyMask])
	}
	return f.ev2
}

// level makes the quantized width of levels 0..s available.
func (f *fitSearch) level(w0 int, wm float64, s int) {
	for k := len(f.pw); k <= s; k++ {
		p := int(math.RoundToEven(float64(w0)*math.Pow(wm, float64(k))/WidthQuantum)) * WidthQuantum
		f.pw = append(f.pw, p)
		f.logP = append(f.logP, math.Log(float64(p)))
	}
}

// eval finds the best a for (w_0, w_m) by sweeping the values of a at which a block
// changes level, and records it. The cost of block j, |log(P_k/w_j)| at level k, is
// non-increasing in k up to its first best level k_j and non-decreasing after, and
// block j reaches level k_j at a_j = c_(k_j−1)/j; so every block's cost is
// non-increasing in a below min_j a_j and non-decreasing above max_j a_j, and the
// sweep covers only that range.
func (f *fitSearch) eval(w0, wmMilli int) {
	key := [2]int{w0, wmMilli}
	if f.seen[key] {
		return
	}
	f.seen[key] = true
	wm := float64(wmMilli) / 1000
	L := math.Log(wm)
	d := len(f.ws)
	f.pw, f.logP, f.c, f.ev = f.pw[:0], f.logP[:0], f.c[:0], f.ev[:0]
	f.level(w0, wm, 0)
	for f.pw[len(f.pw)-1] < f.maxW {
		f.level(w0, wm, len(f.pw))
	}
	ck := func(k int) float64 {
		for len(f.c) <= k {
			f.c = append(f.c, math.Expm1((float64(len(f.c))+0.5)*L))
		}
		return f.c[k]
	}
	// The range of a holding the optimum.
	aStart, aStop := math.Inf(1), 0.0
	for j := 1; j < d; j++ {
		k := f.bestLevel(j)
		a := 0.0
		if k > 0 {
			a = ck(k-1) / float64(j)
		}
		aStart, aStop = min(aStart, a), max(aStop, a)
	}
	// Levels at aStart, then the events up to aStop.
	cost := math.Abs(f.logP[0] - f.logw[0])
	next := math.Inf(1)
	for j := 1; j < d; j++ {
		fj := float64(j)
		k := 0
		if aStart > 0 {
			k = max(0, int(math.Log1p(fj*aStart)/L-0.5))
			for k > 0 && ck(k-1)/fj > aStart {
				k--
			}
			for ck(k)/fj <= aStart {
				k++
			}
		}
		f.level(w0, wm, k)
		cost += math.Abs(f.logP[k] - f.logw[j])
		for ; ; k++ {
			a := ck(k) / fj
			if a > aStop {
				next = min(next, a)
				break
			}
			f.level(w0, wm, k+1)
			if f.pw[k+1] != f.pw[k] {
				f.ev = append(f.ev, fitEvent{a: a, j: int32(j), k: int32(k)})
			}
		}
	}
	ev := f.sortEvents()
	best := fitCand{cost: cost, w0: w0, wm: wmMilli, lo: aStart, hi: next}
	if len(ev) > 0 {
		best.hi = ev[0].a
	}
	// Events closer than 2^−36 relative count as simultaneous, which leaves out only
	// cells too thin to hold parameters reliably.
	for i := 0; i < len(ev); {
		group := math.Float64bits(ev[i].a) &^ fitKeyMask
		for ; i < len(ev) && math.Float64bits(ev[i].a)&^fitKeyMask == group; i++ {
			e := ev[i]
			lw := f.logw[e.j]
			cost += math.Abs(f.logP[e.k+1]-lw) - math.Abs(f.logP[e.k]-lw)
		}
		if cost < best.cost-1e-12 {
			hi := next
			if i < len(ev) {
				hi = ev[i].a
			}
			best = fitCand{cost: cost, w0: w0, wm: wmMilli, lo: math.Float64frombits(group), hi: hi}
		}
	}
	f.all = append(f.all, best)
}
