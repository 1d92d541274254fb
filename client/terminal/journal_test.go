package terminal

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"onex/client/room"
	"onex/exam"
	"onex/exam/seal"
)

// chain seals n changes for device T1 after (base, prev) to ck's key.
func chain(t testing.TB, dk *seal.DeviceKey, ck *seal.CentralKeys, base uint64, prev seal.Hash, n int) []*seal.Envelope {
	t.Helper()
	var out []*seal.Envelope
	for i := range n {
		ch := room.Change{SessionID: "S1", Ticket: "TK", Op: room.OpSave, ItemID: "q1", Answer: exam.Answer{Text: "secret answer"}}
		b, _ := json.Marshal(ch)
		env, err := seal.SealRecord(dk, ck.Public(), seal.Header{DeviceID: "T1", Epoch: chainEpoch, Seq: base + uint64(i) + 1, Prev: prev,
			Kind: room.KindChange, Created: time.Unix(1_800_000_000, 0)}, b)
		if err != nil {
			t.Fatal(err)
		}
		out, prev = append(out, env), env.Hash
	}
	return out
}

func keys(t testing.TB) (*seal.DeviceKey, *seal.CentralKeys) {
	t.Helper()
	dk, err1 := seal.GenerateDeviceKey()
	ck, err2 := seal.GenerateCentralKeys()
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	return dk, ck
}

// journalWith makes a journal in a new directory holding envs.
func journalWith(t *testing.T, envs []*seal.Envelope) (string, *journal) {
	t.Helper()
	dir := t.TempDir()
	if err := createJournal(dir); err != nil {
		t.Fatal(err)
	}
	j, err := openJournal(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range envs {
		if err := j.append(e.Bytes, e.Header.Seq, e.Hash); err != nil {
			t.Fatal(err)
		}
	}
	return dir, j
}

func TestJournalAppendAndReopen(t *testing.T) {
	dk, ck := keys(t)
	envs := chain(t, dk, ck, 0, seal.Hash{}, 3)
	dir, j := journalWith(t, envs)
	j.close()
	fi, err := os.Stat(filepath.Join(dir, journalFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("journal mode %v, %v; want 0600", fi.Mode(), err)
	}
	j, err = openJournal(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.close()
	if len(j.frames) != 3 {
		t.Fatalf("reopened with %d frames, want 3", len(j.frames))
	}
	for i, f := range j.frames {
		if !bytes.Equal(f.env, envs[i].Bytes) || f.seq != uint64(i+1) || f.hash != envs[i].Hash {
			t.Errorf("frame %d is not envelope %d", i, i+1)
		}
		// Only the station opens it.
		rec, err := seal.OpenEnvelope(ck, f.env, dk.Public())
		if err != nil || rec.Header.Kind != room.KindChange {
			t.Errorf("frame %d: %v", i, err)
		}
	}
	if seq, prev := j.next(); seq != 4 || prev != envs[2].Hash {
		t.Errorf("next is %d after %x, want 4 after the third envelope", seq, prev[:4])
	}
	// Appending out of order is refused.
	if err := j.append(envs[0].Bytes, 1, envs[0].Hash); err == nil {
		t.Error("appending seq 1 again succeeded")
	}
}

func TestJournalCutsATornLastFrame(t *testing.T) {
	dk, ck := keys(t)
	envs := chain(t, dk, ck, 0, seal.Hash{}, 3)
	dir, j := journalWith(t, envs)
	j.close()
	path := filepath.Join(dir, journalFile)
	full, _ := os.ReadFile(path)
	two := headerSize + 2*frameOverhead + len(envs[0].Bytes) + len(envs[1].Bytes)
	last := len(full) - two
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"half the length", full[:two+2]},
		{"length only", full[:two+4]},
		{"half the envelope", full[:two+4+last/2]},
		{"no checksum", full[:len(full)-4]},
		{"half the checksum", full[:len(full)-2]},
		{"zeros where the envelope was", append(append(bytes.Clone(full[:two+4]), make([]byte, len(envs[2].Bytes))...), full[len(full)-4:]...)},
		{"a zero length", append(bytes.Clone(full[:two]), 0, 0, 0, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(path, tc.b, 0o600); err != nil {
				t.Fatal(err)
			}
			j, err := openJournal(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer j.close()
			if len(j.frames) != 2 {
				t.Fatalf("%d frames, want the 2 whole ones", len(j.frames))
			}
			if fi, _ := os.Stat(path); fi.Size() != int64(two) {
				t.Errorf("file is %d bytes after opening, want the torn frame cut off at %d", fi.Size(), two)
			}
			// The chain goes on from the last whole frame.
			if err := j.append(envs[2].Bytes, 3, envs[2].Hash); err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(path); !bytes.Equal(got, full) {
				t.Error("appending the third envelope again does not give the whole journal back")
			}
		})
	}
}

func TestJournalRefusesDamage(t *testing.T) {
	dk, ck := keys(t)
	envs := chain(t, dk, ck, 0, seal.Hash{}, 3)
	other := chain(t, dk, ck, 0, seal.Hash{}, 2) // another chain: its second does not follow envs[0]
	s := journalState{frames: []frame{{env: envs[0].Bytes}, {env: envs[1].Bytes}, {env: envs[2].Bytes}}}
	good := s.encode()
	flip := func(off int) []byte { b := bytes.Clone(good); b[off] ^= 1; return b }
	mid := headerSize + frameOverhead + len(envs[0].Bytes) + 10 // inside the second envelope
	broken := journalState{frames: []frame{{env: envs[0].Bytes}, {env: other[1].Bytes}}}
	for _, tc := range []struct {
		name, want string
		b          []byte
	}{
		{"short", "shorter than its 48-byte header", good[:20]},
		{"magic", "offset 0: magic", flip(0)},
		{"version", "offset 3: version", flip(3)},
		{"header checksum", "offset 44: header checksum", flip(7)},
		{"a frame in the middle", "frames follow", flip(mid)},
		{"a chain that breaks", "does not follow the chain", broken.encode()},
		{"a length too large", "frame length", append(bytes.Clone(good[:headerSize]), 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readJournal(tc.b)
			if !errors.Is(err, ErrJournal) || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
				t.Fatalf("got %v, want ErrJournal saying %q", err, tc.want)
			}
		})
	}
}

// TestJournalFormatVector pins the header and frame encoding that
// PROTOCOL.md describes.
func TestJournalFormatVector(t *testing.T) {
	var h seal.Hash
	for i := range h {
		h[i] = byte(i)
	}
	got := hex.EncodeToString((&journalState{base: 7, baseHash: h}).encode())
	const want = "4f584a01" + "0000000000000007" + "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" + "2e66bff0" // CRC-32C, computed independently
	if got != want {
		t.Errorf("header of base 7:\n got %s\nwant %s", got, want)
	}
	if got := hex.EncodeToString(appendFrame(nil, []byte("OX"))); got != "00000002"+"4f58"+"32f33937" {
		t.Errorf("frame of %q: %s", "OX", got)
	}
}

func TestJournalCompactionNeverReusesASeq(t *testing.T) {
	dk, ck := keys(t)
	envs := chain(t, dk, ck, 0, seal.Hash{}, 3)
	dir, j := journalWith(t, envs)
	n, err := j.ack(2, envs[1].Hash)
	if err != nil || n != 2 || len(j.frames) != 1 {
		t.Fatalf("ack 2: dropped %d, %v; %d left", n, err, len(j.frames))
	}
	if _, err := j.ack(3, envs[2].Hash); err != nil {
		t.Fatal(err)
	}
	j.close()
	path := filepath.Join(dir, journalFile)
	if b, _ := os.ReadFile(path); len(b) != headerSize {
		t.Fatalf("compacted to empty, the file is %d bytes, want the %d-byte header", len(b), headerSize)
	}
	j, err = openJournal(dir)
	if err != nil {
		t.Fatal(err)
	}
	if seq, prev := j.next(); seq != 4 || prev != envs[2].Hash {
		t.Fatalf("after compaction to empty and reopening, next is %d after %x: want 4 after the third", seq, prev[:4])
	}
	// The station has seen further (the journal was put back): the chain
	// goes on after what it saw.
	var far seal.Hash
	far[0] = 9
	if _, err := j.ack(10, far); err != nil {
		t.Fatal(err)
	}
	if seq, prev := j.next(); seq != 11 || prev != far {
		t.Errorf("after the station acked 10, next is %d", seq)
	}
	if _, err := j.ack(5, seal.Hash{}); !errors.Is(err, ErrStationBehind) {
		t.Errorf("the station behind the journal's base: %v, want ErrStationBehind", err)
	}
	// A hash that is not the journal's for that seq.
	more := chain(t, dk, ck, 10, far, 2)
	for _, e := range more {
		if err := j.append(e.Bytes, e.Header.Seq, e.Hash); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := j.ack(11, far); !errors.Is(err, ErrJournal) {
		t.Errorf("ack with another hash: %v, want ErrJournal", err)
	}
	j.close()
}

func FuzzReadJournal(f *testing.F) {
	dk, ck := keys(f)
	envs := chain(f, dk, ck, 4, seal.Hash{3}, 2)
	s := journalState{base: 4, baseHash: seal.Hash{3}, frames: []frame{{env: envs[0].Bytes}, {env: envs[1].Bytes}}}
	good := s.encode()
	f.Add(good)
	f.Add(good[:len(good)-3])
	f.Add(good[:headerSize])
	f.Add([]byte("OXJ\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, keep, err := readJournal(b)
		if err != nil {
			return
		}
		if keep > len(b) {
			t.Fatalf("keeps %d of %d bytes", keep, len(b))
		}
		// What it read is exactly the part it keeps.
		if got := s.encode(); !bytes.Equal(got, b[:keep]) {
			t.Fatalf("read %d frames from %d bytes kept, which encode to %d bytes", len(s.frames), keep, len(got))
		}
	})
}

// TestJournalDefersCompaction: acknowledgements that drop less than the
// journal keeps leave the file as it is (a restart sends those frames
// again, as duplicates); one that drops at least what is kept rewrites
// it, and the chain goes on from the acknowledged place either way.
func TestJournalDefersCompaction(t *testing.T) {
	dk, ck := keys(t)
	envs := chain(t, dk, ck, 0, seal.Hash{}, 6)
	dir, j := journalWith(t, envs)
	path := filepath.Join(dir, journalFile)
	size := func() int { b, _ := os.ReadFile(path); return len(b) }
	full := size()
	if _, err := j.ack(2, envs[1].Hash); err != nil || len(j.frames) != 4 || j.base != 2 {
		t.Fatalf("ack 2: %v, %d frames from %d", err, len(j.frames), j.base)
	}
	if size() != full {
		t.Errorf("2 of 6 acknowledged: the file was rewritten (%d bytes of %d)", size(), full)
	}
	if seq, _ := j.next(); seq != 7 {
		t.Errorf("next %d, want 7", seq)
	}
	// Reopened now, the journal sends the two again: the station answers duplicate.
	j.close()
	j2, err := openJournal(dir)
	if err != nil || j2.base != 0 || len(j2.frames) != 6 {
		t.Fatalf("reopened: %v, base %d, %d frames", err, j2.base, len(j2.frames))
	}
	if _, err := j2.ack(2, envs[1].Hash); err != nil || size() != full {
		t.Fatalf("2 of 6 again: %v, %d bytes", err, size())
	}
	if _, err := j2.ack(4, envs[3].Hash); err != nil || size() >= full || len(j2.frames) != 2 {
		t.Fatalf("4 of 6 (drops more than it keeps): %v, %d bytes of %d, %d frames", err, size(), full, len(j2.frames))
	}
	j2.close()
	j3, err := openJournal(dir)
	if err != nil || j3.base != 4 || len(j3.frames) != 2 {
		t.Fatalf("reopened after the rewrite: %v, base %d, %d frames", err, j3.base, len(j3.frames))
	}
	j3.close()
}
