package seal

import (
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
)

// Limits of the paper and manifest formats.
const (
	MaxPaperSize = 64 << 20 // bytes of one paper's plaintext
	MaxParts     = 4096     // parts in one package
	MaxPartSize  = 1 << 40  // bytes of one part
	maxID        = 128      // bytes of a paper or package id
	maxPartName  = 255
	keySize      = chacha20poly1305.KeySize
	nonceSize    = chacha20poly1305.NonceSizeX
	tagSize      = chacha20poly1305.Overhead
	sigSize      = ed25519.SignatureSize
)

// SealedPaper is a paper ready for a package: Body holds the paper encrypted
// under its own paper key, Key holds that paper key wrapped under the
// session's release key. Both go into the package as parts. Keeping the key
// apart lets central issue a new unlock code for a session by sending new key
// parts without resending the papers.
type SealedPaper struct {
	Body []byte
	Key  []byte
}

// Paper is an opened paper.
type Paper struct {
	ID        string
	Version   uint32
	SessionID string
	Content   []byte
}

// paperHeader is the clear-text header shared by a paper's body and key part;
// it is the associated data of both.
type paperHeader struct {
	id        string
	version   uint32
	sessionID string
}

func (h paperHeader) check() error {
	if err := checkStr("paper id", h.id, 1, maxID); err != nil {
		return err
	}
	return checkStr("session id", h.sessionID, 1, maxSessionID)
}

func (h paperHeader) append(magic [magicLen]byte) []byte {
	b := appendStr(magic[:], h.id)
	b = binary.BigEndian.AppendUint32(b, h.version)
	return appendStr(b, h.sessionID)
}

func readPaperHeader(r *reader) paperHeader {
	return paperHeader{
		id:        r.str("paper id", 1, maxID),
		version:   r.u32("version"),
		sessionID: r.str("session id", 1, maxSessionID),
	}
}

// SealPaper encrypts paper under a fresh paper key, binding the paper id,
// version and the release key's session, and wraps the paper key under rk.
func SealPaper(paper []byte, paperID string, version uint32, rk *ReleaseKey) (*SealedPaper, error) {
	return sealPaper(rand.Reader, paper, paperID, version, rk)
}

// sealPaper reads the paper key, the body nonce and the key nonce from r.
func sealPaper(r io.Reader, paper []byte, paperID string, version uint32, rk *ReleaseKey) (*SealedPaper, error) {
	h := paperHeader{id: paperID, version: version, sessionID: rk.sessionID}
	if err := h.check(); err != nil {
		return nil, err
	}
	if len(paper) > MaxPaperSize {
		return nil, fmt.Errorf("seal: paper %q is %d bytes, limit %d", paperID, len(paper), MaxPaperSize)
	}
	var random [keySize + 2*nonceSize]byte
	if _, err := io.ReadFull(r, random[:]); err != nil {
		return nil, fmt.Errorf("seal: sealing paper %q: %w", paperID, err)
	}
	paperKey := [keySize]byte(random[:keySize])
	bodyNonce, keyNonce := random[keySize:keySize+nonceSize], random[keySize+nonceSize:]
	return &SealedPaper{
		Body: sealAEAD(&paperKey, h.append(magicPaper), bodyNonce, paper),
		Key:  sealAEAD(&rk.key, h.append(magicPaperKey), keyNonce, paperKey[:]),
	}, nil
}

// xchacha returns XChaCha20-Poly1305 under key.
func xchacha(key *[keySize]byte) cipher.AEAD {
	aead, err := chacha20poly1305.NewX(key[:])
	if err != nil {
		panic("seal: " + err.Error()) // unreachable: NewX fails only on a key of the wrong size
	}
	return aead
}

// sealAEAD returns header | nonce | uint32 length | XChaCha20-Poly1305
// ciphertext, with header as the associated data.
func sealAEAD(key *[keySize]byte, header, nonce, plaintext []byte) []byte {
	aead := xchacha(key)
	b := make([]byte, 0, len(header)+nonceSize+4+len(plaintext)+tagSize)
	b = append(b, header...)
	b = append(b, nonce...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(plaintext)+tagSize))
	return aead.Seal(b, nonce, plaintext, header)
}

// readAEAD reads nonce | uint32 length | ciphertext to the end of r, with
// the ciphertext's plaintext at most limit bytes.
func readAEAD(r *reader, limit int) (nonce, ciphertext []byte) {
	nonce = r.bytes("nonce", nonceSize)
	start := r.off
	n := r.u32("ciphertext length")
	if r.err == nil && (n < tagSize || int64(n) > int64(limit)+tagSize) {
		r.failAt(start, "ciphertext length", "%d outside %d to %d", n, tagSize, limit+tagSize)
	}
	ciphertext = r.bytes("ciphertext", int(n))
	return nonce, ciphertext
}

func openAEAD(key *[keySize]byte, header, nonce, ciphertext []byte) ([]byte, error) {
	return xchacha(key).Open(nil, nonce, ciphertext, header)
}

// openPaper decrypts a body and key part: both must be for the same paper,
// and for the session of rk.
func openPaper(body, key []byte, rk *ReleaseKey) (*Paper, error) {
	br := newReader("sealed paper", body, magicPaper)
	bh := readPaperHeader(br)
	bodyHeader := body[:br.off]
	bodyNonce, bodyCT := readAEAD(br, MaxPaperSize)
	if err := br.end(); err != nil {
		return nil, err
	}
	kr := newReader("paper key", key, magicPaperKey)
	kh := readPaperHeader(kr)
	keyHeader := key[:kr.off]
	keyNonce, keyCT := readAEAD(kr, keySize)
	if err := kr.end(); err != nil {
		return nil, err
	}
	if kh != bh {
		return nil, fmt.Errorf("%w: key part is for paper %q version %d of session %q, body is paper %q version %d of session %q",
			ErrWrongPaper, kh.id, kh.version, kh.sessionID, bh.id, bh.version, bh.sessionID)
	}
	if bh.sessionID != rk.sessionID {
		return nil, fmt.Errorf("%w: paper %q is for session %q, release key for %q", ErrWrongSession, bh.id, bh.sessionID, rk.sessionID)
	}
	paperKey, err := openAEAD(&rk.key, keyHeader, keyNonce, keyCT)
	if err != nil || len(paperKey) != keySize {
		return nil, fmt.Errorf("%w: key of paper %q: wrong release key or altered key part", ErrDecrypt, bh.id)
	}
	content, err := openAEAD((*[keySize]byte)(paperKey), bodyHeader, bodyNonce, bodyCT)
	if err != nil {
		return nil, fmt.Errorf("%w: paper %q: altered body", ErrDecrypt, bh.id)
	}
	return &Paper{ID: bh.id, Version: bh.version, SessionID: bh.sessionID, Content: content}, nil
}

// Manifest lists every part of a package. Central signs it; a device uses no
// part that the signed manifest does not list with that size and hash.
type Manifest struct {
	PackageID string    // 1 to 128 bytes
	SessionID string    // the session the package is for; empty if none
	Created   time.Time // set by central
	// Version grows with every package central makes (its package cursor),
	// so a device can tell an older package of a session from a newer one.
	// A version 1 manifest has none and reads as 0.
	Version uint64
	Parts   []Part // sorted by name when signed
}

// Part is one file of a package.
type Part struct {
	Name   string // 1 to 255 bytes of A-Z a-z 0-9 . _ - /, a relative slash-separated path
	Size   int64
	SHA256 Hash
}

// NewPart describes data as the part name.
func NewPart(name string, data []byte) Part {
	return Part{Name: name, Size: int64(len(data)), SHA256: sum(data)}
}

func checkPartName(name string) error {
	if err := checkStr("part name", name, 1, maxPartName); err != nil {
		return err
	}
	if i := strings.IndexFunc(name, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-/", r))
	}); i >= 0 || !fs.ValidPath(name) {
		return fmt.Errorf("seal: part name %q is not a plain relative path", name)
	}
	return nil
}

func (m *Manifest) check() error {
	if err := checkStr("package id", m.PackageID, 1, maxID); err != nil {
		return err
	}
	if err := checkStr("session id", m.SessionID, 0, maxSessionID); err != nil {
		return err
	}
	if err := checkTime("manifest created", m.Created); err != nil {
		return err
	}
	if len(m.Parts) > MaxParts {
		return fmt.Errorf("seal: %d parts, limit %d", len(m.Parts), MaxParts)
	}
	for i, p := range m.Parts {
		if err := checkPartName(p.Name); err != nil {
			return err
		}
		if p.Size < 0 || p.Size > MaxPartSize {
			return fmt.Errorf("seal: part %q size %d outside 0 to %d", p.Name, p.Size, int64(MaxPartSize))
		}
		if i > 0 && m.Parts[i-1].Name >= p.Name {
			return fmt.Errorf("seal: part %q listed twice or out of order", p.Name)
		}
	}
	return nil
}

// SignManifest encodes m with its parts sorted by name and signs it.
func SignManifest(ck *CentralKeys, m *Manifest) ([]byte, error) {
	sorted := *m
	sorted.Parts = slices.SortedFunc(slices.Values(m.Parts), func(a, b Part) int { return strings.Compare(a.Name, b.Name) })
	b, err := encodeManifest(&sorted)
	if err != nil {
		return nil, err
	}
	return append(b, ed25519.Sign(ck.sign, b)...), nil
}

// encodeManifest encodes the signed part of a manifest.
func encodeManifest(m *Manifest) ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	b := appendStr(magicManifest[:], m.PackageID)
	b = appendStr(b, m.SessionID)
	b = appendTime(b, m.Created)
	b = binary.BigEndian.AppendUint64(b, m.Version)
	b = binary.BigEndian.AppendUint32(b, uint32(len(m.Parts)))
	for _, p := range m.Parts {
		b = appendStr(b, p.Name)
		b = binary.BigEndian.AppendUint64(b, uint64(p.Size))
		b = append(b, p.SHA256[:]...)
	}
	return b, nil
}

// OpenManifest checks central's signature on a manifest, then decodes it.
// It reads versions 1 and 2.
func OpenManifest(pub *CentralPublicKey, b []byte) (*Manifest, error) {
	signed, err := pub.signedPart(newReaderSince("manifest", b, magicManifest, 1), b)
	if err != nil {
		return nil, err
	}
	return parseManifest(signed)
}

// signedPart checks that b, whose magic r has read, ends in a signature by
// central over the rest, and returns the rest.
func (pub *CentralPublicKey) signedPart(r *reader, b []byte) ([]byte, error) {
	if r.err == nil && len(b) < magicLen+sigSize {
		r.fail("signature", "%s is %d bytes, too short", r.format, len(b))
	}
	if r.err != nil {
		return nil, r.err
	}
	signed, sig := b[:len(b)-sigSize], b[len(b)-sigSize:]
	if !ed25519.Verify(pub.sign, signed, sig) {
		return nil, fmt.Errorf("%w: %s not signed by central key %s", ErrBadSignature, r.format, pub.Fingerprint())
	}
	return signed, nil
}

// parseManifest decodes the signed part of a manifest, version 1 or 2.
func parseManifest(b []byte) (*Manifest, error) {
	r := newReaderSince("manifest", b, magicManifest, 1)
	m := &Manifest{
		PackageID: r.str("package id", 1, maxID),
		SessionID: r.str("session id", 0, maxSessionID),
		Created:   r.time("created"),
	}
	if r.err == nil && r.version() >= 2 {
		m.Version = r.u64("version")
	}
	start := r.off
	n := r.u32("part count")
	if r.err == nil && n > MaxParts {
		r.failAt(start, "part count", "%d parts, limit %d", n, MaxParts)
	}
	for i := 0; r.err == nil && i < int(n); i++ {
		start := r.off
		p := Part{Name: r.str("part name", 1, maxPartName)}
		size := r.u64("part size")
		p.SHA256 = r.hash("part hash")
		if r.err != nil {
			break
		}
		p.Size = int64(size)
		if err := checkPartName(p.Name); err != nil {
			r.failAt(start, "part name", "%v", err)
		}
		if size > MaxPartSize {
			r.failAt(start, "part size", "%d, limit %d", size, int64(MaxPartSize))
		}
		if i > 0 && m.Parts[i-1].Name >= p.Name {
			r.failAt(start, "part name", "%q listed twice or out of order", p.Name)
		}
		m.Parts = append(m.Parts, p)
	}
	if err := r.end(); err != nil {
		return nil, err
	}
	return m, nil
}

// Package is a package whose manifest central signed and whose parts match
// it. Only OpenPackage makes one.
type Package struct {
	manifest *Manifest
	parts    map[string][]byte
}

// OpenPackage checks the manifest's signature, then that parts holds exactly
// the listed parts with the listed sizes and hashes. It fails closed: any
// missing, extra or altered part is an error.
func OpenPackage(pub *CentralPublicKey, manifest []byte, parts map[string][]byte) (*Package, error) {
	m, err := OpenManifest(pub, manifest)
	if err != nil {
		return nil, err
	}
	if len(parts) != len(m.Parts) {
		for name := range parts {
			if !slices.ContainsFunc(m.Parts, func(p Part) bool { return p.Name == name }) {
				return nil, fmt.Errorf("%w: %q is not in package %q", ErrBadPart, name, m.PackageID)
			}
		}
	}
	kept := make(map[string][]byte, len(m.Parts))
	for _, p := range m.Parts {
		data, ok := parts[p.Name]
		switch {
		case !ok:
			return nil, fmt.Errorf("%w: package %q lacks part %q", ErrBadPart, m.PackageID, p.Name)
		case int64(len(data)) != p.Size:
			return nil, fmt.Errorf("%w: part %q is %d bytes, manifest says %d", ErrBadPart, p.Name, len(data), p.Size)
		case sum(data) != p.SHA256:
			return nil, fmt.Errorf("%w: part %q does not match its hash", ErrBadPart, p.Name)
		}
		kept[p.Name] = data
	}
	return &Package{manifest: m, parts: kept}, nil
}

// Manifest returns a copy of the package's verified manifest.
func (p *Package) Manifest() *Manifest {
	m := *p.manifest
	m.Parts = slices.Clone(m.Parts)
	return &m
}

// Part returns the verified bytes of a part.
func (p *Package) Part(name string) ([]byte, error) {
	data, ok := p.parts[name]
	if !ok {
		return nil, fmt.Errorf("%w: package %q has no part %q", ErrBadPart, p.manifest.PackageID, name)
	}
	return data, nil
}

// OpenPaper decrypts the paper sealed in the parts named body and key. The
// paper must be for the package's session and rk for the same session.
func (p *Package) OpenPaper(body, key string, rk *ReleaseKey) (*Paper, error) {
	if rk.sessionID != p.manifest.SessionID {
		return nil, fmt.Errorf("%w: release key is for session %q, package %q for %q", ErrWrongSession, rk.sessionID, p.manifest.PackageID, p.manifest.SessionID)
	}
	b, err := p.Part(body)
	if err != nil {
		return nil, err
	}
	k, err := p.Part(key)
	if err != nil {
		return nil, err
	}
	return openPaper(b, k, rk)
}
