package site

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"onex/client/atomicfile"
	"onex/client/store"
	"onex/exam"
	"onex/exam/credential"
	"onex/exam/seal"
	wire "onex/sync"
)

// Certificates verified offline (issue 16). With every download the site
// asks central for its certificate trust documents (sync.CertificateTrust:
// central's signed manifest, the certificate root's public key, the trust
// list of issuer keys the root signed, the status list an issuer key
// signed), checks them against central's key it holds, and keeps the newest
// in CertificateTrustFile in its data directory. The documents are public
// (no personal data), so the file is plain; it is written whole or not at
// all, and checked again on every read, never trusted as it lies.
//
// VerifyCertificate reads that file alone, so a verifier needs neither the
// site passphrase nor the store (which another process may hold open): it
// checks a certificate's QR text against the trust list and tells its
// status as of the status list's date.

// CertificateTrustFile is the file in a site's data directory that keeps
// the certificate trust documents.
const CertificateTrustFile = "certificate-trust.json"

// keptFormat names the kept file's layout and its version.
const keptFormat = "onex-certificate-trust/1"

// maxCertTrust bounds central's answer and the kept file: two status
// bitstrings at credential.MaxStatusBits compress to far less.
const maxCertTrust = 16 << 20

// Errors of the certificate trust documents, callers decide on.
var (
	// ErrNoCertificateLists: this site holds no certificate trust documents
	// yet (none downloaded), or none that cover the certificate.
	ErrNoCertificateLists = errors.New("no certificate trust lists downloaded yet")
	// ErrCertificateTrust: certificate trust documents failed their checks
	// (central's signature, a part's hash, the root's signature on the trust
	// list, an issuer's on the status list), or the kept file is damaged.
	ErrCertificateTrust = errors.New("certificate trust documents refused")
	// ErrStaleCertificateTrust: central's answer holds an older status list
	// or trust list than the site keeps (an old answer replayed); it is not
	// taken.
	ErrStaleCertificateTrust = errors.New("certificate status list older than the one kept")
)

// certTrust is a set of certificate trust documents that passed every check.
type certTrust struct {
	central *seal.CentralPublicKey
	tl      *credential.TrustList
	sl      *credential.StatusList
	raw     wire.CertificateTrust
}

// openCertTrust checks central's documents against central's key: the
// manifest's signature, that it is the certificate trust manifest (no
// session) listing exactly the three parts with their hashes, the trust list
// against the root, and the status list against the trust list.
func openCertTrust(central *seal.CentralPublicKey, ct *wire.CertificateTrust) (*certTrust, error) {
	pkg, err := seal.OpenPackage(central, ct.Manifest, ct.Parts())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCertificateTrust, err)
	}
	if m := pkg.Manifest(); m.PackageID != wire.CertificateTrustPackage || m.SessionID != "" {
		return nil, fmt.Errorf("%w: manifest is package %q of session %q, not the certificate trust", ErrCertificateTrust, m.PackageID, m.SessionID)
	}
	if len(ct.Root) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: the root key is %d bytes, not %d", ErrCertificateTrust, len(ct.Root), ed25519.PublicKeySize)
	}
	tl, err := credential.OpenTrustList(ct.TrustList, ed25519.PublicKey(ct.Root))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCertificateTrust, err)
	}
	sl, err := credential.OpenStatusList(ct.StatusList, tl)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCertificateTrust, err)
	}
	return &certTrust{central: central, tl: tl, sl: sl, raw: *ct}, nil
}

// keptTrust is the kept file: central's documents as central sent them,
// with central's public key the site held when it took them (so that a
// verifier without the store can check them again) and when it took them.
type keptTrust struct {
	Format     string `json:"format"`
	CentralKey []byte `json:"central_key"`
	wire.CertificateTrust
	Taken time.Time `json:"taken"`
}

// encodeKept is the kept file's bytes for t, taken at taken.
func encodeKept(t *certTrust, taken time.Time) ([]byte, error) {
	return json.MarshalIndent(keptTrust{Format: keptFormat, CentralKey: t.central.Marshal(), CertificateTrust: t.raw, Taken: taken.UTC()}, "", " ")
}

// parseKept reads a kept file's bytes and checks every document again.
func parseKept(b []byte) (*certTrust, time.Time, error) {
	if len(b) > maxCertTrust {
		return nil, time.Time{}, fmt.Errorf("%w: kept file of %d bytes, at most %d", ErrCertificateTrust, len(b), maxCertTrust)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var k keptTrust
	if err := dec.Decode(&k); err != nil {
		return nil, time.Time{}, fmt.Errorf("%w: kept file: %v", ErrCertificateTrust, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, time.Time{}, fmt.Errorf("%w: kept file: data after the JSON value", ErrCertificateTrust)
	}
	if k.Format != keptFormat {
		return nil, time.Time{}, fmt.Errorf("%w: kept file of format %q, not %q", ErrCertificateTrust, k.Format, keptFormat)
	}
	central, err := seal.ParseCentralPublicKey(k.CentralKey)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%w: kept file: central's key: %w", ErrCertificateTrust, err)
	}
	t, err := openCertTrust(central, &k.CertificateTrust)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("kept file: %w", err)
	}
	return t, k.Taken, nil
}

// readKept reads and checks the kept file of the data directory dir;
// ErrNoCertificateLists when there is none.
func readKept(dir string) (*certTrust, time.Time, error) {
	path := filepath.Join(dir, CertificateTrustFile)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, time.Time{}, fmt.Errorf("%w (no %s in %s: download while online)", ErrNoCertificateLists, CertificateTrustFile, dir)
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("certificate trust: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxCertTrust+1))
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("certificate trust: %s: %w", path, err)
	}
	t, taken, err := parseKept(b)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%s: %w", path, err)
	}
	return t, taken, nil
}

// KeptCertificateLists tells of the certificate trust documents kept in
// the data directory dir, checked as for a verification: the status list's
// issue time (statuses are as of then) and when the site took them.
// ErrNoCertificateLists when there are none, ErrCertificateTrust when the
// file is damaged.
func KeptCertificateLists(dir string) (statusAsOf, taken time.Time, err error) {
	t, taken, err := readKept(dir)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	return t.sl.Issued, taken, nil
}

// CertificateTrustResult is what a download did with central's certificate
// trust documents. A failure here does not fail the download of packages.
type CertificateTrustResult struct {
	// Taken: central's documents were checked and kept (their status list
	// is newer than the one held).
	Taken bool `json:"taken"`
	// StatusAsOf is the issue time of the status list the site keeps after
	// the download (zero: none).
	StatusAsOf time.Time `json:"status_as_of,omitzero"`
	// Problem says why nothing was taken: central unreachable or offering
	// none, a check failed, an older list refused. Err is the error.
	Problem string `json:"problem,omitempty"`
	Err     error  `json:"-"`
}

// downloadCertificateTrust asks central for its certificate trust documents
// and keeps them when they pass and are newer than those held. It never
// fails the download: what went wrong is logged and reported.
func (s *Site) downloadCertificateTrust(ctx context.Context, id *store.Identity, central *seal.CentralPublicKey) *CertificateTrustResult {
	res := &CertificateTrustResult{}
	var ct wire.CertificateTrust
	_, err := s.get(ctx, id, wire.PathCertificateTrust, maxCertTrust, &ct)
	if err == nil {
		res.Taken, err = s.takeCertificateTrust(central, &ct)
	}
	if err != nil {
		res.Problem, res.Err = err.Error(), err
		if errors.Is(err, ErrStaleCertificateTrust) {
			s.log.Warn("certificate trust documents not taken: older than those kept (an old answer replayed?)", "err", err)
		} else {
			s.log.Warn("certificate trust documents not taken", "err", err)
		}
	}
	if held, _, err := readKept(s.cfg.Dir); err == nil {
		res.StatusAsOf = held.sl.Issued
	}
	return res
}

// takeCertificateTrust checks central's documents and keeps them unless the
// site holds a status list (or trust list) at least as new: an older one is
// refused with ErrStaleCertificateTrust, the same one is left as it is.
func (s *Site) takeCertificateTrust(central *seal.CentralPublicKey, ct *wire.CertificateTrust) (bool, error) {
	got, err := openCertTrust(central, ct)
	if err != nil {
		return false, err
	}
	s.certMu.Lock()
	defer s.certMu.Unlock()
	held, _, err := readKept(s.cfg.Dir)
	switch {
	case errors.Is(err, ErrNoCertificateLists):
	case err != nil:
		s.log.Warn("kept certificate trust documents are damaged: replacing them", "err", err)
	case !bytes.Equal(held.central.V1().Marshal(), central.V1().Marshal()):
		s.log.Warn("kept certificate trust documents are of another central: replacing them", "kept", held.central.Fingerprint(), "central", central.Fingerprint())
	case got.sl.Issued.Before(held.sl.Issued) || got.tl.Issued.Before(held.tl.Issued):
		return false, fmt.Errorf("%w: central's status list of %s and trust list of %s, the site keeps %s and %s", ErrStaleCertificateTrust,
			got.sl.Issued.In(Beijing).Format(time.DateTime), got.tl.Issued.In(Beijing).Format(time.DateTime),
			held.sl.Issued.In(Beijing).Format(time.DateTime), held.tl.Issued.In(Beijing).Format(time.DateTime))
	case !got.sl.Issued.After(held.sl.Issued):
		return false, nil // the same list again
	}
	b, err := encodeKept(got, s.now())
	if err != nil {
		return false, err
	}
	if err := atomicfile.Write(filepath.Join(s.cfg.Dir, CertificateTrustFile), b, 0o644); err != nil {
		return false, fmt.Errorf("certificate trust: keeping it: %w", err)
	}
	s.log.Info("certificate trust documents kept", "status_as_of", got.sl.Issued, "trust_list", got.tl.Issued, "issuer_keys", len(got.tl.Keys))
	return true, nil
}

// CertificateOutcome is what an offline check of a certificate found.
type CertificateOutcome string

// Outcomes of VerifyCertificate. Only the first three mean the text is a
// certificate central issued; its fields are shown only then.
const (
	CertificateValid     CertificateOutcome = "valid"     // signed by a trusted key; valid as of the status list
	CertificateRevoked   CertificateOutcome = "revoked"   // signed by a trusted key; revoked as of the status list
	CertificateSuspended CertificateOutcome = "suspended" // signed by a trusted key; suspended as of the status list
	// CertificateUntrusted: not signed by a key of the trust list (Refusal
	// says why: an unknown key, a bad signature, a key outside its window).
	CertificateUntrusted CertificateOutcome = "untrusted"
	// CertificateNotText: not a certificate's QR text (Refusal: prefix,
	// base45, malformed).
	CertificateNotText CertificateOutcome = "not-certificate"
	// CertificateNoLists: the site keeps no trust documents (or none that
	// cover this certificate); VerifyCertificate's error says which.
	CertificateNoLists CertificateOutcome = "no-lists"
)

// Why a text was refused (CertificateCheck.Refusal).
const (
	RefusedUnknownKey   = "unknown-key"   // no key of the trust list has its key id
	RefusedBadSignature = "bad-signature" // no key with its id verifies it (altered, or forged)
	RefusedKeyWindow    = "key-window"    // signed when its key was not valid (a key rotated out)
	RefusedPrefix       = "prefix"        // does not start with OX1:
	RefusedBase45       = "base45"        // not Base45 after the prefix
	RefusedMalformed    = "malformed"     // not a credential of the format
)

// CertificateCheck is the result of checking a certificate's QR text
// offline. The certificate's fields are set only when Outcome is valid,
// revoked or suspended.
type CertificateCheck struct {
	Outcome CertificateOutcome `json:"outcome"`
	Refusal string             `json:"refusal,omitempty"` // for untrusted and not-certificate
	Err     error              `json:"-"`                 // the refusal's error, in English

	Number       string     `json:"number,omitempty"`
	Holder       string     `json:"holder,omitempty"`
	Certificate  string     `json:"certificate,omitempty"` // certificate code
	Level        exam.Level `json:"level,omitempty"`
	Organisation string     `json:"organisation,omitempty"`
	Site         string     `json:"site,omitempty"`
	Issued       time.Time  `json:"issued,omitzero"`

	// StatusAsOf is the issue time of the status list the status comes
	// from: the status is as central published it then. StatusBeforeIssue:
	// that list is older than the certificate, so it cannot tell whether
	// the certificate was revoked or suspended since.
	StatusAsOf        time.Time `json:"status_as_of,omitzero"`
	StatusBeforeIssue bool      `json:"status_before_issue,omitempty"`

	// IDChecked: an ID number was given; IDMatches: it is the number the
	// certificate's hash confirms.
	IDChecked bool `json:"id_checked,omitempty"`
	IDMatches bool `json:"id_matches,omitempty"`

	// CentralKey is the fingerprint of central's key that signed the lists
	// used (to compare with the office's sites page); ListsTaken when the
	// site took them.
	CentralKey string    `json:"central_key,omitempty"`
	ListsTaken time.Time `json:"lists_taken,omitzero"`
}

// Verified reports whether the text is a certificate signed by a trusted key
// (whatever its status).
func (c *CertificateCheck) Verified() bool {
	return c.Outcome == CertificateValid || c.Outcome == CertificateRevoked || c.Outcome == CertificateSuspended
}

// VerifyCertificate checks a certificate's QR text offline against the
// certificate trust documents kept in the site's data directory dir: its
// signature by a key of the trust list, valid when it was signed; its status
// in the status list, as of that list's date; and, if idNumber is not empty,
// whether it is the ID number the certificate's salted hash confirms. It
// opens no store and needs no passphrase. The error is nil for every outcome
// but CertificateNoLists (ErrNoCertificateLists, or ErrCertificateTrust for
// a damaged file). Nothing here logs the text or the ID number.
func VerifyCertificate(dir, text, idNumber string) (CertificateCheck, error) {
	return verifyCertificate(dir, text, idNumber, nil)
}

// VerifyCertificate is VerifyCertificate on the site's data directory, and
// refuses kept documents signed by another central than the one this site
// is enrolled with (which the store alone knows).
func (s *Site) VerifyCertificate(ctx context.Context, text, idNumber string) (CertificateCheck, error) {
	id, err := s.identity(ctx)
	if err != nil {
		return CertificateCheck{}, err
	}
	c, err := verifyCertificate(s.cfg.Dir, text, idNumber, id.Central)
	s.log.Info("certificate checked offline", "outcome", c.Outcome, "refusal", c.Refusal)
	return c, err
}

func verifyCertificate(dir, text, idNumber string, central *seal.CentralPublicKey) (CertificateCheck, error) {
	cose, err := credential.Decode(strings.TrimSpace(text))
	if err != nil {
		return refused(CertificateNotText, err), nil
	}
	t, taken, err := readKept(dir)
	if err != nil {
		return CertificateCheck{Outcome: CertificateNoLists}, err
	}
	if central != nil && !bytes.Equal(t.central.V1().Marshal(), central.V1().Marshal()) {
		return CertificateCheck{Outcome: CertificateNoLists}, fmt.Errorf("%w: the kept lists are signed by central key %s, this site is enrolled with %s",
			ErrCertificateTrust, t.central.Fingerprint(), central.Fingerprint())
	}
	claims, err := credential.Verify(cose, t.tl)
	if err != nil {
		c := refused(CertificateUntrusted, err)
		if c.Refusal == RefusedMalformed || c.Refusal == RefusedPrefix || c.Refusal == RefusedBase45 {
			c.Outcome = CertificateNotText
		}
		c.CentralKey, c.ListsTaken = t.central.Fingerprint(), taken
		return c, nil
	}
	status, err := t.sl.Status(claims.StatusIndex)
	if err != nil {
		return CertificateCheck{Outcome: CertificateNoLists}, fmt.Errorf("%w: the status list of %s does not cover certificate %s: %w (download again)",
			ErrNoCertificateLists, t.sl.Issued.In(Beijing).Format(time.DateTime), claims.Number, err)
	}
	c := CertificateCheck{
		Outcome: CertificateValid,
		Number:  claims.Number, Holder: claims.Holder, Certificate: claims.Certificate,
		Organisation: claims.Organisation, Site: claims.Site, Issued: claims.Issued,
		StatusAsOf: t.sl.Issued, StatusBeforeIssue: t.sl.Issued.Before(claims.Issued),
		CentralKey: t.central.Fingerprint(), ListsTaken: taken,
	}
	if claims.Level >= 1 && claims.Level <= len(exam.Levels) {
		c.Level = exam.Levels[claims.Level-1]
	}
	switch status {
	case credential.Revoked:
		c.Outcome = CertificateRevoked
	case credential.Suspended:
		c.Outcome = CertificateSuspended
	}
	if strings.TrimSpace(idNumber) != "" {
		c.IDChecked, c.IDMatches = true, claims.CheckID(idNumber)
	}
	return c, nil
}

// refused is the check of a text refused with err.
func refused(outcome CertificateOutcome, err error) CertificateCheck {
	c := CertificateCheck{Outcome: outcome, Err: err, Refusal: RefusedMalformed}
	for _, r := range []struct {
		err  error
		name string
	}{
		{credential.ErrUnknownKey, RefusedUnknownKey},
		{credential.ErrBadSignature, RefusedBadSignature},
		{credential.ErrKeyWindow, RefusedKeyWindow},
		{credential.ErrPrefix, RefusedPrefix},
		{credential.ErrBase45, RefusedBase45},
	} {
		if errors.Is(err, r.err) {
			c.Refusal = r.name
		}
	}
	return c
}
