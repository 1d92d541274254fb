package terminal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"

	"onex/client/atomicfile"
	"onex/exam/seal"
)

// The journal (PROTOCOL.md, "The terminal's journal"): the terminal's
// changes, each a KindChange record sealed to the station's record key, in
// chain order, appended and synced before they are sent. Only the station
// can open them; the terminal keeps what it needs to show the candidate in
// memory.
//
//	header  "OXJ" 0x01 | base seq (u64) | base hash (32) | CRC-32C of the 44 bytes before (u32)
//	frame   length n (u32, 1..maxFrame) | envelope (n bytes) | CRC-32C of the envelope (u32)
//
// All integers big-endian. The first frame's envelope has seq base+1 and
// prev the base hash; each next one follows its predecessor. The header
// changes only by compaction, which rewrites the whole file atomically.

const (
	journalFile    = "journal"
	journalVersion = 1
	headerSize     = 4 + 8 + 32 + 4
	frameOverhead  = 4 + 4
	// maxFrame is the largest envelope the journal holds: one change must
	// fit a request to the station (room.MaxBody) in base64.
	maxFrame = 640 << 10
	// maxJournal bounds what opening reads.
	maxJournal = 256 << 20
)

var (
	journalMagic = [4]byte{'O', 'X', 'J', journalVersion}
	castagnoli   = crc32.MakeTable(crc32.Castagnoli)
)

// ErrJournal: the journal file is damaged other than by a torn last
// frame, or does not follow the chain; the error names the file, the
// offset and the field.
var ErrJournal = errors.New("the terminal's journal is damaged")

// frame is one journalled envelope.
type frame struct {
	seq  uint64
	hash seal.Hash
	env  []byte
}

// journalState is what a journal file holds: the chain's base and the
// envelopes after it.
type journalState struct {
	base     uint64    // seq of the last envelope dropped (acknowledged); 0 for none
	baseHash seal.Hash // its hash: the prev of the first frame
	frames   []frame
}

// next is the seq and prev of the envelope to seal next.
func (s *journalState) next() (uint64, seal.Hash) {
	if n := len(s.frames); n > 0 {
		return s.frames[n-1].seq + 1, s.frames[n-1].hash
	}
	return s.base + 1, s.baseHash
}

func appendHeader(b []byte, base uint64, hash seal.Hash) []byte {
	start := len(b)
	b = append(b, journalMagic[:]...)
	b = binary.BigEndian.AppendUint64(b, base)
	b = append(b, hash[:]...)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b[start:], castagnoli))
}

func appendFrame(b, env []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(env)))
	b = append(b, env...)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(env, castagnoli))
}

// encode is the whole file for s.
func (s *journalState) encode() []byte {
	b := appendHeader(nil, s.base, s.baseHash)
	for _, f := range s.frames {
		b = appendFrame(b, f.env)
	}
	return b
}

// readJournal reads a journal file's bytes. It returns the state and how
// many bytes of b it holds: less than len(b) when the last frame was torn
// by a crash in the middle of an append (a partial length, a partial
// envelope or checksum, or a checksum that fails on the file's last
// frame), which the caller cuts off. Anything else wrong wraps ErrJournal.
func readJournal(b []byte) (journalState, int, error) {
	var s journalState
	if len(b) < headerSize {
		return s, 0, fmt.Errorf("%w: %d bytes, shorter than its %d-byte header", ErrJournal, len(b), headerSize)
	}
	if !bytes.Equal(b[:3], journalMagic[:3]) {
		return s, 0, fmt.Errorf("%w: offset 0: magic %q, want %q", ErrJournal, b[:3], journalMagic[:3])
	}
	if b[3] != journalVersion {
		return s, 0, fmt.Errorf("%w: offset 3: version %d, this terminal reads %d", ErrJournal, b[3], journalVersion)
	}
	if got, want := binary.BigEndian.Uint32(b[44:48]), crc32.Checksum(b[:44], castagnoli); got != want {
		return s, 0, fmt.Errorf("%w: offset 44: header checksum %08x, want %08x", ErrJournal, got, want)
	}
	s.base = binary.BigEndian.Uint64(b[4:12])
	copy(s.baseHash[:], b[12:44])
	off := headerSize
	for off < len(b) {
		rest := b[off:]
		if len(rest) < 4 {
			return s, off, nil // torn length
		}
		n := int(binary.BigEndian.Uint32(rest))
		if n == 0 || n > maxFrame {
			if len(rest) < frameOverhead+1 {
				return s, off, nil
			}
			return s, off, fmt.Errorf("%w: offset %d: frame length %d, want 1 to %d", ErrJournal, off, n, maxFrame)
		}
		if len(rest) < n+frameOverhead {
			return s, off, nil // torn envelope or checksum
		}
		env := rest[4 : 4+n]
		if got, want := binary.BigEndian.Uint32(rest[4+n:]), crc32.Checksum(env, castagnoli); got != want {
			if len(rest) == n+frameOverhead {
				return s, off, nil // the last frame, half on disk
			}
			return s, off, fmt.Errorf("%w: offset %d: frame checksum %08x, want %08x, and frames follow", ErrJournal, off, got, want)
		}
		h, err := seal.ParseHeader(env)
		if err != nil {
			return s, off, fmt.Errorf("%w: offset %d: envelope: %w", ErrJournal, off, err)
		}
		seq, prev := s.next()
		if h.Seq != seq || h.Prev != prev || h.Epoch != chainEpoch {
			return s, off, fmt.Errorf("%w: offset %d: envelope epoch %d seq %d does not follow the chain (want epoch %d seq %d after %x)",
				ErrJournal, off, h.Epoch, h.Seq, chainEpoch, seq, prev[:4])
		}
		s.frames = append(s.frames, frame{seq: seq, hash: seal.EnvelopeHash(env), env: bytes.Clone(env)})
		off += n + frameOverhead
	}
	return s, off, nil
}

// journal is the open journal file.
type journal struct {
	path string
	f    *os.File // opened for appending
	journalState
	// stale is the bytes of frames the station acknowledged that the file
	// still holds: ack drops them from memory at once and from the file
	// once they are at least what it keeps (see ack).
	stale int
}

// openJournal opens dir's journal, cutting off a torn last frame.
func openJournal(dir string) (*journal, error) {
	path := filepath.Join(dir, journalFile)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("opening the journal: %w", err)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxJournal+1))
	if err == nil && len(b) > maxJournal {
		err = fmt.Errorf("%w: %s is larger than %d bytes", ErrJournal, path, maxJournal)
	}
	var s journalState
	var keep int
	if err == nil {
		s, keep, err = readJournal(b)
	}
	if err == nil && keep < len(b) {
		// A crash in the middle of an append: that change was never sent,
		// nor reported saved.
		if err = f.Truncate(int64(keep)); err == nil {
			err = f.Sync()
		}
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekEnd)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	return &journal{path: path, f: f, journalState: s}, nil
}

// createJournal writes an empty journal at the start of the chain.
func createJournal(dir string) error {
	s := journalState{}
	return writeAtomic(filepath.Join(dir, journalFile), s.encode())
}

// append writes one envelope at the end and syncs it: only then may it be
// sent.
func (j *journal) append(env []byte, seq uint64, hash seal.Hash) error {
	if len(env) == 0 || len(env) > maxFrame {
		return fmt.Errorf("journal %s: an envelope of %d bytes, want 1 to %d", j.path, len(env), maxFrame)
	}
	if want, _ := j.next(); seq != want {
		return fmt.Errorf("journal %s: appending seq %d, want %d", j.path, seq, want)
	}
	if _, err := j.f.Write(appendFrame(nil, env)); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	j.frames = append(j.frames, frame{seq: seq, hash: hash, env: env})
	return nil
}

// ErrStationBehind: the station acknowledges less than this terminal's
// journal has already dropped as acknowledged (the station's store was put
// back to an older copy); the terminal cannot send those changes again.
var ErrStationBehind = errors.New("the station has lost changes it acknowledged")

// ack drops every envelope up to acked, whose hash the station gives, and
// compacts the file; the header keeps acked and its hash, so the chain goes
// on from there even when nothing is left. An acked beyond the journal's
// end (the station saw envelopes this journal no longer has) moves the
// base there, so that no seq the station has seen is sealed again. It
// returns how many envelopes it dropped.
func (j *journal) ack(acked uint64, hash seal.Hash) (int, error) {
	last, _ := j.next()
	last--
	switch {
	case acked < j.base:
		return 0, fmt.Errorf("journal %s: %w: it acknowledges seq %d, the journal dropped up to %d", j.path, ErrStationBehind, acked, j.base)
	case acked == j.base:
		return 0, nil
	case acked <= last:
		if f := j.frames[acked-j.base-1]; f.hash != hash && hash != (seal.Hash{}) {
			return 0, fmt.Errorf("journal %s: %w: the station acknowledges seq %d with hash %x, the journal's is %x", j.path, ErrJournal, acked, hash[:4], f.hash[:4])
		}
	}
	n := min(int(acked-j.base), len(j.frames))
	next := journalState{base: acked, baseHash: hash, frames: j.frames[n:]}
	if acked <= last && hash == (seal.Hash{}) {
		next.baseHash = j.frames[n-1].hash
	}
	// The file is rewritten when nothing is left, or when what it would
	// drop is at least what it keeps: a large hand-in acknowledged a few
	// frames at a time is rewritten a few times in all, not once a frame.
	// Until then the file holds frames the station has: a restart sends
	// them again, and the station answers duplicate.
	dropped, kept := j.stale, 0
	for _, f := range j.frames[:n] {
		dropped += frameSize(f.env)
	}
	for _, f := range next.frames {
		kept += frameSize(f.env)
	}
	if len(next.frames) > 0 && dropped < kept {
		j.journalState, j.stale = next, dropped
		return n, nil
	}
	if err := j.rewrite(next); err != nil {
		return 0, err
	}
	j.stale = 0
	return n, nil
}

// frameSize is the bytes of a frame holding env.
func frameSize(env []byte) int { return 4 + len(env) + 4 }

// rewrite replaces the file with s (temp file, sync, rename, sync the
// directory) and reopens it for appending.
func (j *journal) rewrite(s journalState) error {
	if err := writeAtomic(j.path, s.encode()); err != nil {
		return fmt.Errorf("journal %s: compacting: %w", j.path, err)
	}
	f, err := os.OpenFile(j.path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	j.f.Close()
	j.f, j.journalState = f, s
	return nil
}

func (j *journal) close() error { return j.f.Close() }

// writeAtomic replaces path by data, mode 0600, whole or not at all.
func writeAtomic(path string, data []byte) error { return atomicfile.Write(path, data, 0o600) }
