package exam

import (
	"cmp"
	"hash/fnv"
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
// to a short question are alike without anyone copying. It compares every
// pair, skipping those whose sizes alone rule the threshold out (Jaccard is
// at most the smaller set over the larger).
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
	slices.SortFunc(docs, func(x, y doc) int { return cmp.Compare(len(x.sh), len(y.sh)) })
	var out []SimilarPair
	for i := range docs {
		for j := i + 1; j < len(docs); j++ {
			if float64(len(docs[i].sh)) < threshold*float64(len(docs[j].sh)) {
				break // docs are by size: every later one is larger still
			}
			if s := Jaccard(docs[i].sh, docs[j].sh); s >= threshold {
				a, b := docs[i].id, docs[j].id
				if b < a {
					a, b = b, a
				}
				out = append(out, SimilarPair{A: a, B: b, Similarity: s})
			}
		}
	}
	slices.SortFunc(out, func(x, y SimilarPair) int {
		return cmp.Or(cmp.Compare(y.Similarity, x.Similarity), cmp.Compare(x.A, y.A), cmp.Compare(x.B, y.B))
	})
	return out
}
