package exam

import (
	"cmp"
	"hash/fnv"
	"math"
	"slices"
	"strings"
	"unicode"
)

// ShingleSize is the length in characters of the shingles Similarity
// compares. Four characters are about two Chinese words or part of an English
// word and a half: short enough that a reworded sentence keeps most of its
// shingles, long enough that two unrelated answers share few.
const ShingleSize = 4

// Shingles is the set of an answer's character shingles, as sorted distinct
// 64-bit hashes. It is what Similarity compares; NearIdentical builds each
// answer's once.
type Shingles []uint64

// Fold reduces an answer to the characters that carry its content: Normalize
// (full-width folded, lower case), then every space, punctuation mark and
// symbol removed, so "Hello,  World!" and "hello world" fold alike, and so do
// "你好，世界。" and "你好世界".
func Fold(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsControl(r) {
			return -1
		}
		return r
	}, Normalize(s))
}

// ShinglesOf is the set of ShingleSize-character runs of Fold(s). A folded
// text shorter than ShingleSize but not empty is one shingle, itself; an
// empty one has none.
func ShinglesOf(s string) Shingles {
	rs := []rune(Fold(s))
	if len(rs) == 0 {
		return nil
	}
	n := max(len(rs)-ShingleSize+1, 1)
	out := make(Shingles, 0, n)
	for i := range n {
		h := fnv.New64a()
		h.Write([]byte(string(rs[i:min(i+ShingleSize, len(rs))])))
		out = append(out, h.Sum64())
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Jaccard is |a ∩ b| / |a ∪ b| of two shingle sets: 1 for equal non-empty
// sets, 0 when they share nothing, and 0 when either is empty (a blank answer
// is no copy of anything; blank answers are flagged as problems, not here).
func Jaccard(a, b Shingles) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	common, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			common++
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return float64(common) / float64(len(a)+len(b)-common)
}

// Similarity is the Jaccard similarity of two answers' shingles: symmetric,
// in 0..1, 1 for answers that fold alike (identical but for space, case,
// width and punctuation), 0 for answers that share no run of ShingleSize
// characters or when either is blank.
func Similarity(a, b string) float64 {
	return Jaccard(ShinglesOf(a), ShinglesOf(b))
}

// Response is one candidate's answer to one item, named by a script id.
type Response struct {
	ID   string
	Text string
}

// SimilarPair is two responses whose similarity is at or above a threshold;
// A < B.
type SimilarPair struct {
	A, B       string
	Similarity float64
}

// NearIdentical lists the pairs of responses whose Similarity is at least
// threshold, most similar first (ties by A then B). Responses whose folded
// text has fewer than minChars characters are left out: two one-line answers
// to a short question are alike without anyone copying. Pairs are found
// with prefix filtering (the AllPairs set-similarity join): with shingles
// ordered rarest first, two sets of Jaccard ≥ t share a shingle among the
// first |x| − ⌈t·|x|⌉ + 1 of each, so only pairs sharing one there are
// compared, and exactly; the result is that of comparing every pair.
func NearIdentical(rs []Response, threshold float64, minChars int) []SimilarPair {
	type doc struct {
		id string
		sh Shingles
	}
	var docs []doc
	for _, r := range rs {
		if len([]rune(Fold(r.Text))) < max(minChars, 1) {
			continue
		}
		docs = append(docs, doc{r.ID, ShinglesOf(r.Text)})
	}
	slices.SortFunc(docs, func(x, y doc) int { return cmp.Or(cmp.Compare(len(x.sh), len(y.sh)), cmp.Compare(x.id, y.id)) })
	freq := map[uint64]int{}
	for _, d := range docs {
		for _, h := range d.sh {
			freq[h]++
		}
	}
	index := map[uint64][]int{} // shingle -> docs (smaller or equal, seen before) with it in their prefix
	var out []SimilarPair
	seen := make([]int, len(docs)) // seen[j] == i+1: doc j is a candidate of doc i already
	for i, d := range docs {
		order := slices.Clone(d.sh)
		slices.SortFunc(order, func(a, b uint64) int { return cmp.Or(cmp.Compare(freq[a], freq[b]), cmp.Compare(a, b)) })
		prefix := len(order)
		if threshold > 0 {
			prefix = len(order) - int(math.Ceil(threshold*float64(len(order))-1e-9)) + 1
		}
		prefix = min(max(prefix, 1), len(order))
		var cands []int
		if threshold > 0 {
			for _, h := range order[:prefix] {
				for _, j := range index[h] {
					if seen[j] != i+1 {
						seen[j] = i + 1
						cands = append(cands, j)
					}
				}
			}
		} else {
			for j := range i {
				cands = append(cands, j)
			}
		}
		for _, j := range cands {
			if float64(len(docs[j].sh)) < threshold*float64(len(d.sh))-1e-9 {
				continue // too small to reach the threshold
			}
			if s := Jaccard(docs[j].sh, d.sh); s >= threshold {
				a, b := docs[j].id, d.id
				if b < a {
					a, b = b, a
				}
				out = append(out, SimilarPair{A: a, B: b, Similarity: s})
			}
		}
		for _, h := range order[:prefix] {
			index[h] = append(index[h], i)
		}
	}
	slices.SortFunc(out, func(x, y SimilarPair) int {
		return cmp.Or(cmp.Compare(y.Similarity, x.Similarity), cmp.Compare(x.A, y.A), cmp.Compare(x.B, y.B))
	})
	return out
}
