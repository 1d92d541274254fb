package inspect

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
)

// Stream is the draw's pseudo-random stream (FORMAT.md, "The stream"):
// block i = SHA-256(seed ‖ u64be(i)) for i = 0, 1, …, read as big-endian
// 64-bit words, four to a block, in order.
type Stream struct {
	seed  [32]byte
	block [32]byte
	next  uint64 // the index of the next block to make
	used  int    // words of block read so far; 4 when a new block is needed
	Words int    // words read in all, for the worked example and tests

	trace func(string) // when set, told every word and every Uniform (FORMAT.md's worked example)
}

// NewStream starts the stream of a seed.
func NewStream(seed [32]byte) *Stream { return &Stream{seed: seed, used: 4} }

// Word is the stream's next 64-bit word.
func (s *Stream) Word() uint64 {
	if s.used == 4 {
		var in [40]byte
		copy(in[:], s.seed[:])
		binary.BigEndian.PutUint64(in[32:], s.next)
		s.block = sha256.Sum256(in[:])
		s.next++
		s.used = 0
	}
	w := binary.BigEndian.Uint64(s.block[8*s.used:])
	s.used++
	s.Words++
	if s.trace != nil {
		s.trace(fmt.Sprintf("word %d (block %d, word %d) = %016x", s.Words-1, s.next-1, s.used-1, w))
	}
	return w
}

// Uniform is a number in [0, n), unbiased, for n ≥ 1: Uniform(1) is 0 and
// reads no word; otherwise words are read until one, w, is below the
// largest multiple of n that fits in 2^64, and the result is w mod n.
func (s *Stream) Uniform(n uint64) uint64 {
	if n <= 1 {
		return 0
	}
	rem := (math.MaxUint64%n + 1) % n // 2^64 mod n
	for {
		w := s.Word()
		if w <= math.MaxUint64-rem {
			if s.trace != nil {
				s.trace(fmt.Sprintf("uniform(%d) = %d mod %d = %d", n, w, n, w%n))
			}
			return w % n
		}
		if s.trace != nil {
			s.trace(fmt.Sprintf("uniform(%d): word %d rejected (at or above 2^64 - %d)", n, w, rem))
		}
	}
}
