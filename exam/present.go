package exam

import (
	"crypto/sha256"
	"encoding/binary"
	"strconv"
)

// Presentation is the order in which one candidate sees a paper: sections in
// paper order, items (and options) permuted when the paper asks for shuffling.
// It holds ids only; scoring never looks at positions.
type Presentation struct {
	Sections []PresentedSection
}

// PresentedSection is one section as a candidate sees it.
type PresentedSection struct {
	Title string
	Items []PresentedItem
}

// PresentedItem is an item id and, for choice items, its option ids in display order.
type PresentedItem struct {
	ItemID  string
	Options []string
}

// Present returns the order of the paper for one candidate of one session.
// The order is derived only from (paper id, version, session id, ticket), with
// an algorithm fixed here rather than math/rand's, so a resumed exam on any
// machine and any build shows the same order.
func (p *Paper) Present(sessionID, ticket string) Presentation {
	s := newStream(p.ID, strconv.Itoa(p.Version), sessionID, ticket)
	var pres Presentation
	for _, sec := range p.Sections {
		ps := PresentedSection{Title: sec.Title}
		for _, it := range sec.Items {
			pi := PresentedItem{ItemID: it.ID}
			for _, o := range it.Options {
				pi.Options = append(pi.Options, o.ID)
			}
			if p.ShuffleOptions {
				shuffle(s, pi.Options)
			}
			ps.Items = append(ps.Items, pi)
		}
		if p.ShuffleItems {
			shuffle(s, ps.Items)
		}
		pres.Sections = append(pres.Sections, ps)
	}
	return pres
}

// ItemIDs returns the item ids in display order.
func (pr Presentation) ItemIDs() []string {
	var ids []string
	for _, s := range pr.Sections {
		for _, it := range s.Items {
			ids = append(ids, it.ItemID)
		}
	}
	return ids
}

// stream is a deterministic sequence of uint64s: SHA-256 of a seed and a counter.
type stream struct {
	seed [sha256.Size]byte
	ctr  uint64
	buf  []byte
}

func newStream(parts ...string) *stream {
	h := sha256.New()
	h.Write([]byte("onex-presentation/1"))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	s := &stream{}
	h.Sum(s.seed[:0])
	return s
}

func (s *stream) uint64() uint64 {
	if len(s.buf) == 0 {
		var block [sha256.Size + 8]byte
		copy(block[:], s.seed[:])
		binary.BigEndian.PutUint64(block[sha256.Size:], s.ctr)
		s.ctr++
		sum := sha256.Sum256(block[:])
		s.buf = sum[:]
	}
	v := binary.BigEndian.Uint64(s.buf)
	s.buf = s.buf[8:]
	return v
}

// below returns a uniform integer in [0, n) by rejection sampling.
func (s *stream) below(n uint64) uint64 {
	limit := ^uint64(0) - (^uint64(0) % n)
	for {
		if v := s.uint64(); v < limit {
			return v % n
		}
	}
}

// shuffle is a Fisher–Yates shuffle driven by s.
func shuffle[T any](s *stream, xs []T) {
	for i := len(xs) - 1; i > 0; i-- {
		j := s.below(uint64(i + 1))
		xs[i], xs[j] = xs[j], xs[i]
	}
}
