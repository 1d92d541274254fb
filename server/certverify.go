package server

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/width"

	"onex/exam"
	"onex/exam/credential"
	"onex/exam/vc"
	osync "onex/sync"
)

// PublicCertificate is what central tells anyone who verifies a
// certificate: the certificate's own fields and its status now, never the
// ticket, the session, the ID number's hash or salt, nor why its status
// changed.
type PublicCertificate struct {
	Number, HolderName, CertCode, CertName, OrgName, SiteName string
	Level                                                     exam.Level
	Issued                                                    time.Time
	Status                                                    credential.Status
	StatusAsOf                                                time.Time // central's clock when the status was read
}

// Outcomes of a verification besides a certificate, ErrNotFound and a
// *ThrottledError.
var (
	// ErrCertificateText: the text is not a certificate's QR text central
	// signed (malformed, altered, signed by a key central does not trust or
	// outside its window, or at odds with central's record of its number).
	// It wraps the credential error that says why.
	ErrCertificateText = errors.New("not a valid certificate text")
	// ErrCertificateUnknown: the text is validly signed by central's issuer
	// key, but central keeps no certificate of its number (a database
	// restored from before the issue, or a signing key that leaked).
	ErrCertificateUnknown = errors.New("a validly signed certificate central has no record of")
	// ErrVerifyInput: a lookup without both the number and the name, or an
	// empty text.
	ErrVerifyInput = errors.New("give the certificate number and the holder's name, or the QR text")
)

// verifyThrottle slows an address whose verifications find nothing (an
// unknown number, a name that does not match, a text that is no
// certificate): an office checking a pile of certificates and mistyping now
// and then stays free, an enumerator waits, then is locked out.
var verifyThrottle = throttle{free: 10, lockAt: 40, maxWait: 30 * time.Second, lock: 15 * time.Minute}

func verifyKey(from string) throttled {
	return throttled{what: "certificate verifications from address " + from, key: "verify-addr\n" + from, policy: verifyThrottle}
}

// normaliseNumber folds a typed certificate number to the form central
// writes: full-width forms to ASCII, no white space, upper case.
func normaliseNumber(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(width.Narrow.String(s)), ""))
}

// nameDots are the marks typed for the middle dot of a transliterated name
// (阿依古丽·买买提).
var nameDots = strings.NewReplacer("•", "·", "・", "·", "．", "·", ".", "·", "‧", "·")

// normaliseName folds a typed name for comparison: white space removed,
// full-width Latin to ASCII, the middle dot's variants to U+00B7.
func normaliseName(s string) string {
	return nameDots.Replace(strings.Join(strings.Fields(width.Narrow.String(s)), ""))
}

func publicOf(c Certificate, asOf time.Time) PublicCertificate {
	return PublicCertificate{Number: c.Number, HolderName: c.HolderName, CertCode: c.CertCode, CertName: c.CertName,
		OrgName: c.OrgName, SiteName: c.SiteName, Level: c.Level, Issued: c.Issued, Status: c.Status, StatusAsOf: asOf}
}

// LookupCertificate finds a certificate by its number and its holder's
// name, as typed (spaces, full-width letters and digits, case folded): both
// must match or it is ErrNotFound, which never says which did not. A lookup
// that finds nothing strikes the address (verifyThrottle); while it must
// wait, every lookup from it is a *ThrottledError, unchecked.
func (c *Central) LookupCertificate(ctx context.Context, number, name, from string) (PublicCertificate, error) {
	number, name = normaliseNumber(number), normaliseName(name)
	if number == "" || name == "" {
		return PublicCertificate{}, AsInput(ErrVerifyInput)
	}
	addr := verifyKey(from)
	if err := c.checkThrottles(ctx, addr); err != nil {
		return PublicCertificate{}, err
	}
	cert, err := c.Certificate(ctx, number)
	if err == nil && subtle.ConstantTimeCompare([]byte(normaliseName(cert.HolderName)), []byte(name)) != 1 {
		err = fmt.Errorf("certificate %s with another holder's name: %w", number, ErrNotFound)
	}
	if errors.Is(err, ErrNotFound) {
		if serr := c.strike(ctx, addr); serr != nil {
			return PublicCertificate{}, serr
		}
		return PublicCertificate{}, fmt.Errorf("no certificate of that number and name: %w", ErrNotFound)
	}
	if err != nil {
		return PublicCertificate{}, fmt.Errorf("lookup certificate: %w", err)
	}
	return publicOf(cert, c.now()), nil
}

// VerifyCertificateText checks a certificate's QR text (OX1:…) against
// central's trust list of issuer keys, then reads its status now from
// central's record. A text that does not verify, or whose claims differ from
// central's record of the number, is ErrCertificateText (wrapping the
// credential error) and strikes the address like a lookup that finds
// nothing; a valid signature over a number central has no record of is
// ErrCertificateUnknown, with the claims' fields (status unknown).
func (c *Central) VerifyCertificateText(ctx context.Context, text, from string) (PublicCertificate, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return PublicCertificate{}, AsInput(ErrVerifyInput)
	}
	addr := verifyKey(from)
	if err := c.checkThrottles(ctx, addr); err != nil {
		return PublicCertificate{}, err
	}
	claims, err := c.verifyText(ctx, text)
	var cert Certificate
	if err == nil {
		cert, err = c.Certificate(ctx, claims.Number)
		if errors.Is(err, ErrNotFound) {
			return PublicCertificate{Number: claims.Number, HolderName: claims.Holder, CertCode: claims.Certificate,
				OrgName: claims.Organisation, SiteName: claims.Site, Level: levelOf(claims.Level), Issued: claims.Issued,
				StatusAsOf: c.now()}, fmt.Errorf("certificate %s: %w", claims.Number, ErrCertificateUnknown)
		}
		if err != nil {
			return PublicCertificate{}, fmt.Errorf("verify certificate: %w", err)
		}
		if !sameClaims(cert, claims) {
			err = fmt.Errorf("%w: certificate %s: the text's claims differ from central's record", ErrCertificateText, claims.Number)
		}
	}
	if err != nil {
		if errors.Is(err, ErrCertificateText) {
			if serr := c.strike(ctx, addr); serr != nil {
				return PublicCertificate{}, serr
			}
		}
		return PublicCertificate{}, err
	}
	return publicOf(cert, c.now()), nil
}

// maxCertificateText bounds a text before it is decoded: a QR code of
// version 15-Q holds 426 characters (exam/credential/FORMAT.md).
const maxCertificateText = 1024

// verifyText verifies text against central's trust list now (every
// issuer key with its window; read, not signed, so it costs no signature).
func (c *Central) verifyText(ctx context.Context, text string) (*credential.Claims, error) {
	if len(text) > maxCertificateText {
		return nil, fmt.Errorf("%w: %w: %d bytes, a certificate's text has at most %d", ErrCertificateText, credential.ErrMalformed, len(text), maxCertificateText)
	}
	tl, err := c.TrustList(ctx)
	if err != nil {
		return nil, fmt.Errorf("verify certificate: %w", err)
	}
	claims, err := credential.VerifyText(text, tl)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCertificateText, err)
	}
	return claims, nil
}

// sameClaims reports whether a verified text states what central recorded.
func sameClaims(cert Certificate, cl *credential.Claims) bool {
	return cert.HolderName == cl.Holder && bytes.Equal(cert.IDSalt, cl.IDSalt) && bytes.Equal(cert.IDHash, cl.IDHash) &&
		cert.StatusIndex == cl.StatusIndex && cert.Issued.Unix() == cl.Issued.Unix() && cert.CertCode == cl.Certificate
}

// levelOf is the level a credential's claim 6 names.
func levelOf(n int) exam.Level {
	if n >= 1 && n <= len(exam.Levels) {
		return exam.Levels[n-1]
	}
	return exam.Level(fmt.Sprint(n))
}

// CertificateCacheFor is how long central serves the same signed trust and
// status documents to anyone (/verify/trust, /verify/status-list) before it
// signs them again: a status change reaches them within it, and no load
// makes central sign more than once in it.
const CertificateCacheFor = time.Minute

// StatusListValidFor is a status list credential's validity (validUntil -
// validFrom): a copy kept from before a revocation stops being valid a day
// on, whatever a verifier's cache does.
const StatusListValidFor = 24 * time.Hour

// StatusListURL is the URL of the status list credential of purpose under
// issuer id base (what a certificate's VC names as statusListCredential).
func StatusListURL(base, purpose string) string {
	u := strings.TrimRight(base, "/") + StatusListPath
	if purpose == vc.PurposeSuspension {
		u += "?purpose=" + purpose
	}
	return u
}

// certCache holds what central signed for anyone, for CertificateCacheFor.
// One caller signs at a time; the others wait and take its result.
type certCache struct {
	mu    sync.Mutex
	trust cachedDoc[osync.CertificateTrust]
	lists map[string]cachedDoc[string] // by purpose: the status list credential token
}

type cachedDoc[T any] struct {
	doc T
	at  time.Time
}

// fresh reports whether a document made at at may still be served now.
func fresh(at, now time.Time) bool {
	return !at.IsZero() && !now.Before(at) && now.Sub(at) < CertificateCacheFor
}

// PublicCertificateTrust is CertificateTrust as central serves it to anyone
// at /verify/trust: made at most once per CertificateCacheFor, with the time
// it was made.
func (c *Central) PublicCertificateTrust(ctx context.Context) (osync.CertificateTrust, time.Time, error) {
	k := &c.verifyCache
	k.mu.Lock()
	defer k.mu.Unlock()
	now := c.now()
	if fresh(k.trust.at, now) {
		return k.trust.doc, k.trust.at, nil
	}
	docs, err := c.CertificateTrust(ctx)
	if err != nil {
		return osync.CertificateTrust{}, time.Time{}, fmt.Errorf("certificate trust: %w", err)
	}
	k.trust = cachedDoc[osync.CertificateTrust]{docs, now}
	return docs, now, nil
}

// StatusListCredential is the W3C BitstringStatusListCredential of purpose
// (vc.PurposeRevocation or vc.PurposeSuspension) as a VC-JOSE token signed
// by the issuer key in its window now: central's status bits, read at most
// once per CertificateCacheFor, valid StatusListValidFor. Another purpose is
// ErrInput.
func (c *Central) StatusListCredential(ctx context.Context, purpose string) (string, time.Time, error) {
	if purpose != vc.PurposeRevocation && purpose != vc.PurposeSuspension {
		return "", time.Time{}, inputf("status purpose %q: only %s and %s", purpose, vc.PurposeRevocation, vc.PurposeSuspension)
	}
	k := &c.verifyCache
	k.mu.Lock()
	defer k.mu.Unlock()
	now := c.now()
	if d := k.lists[purpose]; fresh(d.at, now) {
		return d.doc, d.at, nil
	}
	tok, err := c.signStatusListCredential(ctx, purpose, now)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("status list credential (%s): %w", purpose, err)
	}
	if k.lists == nil {
		k.lists = map[string]cachedDoc[string]{}
	}
	k.lists[purpose] = cachedDoc[string]{tok, now}
	return tok, now, nil
}

func (c *Central) signStatusListCredential(ctx context.Context, purpose string, now time.Time) (string, error) {
	sl, err := c.StatusList(ctx)
	if err != nil {
		return "", err
	}
	bits := sl.Revocation
	if purpose == vc.PurposeSuspension {
		bits = sl.Suspension
	}
	// The issuer key valid at validFrom: a rotation meanwhile never leaves
	// the list dated outside its key's window.
	ik, err := c.issuerKeyAt(ctx, now)
	if err != nil {
		return "", err
	}
	base := c.PublicURL()
	cred, err := vc.NewStatusList(vc.Issuer{ID: base, Name: StatusListIssuerName}, vc.StatusListOf{URL: StatusListURL(base, purpose),
		Purpose: purpose, EncodedList: bits.Encode(), Issued: now, ValidFor: StatusListValidFor, TTL: CertificateCacheFor})
	if err != nil {
		return "", err
	}
	return vc.SignStatusList(cred, hex.EncodeToString(ik.issuer.KeyID()), ik.key)
}

// issuerKeyAt is the issuer key valid at the second of at (one made if
// there is none now), with its private half for VC-JOSE.
func (c *Central) issuerKeyAt(ctx context.Context, at time.Time) (*issuerKey, error) {
	if _, err := c.ensureIssuer(ctx, "central"); err != nil {
		return nil, err
	}
	k, err := c.db.IssuerKeyAt(ctx, at.Truncate(time.Second))
	if err != nil {
		return nil, err
	}
	return c.openIssuerKey(k)
}

// StatusListIssuerName is the issuer's name in the status list credentials,
// which cover every organisation's certificates (a certificate's VC names
// its organisation; both have central's public URL as issuer id).
const StatusListIssuerName = "OneX 证书信息管理服务平台"

// CertificateTextWhy names why err (an ErrCertificateText) refused a text,
// for a page to say in its own words: "prefix", "base45", "malformed",
// "key", "signature", "window", or "record" (the claims differ from
// central's record).
func CertificateTextWhy(err error) string {
	for _, w := range []struct {
		err error
		why string
	}{
		{credential.ErrPrefix, "prefix"}, {credential.ErrBase45, "base45"}, {credential.ErrMalformed, "malformed"},
		{credential.ErrUnknownKey, "key"}, {credential.ErrBadSignature, "signature"}, {credential.ErrKeyWindow, "window"},
	} {
		if errors.Is(err, w.err) {
			return w.why
		}
	}
	return "record"
}
