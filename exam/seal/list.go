package seal

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
)

// PackageList is central's signed account of one answer to a device's
// package request: the request it answers (by the hash of the message the
// device signed), the packages in the answer and the cursor to ask with
// next. Bound to one request, it cannot be replayed to another; listing
// every package by version and manifest hash, it lets no package be taken
// out of the answer or an older one be put in.
type PackageList struct {
	Request  Hash     // SHA-256 of the device's signed request message
	Cursor   uint64   // the cursor to ask with next; at least every listed version
	Packages []Listed // strictly increasing by session id
}

// Listed is one package of a PackageList.
type Listed struct {
	SessionID string // 1 to 128 bytes
	Version   uint64 // the manifest's version, at least 1
	Manifest  Hash   // ManifestHash of the signed manifest
}

// ManifestHash is the hash a PackageList gives of a signed manifest.
func ManifestHash(manifest []byte) Hash { return sum(manifest) }

func (l *PackageList) check() error {
	if len(l.Packages) > MaxParts {
		return fmt.Errorf("seal: package list of %d packages, limit %d", len(l.Packages), MaxParts)
	}
	for i, p := range l.Packages {
		if err := checkStr("listed session id", p.SessionID, 1, maxSessionID); err != nil {
			return err
		}
		if i > 0 && l.Packages[i-1].SessionID >= p.SessionID {
			return fmt.Errorf("seal: package list: session %q listed twice or out of order", p.SessionID)
		}
		if p.Version == 0 || p.Version > l.Cursor {
			return fmt.Errorf("seal: package list: session %q version %d outside 1 to the cursor %d", p.SessionID, p.Version, l.Cursor)
		}
	}
	return nil
}

// SignPackageList encodes l and signs it with central's key.
func SignPackageList(ck *CentralKeys, l *PackageList) ([]byte, error) {
	if err := l.check(); err != nil {
		return nil, err
	}
	b := append(magicList[:], l.Request[:]...)
	b = binary.BigEndian.AppendUint64(b, l.Cursor)
	b = binary.BigEndian.AppendUint32(b, uint32(len(l.Packages)))
	for _, p := range l.Packages {
		b = appendStr(b, p.SessionID)
		b = binary.BigEndian.AppendUint64(b, p.Version)
		b = append(b, p.Manifest[:]...)
	}
	return append(b, ed25519.Sign(ck.sign, b)...), nil
}

// OpenPackageList checks central's signature on a package list, then
// decodes it.
func OpenPackageList(pub *CentralPublicKey, b []byte) (*PackageList, error) {
	signed, err := pub.signedPart(newReader("package list", b, magicList), b)
	if err != nil {
		return nil, err
	}
	return parsePackageList(signed)
}

// parsePackageList decodes the signed part of a package list.
func parsePackageList(b []byte) (*PackageList, error) {
	r := newReader("package list", b, magicList)
	l := &PackageList{Request: r.hash("request"), Cursor: r.u64("cursor")}
	start := r.off
	n := r.u32("count")
	if r.err == nil && n > MaxParts {
		r.failAt(start, "count", "%d packages, limit %d", n, MaxParts)
	}
	for i := 0; r.err == nil && i < int(n); i++ {
		l.Packages = append(l.Packages, Listed{SessionID: r.str("session id", 1, maxSessionID), Version: r.u64("version"), Manifest: r.hash("manifest hash")})
	}
	if err := r.end(); err != nil {
		return nil, err
	}
	if err := l.check(); err != nil {
		return nil, fmt.Errorf("%w package list: %v", ErrFormat, err)
	}
	return l, nil
}
