package server

// Certificates (issue 16): issued from approved, passing results; each is
// signed twice with the issuer key valid at its issue time — the compact
// credential of its QR code (exam/credential) and a W3C verifiable credential
// (exam/vc) — and kept with its number, status-list index and status. The
// issuer keys are listed, with their validity windows, in a trust list the
// certificate root signs; statuses are published in a status list the
// current issuer key signs. docs/certificates.md tells how to run it.

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"onex/exam"
	"onex/exam/credential"
	"onex/exam/seal"
	"onex/exam/vc"
	"onex/server/certpdf"
	"onex/server/store"
	osync "onex/sync"
)

// DefaultPublicURL is central's public address when Config.PublicURL is
// not given: the demo's, over HTTPS. Set serve --public-url in production.
const DefaultPublicURL = "https://localhost:8080"

// IssuerKeyLifetime is how long a new issuer key's window lasts, unless a
// rotation ends it sooner.
const IssuerKeyLifetime = 5 * 365 * 24 * time.Hour

// StatusListPath is where the VC status list credential is served, under
// the public URL.
const StatusListPath = "/verify/status-list"

// Certificate is an issued certificate as central keeps it.
type Certificate struct {
	Number            string // "<cert code>-<level 1|2|3>-<year>-<serial, 6 digits>", e.g. "WEB-2-2026-000123": serial per (code, level, year), never reused
	SessionID, Ticket string
	HolderName        string
	IDSalt, IDHash    []byte // credential.HashID(salt, ID number); the number is never stored with the certificate
	CertCode          string
	CertName          string
	OrgName           string
	SiteName          string
	Level             exam.Level
	Issued            time.Time         // signing time, whole seconds
	StatusIndex       uint32            // index in the status list
	KeyID             []byte            // issuer key id
	Status            credential.Status // Valid, Revoked, Suspended
	Reason            string            // of the last status change
	StatusAt          time.Time
	StatusBy          string
	QR                string // the OX1: text
	VC                string // the vc+jwt token
	IssuedBy          string
}

// CertifySkip is a result Certify issued no certificate for, and why (in
// Chinese, for the office).
type CertifySkip struct {
	Ticket string
	Why    string
}

// CertifyReport is what Certify did.
type CertifyReport struct {
	Issued  []Certificate
	Skipped []CertifySkip
}

// Reasons Certify skips a result.
const (
	SkipAbsent      = "缺考"
	SkipNotApproved = "成绩未审定"
	SkipFailed      = "未合格"
	SkipCertified   = "已发证"
	SkipLapsed      = "审定已失效（有新的复核）"
)

// ErrReasonRequired is a status change without a reason.
var ErrReasonRequired = errors.New("a reason is required")

// StatusChangeError is a status change the certificate's status now does
// not allow (errors.Is(err, ErrInput)).
type StatusChangeError struct {
	Number   string
	From, To credential.Status
}

func (e *StatusChangeError) Error() string {
	switch {
	case e.From == credential.Revoked:
		return fmt.Sprintf("certificate %s is revoked, which is final", e.Number)
	case e.To == credential.Valid:
		return fmt.Sprintf("certificate %s is %s: only a suspended certificate is reinstated", e.Number, e.From)
	}
	return fmt.Sprintf("certificate %s is %s already", e.Number, e.From)
}

// Is makes errors.Is(err, ErrInput) true.
func (e *StatusChangeError) Is(target error) bool { return target == ErrInput }

// StatusChangeAllowed is the rule of certificate status: revocation is
// final; a valid certificate may be suspended or revoked, a suspended one
// reinstated (made valid) or revoked; nothing changes to what it is.
func StatusChangeAllowed(from, to credential.Status) bool {
	switch {
	case from == credential.Revoked || from == to:
		return false
	case to == credential.Valid:
		return from == credential.Suspended
	}
	return to == credential.Revoked || to == credential.Suspended
}

var statusNames = map[credential.Status]string{credential.Valid: store.CertValid, credential.Suspended: store.CertSuspended, credential.Revoked: store.CertRevoked}

func statusOf(name string) (credential.Status, error) {
	for s, n := range statusNames {
		if n == name {
			return s, nil
		}
	}
	return 0, fmt.Errorf("certificate status %q unknown", name)
}

func certificateOf(s store.Certificate) (Certificate, error) {
	st, err := statusOf(s.Status)
	if err != nil {
		return Certificate{}, fmt.Errorf("certificate %s: %w", s.Number, err)
	}
	return Certificate{Number: s.Number, SessionID: s.SessionID, Ticket: s.Ticket, HolderName: s.HolderName, IDSalt: s.IDSalt, IDHash: s.IDHash,
		CertCode: s.CertCode, CertName: s.CertName, OrgName: s.OrgName, SiteName: s.SiteName, Level: s.Level, Issued: s.Issued,
		StatusIndex: s.StatusIndex, KeyID: s.KeyID, Status: st, Reason: s.Reason, StatusAt: s.StatusAt, StatusBy: s.StatusBy,
		QR: s.QR, VC: s.VC, IssuedBy: s.IssuedBy}, nil
}

func certificatesOf(ss []store.Certificate) ([]Certificate, error) {
	out := make([]Certificate, len(ss))
	for i, s := range ss {
		var err error
		if out[i], err = certificateOf(s); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// certState is what Central keeps for certificates: its public URL, the
// issuer keys opened, and the PDF renderer once made.
type certState struct {
	publicURL string
	mu        sync.Mutex
	issuers   map[string]*issuerKey // hex kid -> opened key
	pdfOnce   sync.Once
	pdf       *certpdf.Renderer
	pdfErr    error
}

type issuerKey struct {
	issuer *credential.Issuer
	key    ed25519.PrivateKey
}

func newCertState(publicURL string) certState {
	if publicURL == "" {
		publicURL = DefaultPublicURL
	}
	return certState{publicURL: strings.TrimRight(publicURL, "/"), issuers: map[string]*issuerKey{}}
}

// PublicURL is central's public address (Config.PublicURL).
func (c *Central) PublicURL() string { return c.certs.publicURL }

// levelDigit is a level's digit in certificate numbers: 1, 2 or 3.
func levelDigit(l exam.Level) int {
	for i, v := range exam.Levels {
		if v == l {
			return i + 1
		}
	}
	return 0
}

// CertificateNumber makes a certificate number: "<code>-<level digit>-<year>-<serial, 6 digits>".
func CertificateNumber(code string, level exam.Level, year int, serial int64) string {
	return fmt.Sprintf("%s-%d-%d-%06d", code, levelDigit(level), year, serial)
}

// sealIssuerKey seals an issuer key's seed under central's secrets key,
// bound to its key id.
func (c *Central) sealIssuerKey(kid []byte, key ed25519.PrivateKey) ([]byte, error) {
	return seal.SealField(c.keys.SecretsKey(), "issuer_keys", "private_sealed", hex.EncodeToString(kid), key.Seed())
}

// openIssuerKey opens a kept issuer key (cached by key id).
func (c *Central) openIssuerKey(k store.IssuerKey) (*issuerKey, error) {
	id := hex.EncodeToString(k.KeyID)
	c.certs.mu.Lock()
	defer c.certs.mu.Unlock()
	if ik, ok := c.certs.issuers[id]; ok {
		return ik, nil
	}
	seed, err := seal.OpenField(c.keys.SecretsKey(), "issuer_keys", "private_sealed", id, k.PrivateSealed)
	if err != nil {
		return nil, fmt.Errorf("issuer key %s: %w", id, err)
	}
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("issuer key %s: seed of %d bytes", id, len(seed))
	}
	key := ed25519.NewKeyFromSeed(seed)
	ik := &issuerKey{issuer: credential.NewIssuer(key), key: key}
	if !ed25519.PublicKey(k.Public).Equal(ik.issuer.Public()) {
		return nil, fmt.Errorf("issuer key %s: private key does not match its public key", id)
	}
	c.certs.issuers[id] = ik
	return ik, nil
}

// newIssuerKey makes an issuer key valid from from for IssuerKeyLifetime.
func (c *Central) newIssuerKey(from time.Time, actor string) (store.IssuerKey, error) {
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return store.IssuerKey{}, err
	}
	kid := credential.KeyID(pub)
	sealed, err := c.sealIssuerKey(kid, key)
	if err != nil {
		return store.IssuerKey{}, err
	}
	return store.IssuerKey{KeyID: kid, Public: pub, PrivateSealed: sealed, NotBefore: from, NotAfter: from.Add(IssuerKeyLifetime),
		CreatedBy: actor, CreatedAt: c.now()}, nil
}

// ensureIssuer makes sure an issuer key is valid now, making the first
// when there is none (audited).
func (c *Central) ensureIssuer(ctx context.Context, actor string) (store.IssuerKey, error) {
	now := c.now().Truncate(time.Second)
	if k, err := c.db.IssuerKeyAt(ctx, now); !errors.Is(err, store.ErrNoIssuerKey) { // the common case, without a write transaction
		return k, err
	}
	return c.db.EnsureIssuerKey(ctx, now, func() (store.IssuerKey, store.AuditLine, error) {
		k, err := c.newIssuerKey(now, actor)
		return k, store.AuditLine{Actor: actor, Action: "create issuer key",
			Detail: fmt.Sprintf("issuer key %x valid %s to %s", k.KeyID, k.NotBefore.Format(time.RFC3339), k.NotAfter.Format(time.RFC3339))}, err
	})
}

// CurrentIssuer is the issuer key in its window now (made when there is
// none): what signs certificates and status lists now.
func (c *Central) CurrentIssuer(ctx context.Context) (*credential.Issuer, error) {
	k, err := c.ensureIssuer(ctx, "central")
	if err != nil {
		return nil, err
	}
	ik, err := c.openIssuerKey(k)
	if err != nil {
		return nil, err
	}
	return ik.issuer, nil
}

// RotateIssuerKey makes a new issuer key valid from now (the next whole
// second) and ends the window of the key valid until then; certificates it
// signed stay valid, as their issue times fall inside its window. Audited;
// returns the new key id.
func (c *Central) RotateIssuerKey(ctx context.Context, actor string) ([]byte, error) {
	now := c.now()
	at := now.Truncate(time.Second)
	if at.Before(now) {
		at = at.Add(time.Second)
	}
	// The new window begins after every key's before it: a second rotation
	// within a second waits its turn rather than empty a key's window.
	keys, err := c.db.IssuerKeys(ctx)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if !at.After(k.NotBefore) {
			at = k.NotBefore.Add(time.Second)
		}
	}
	k, err := c.newIssuerKey(at, actor)
	if err != nil {
		return nil, err
	}
	err = c.db.RotateIssuerKey(ctx, k, store.AuditLine{Actor: actor, Action: "rotate issuer key",
		Detail: fmt.Sprintf("issuer key %x valid %s to %s; the windows of keys before end then", k.KeyID, k.NotBefore.Format(time.RFC3339), k.NotAfter.Format(time.RFC3339))})
	if err != nil {
		return nil, err
	}
	c.log.Info("issuer key rotated", "kid", hex.EncodeToString(k.KeyID), "from", at)
	return k.KeyID, nil
}

// Certify issues one certificate for each result of the session that is
// approved or published, passed and not absent, and has none yet (one per
// session and ticket, ever). Audited (one entry naming the numbers and
// tickets). ErrNotFound for an unknown session.
func (c *Central) Certify(ctx context.Context, sessionID, actor string) (CertifyReport, error) {
	s, err := c.db.Session(ctx, sessionID)
	if err != nil {
		return CertifyReport{}, err
	}
	results, err := c.SessionResults(ctx, sessionID)
	if err != nil {
		return CertifyReport{}, err
	}
	paper, err := c.paper(ctx, s.PaperID, s.PaperVersion)
	if err != nil {
		return CertifyReport{}, err
	}
	cat, err := c.db.Catalogue(ctx)
	if err != nil {
		return CertifyReport{}, err
	}
	var cert *exam.Certificate
	for i := range cat.Certificates {
		if cat.Certificates[i].Code == paper.Certificate {
			cert = &cat.Certificates[i]
		}
	}
	orgs := keyed(cat.Organisations, func(o exam.Organisation) (string, string) { return o.Code, o.Name })
	sites := keyed(cat.Sites, func(st exam.Site) (string, string) { return st.Code, st.Name })
	if cert == nil || orgs[cert.Org] == "" || sites[s.Site] == "" {
		return CertifyReport{}, inputf("session %s: certificate %s, its organisation or site %s is not in the catalogue", sessionID, paper.Certificate, s.Site)
	}
	roster, err := c.db.Roster(ctx, sessionID)
	if err != nil {
		return CertifyReport{}, err
	}
	ids := keyed(roster, func(cand exam.Candidate) (string, string) { return cand.Ticket, cand.IDNumber })
	have, err := c.db.Certificates(ctx, sessionID)
	if err != nil {
		return CertifyReport{}, err
	}
	certified := keyed(have, func(h store.Certificate) (string, string) { return h.Ticket, h.Number })
	if _, err := c.ensureIssuer(ctx, actor); err != nil {
		return CertifyReport{}, err
	}
	issued := c.now().Truncate(time.Second)
	var rep CertifyReport
	var pending []store.Pending
	for _, r := range results {
		switch {
		case certified[r.Ticket] != "":
			rep.Skipped = append(rep.Skipped, CertifySkip{r.Ticket, SkipCertified + " " + certified[r.Ticket]})
		case r.facts.Absent:
			rep.Skipped = append(rep.Skipped, CertifySkip{r.Ticket, SkipAbsent})
		case r.State != exam.StateApproved && r.State != exam.StatePublished:
			rep.Skipped = append(rep.Skipped, CertifySkip{r.Ticket, SkipNotApproved + "（" + StateNames[r.State] + "）"})
		case !r.Passed || !r.Complete:
			rep.Skipped = append(rep.Skipped, CertifySkip{r.Ticket, SkipFailed})
		default:
			salt := make([]byte, credential.SaltSize)
			rand.Read(salt)
			pending = append(pending, store.Pending{Digest: r.digest, Certificate: store.Certificate{Ticket: r.Ticket, HolderName: r.Name,
				IDSalt: salt, IDHash: credential.HashID(salt, ids[r.Ticket]), CertCode: cert.Code, CertName: cert.Name,
				OrgName: orgs[cert.Org], SiteName: sites[s.Site], Level: paper.Level, Issued: issued, IssuedBy: actor,
				Account: c.AccountID(ids[r.Ticket]), Score: scoreOf(r.Total, r.Max)}}) // deposited in the credit bank (issue 17)
		}
	}
	if len(pending) == 0 {
		return rep, nil
	}
	levels := make([]string, 0, len(cert.Levels))
	for _, l := range cert.LevelRules() {
		levels = append(levels, l.Level.Chinese())
	}
	year := issued.In(CST).Year()
	done, already, lapsed, err := c.db.IssueCertificates(ctx, sessionID, year, pending, func(sc *store.Certificate, is store.Issue) error {
		return c.signCertificate(sc, is, year, ids[sc.Ticket], levels)
	}, func(done []store.Certificate) store.AuditLine {
		var b strings.Builder
		fmt.Fprintf(&b, "session %s: %d certificates issued:", sessionID, len(done))
		for _, d := range done {
			fmt.Fprintf(&b, " %s (%s)", d.Number, d.Ticket)
		}
		return store.AuditLine{Actor: actor, Action: "issue certificates", Detail: b.String()}
	})
	if err != nil {
		return CertifyReport{}, err
	}
	for _, t := range already {
		rep.Skipped = append(rep.Skipped, CertifySkip{t, SkipCertified})
	}
	for _, t := range lapsed {
		rep.Skipped = append(rep.Skipped, CertifySkip{t, SkipLapsed})
	}
	if rep.Issued, err = certificatesOf(done); err != nil {
		return CertifyReport{}, err
	}
	c.log.Info("certificates issued", "session", sessionID, "issued", len(rep.Issued), "skipped", len(rep.Skipped))
	return rep, nil
}

// keyed maps each of xs by the key and value kv gives.
func keyed[T any](xs []T, kv func(T) (string, string)) map[string]string {
	out := make(map[string]string, len(xs))
	for _, x := range xs {
		k, v := kv(x)
		out[k] = v
	}
	return out
}

// signCertificate numbers a certificate and signs its QR credential and its
// verifiable credential with the issuer key given.
func (c *Central) signCertificate(sc *store.Certificate, is store.Issue, year int, idNumber string, levels []string) error {
	ik, err := c.openIssuerKey(is.Key)
	if err != nil {
		return err
	}
	sc.Number = CertificateNumber(sc.CertCode, sc.Level, year, is.Serial)
	sc.KeyID = ik.issuer.KeyID()
	claims := credential.Claims{Number: sc.Number, Holder: sc.HolderName, IDSalt: sc.IDSalt, IDHash: sc.IDHash, Certificate: sc.CertCode,
		Level: levelDigit(sc.Level), Organisation: sc.OrgName, Site: sc.SiteName, Issued: sc.Issued, StatusIndex: sc.StatusIndex}
	if sc.QR, err = ik.issuer.IssueText(claims); err != nil {
		return claimsError(sc, err)
	}
	vcSalt := base64.RawURLEncoding.EncodeToString(sc.IDSalt)
	cred, err := vc.New(vc.Issuer{ID: c.certs.publicURL, Name: sc.OrgName}, vc.Certificate{
		Number: sc.Number, HolderName: sc.HolderName, IDHash: vc.IDHash(credential.NormaliseID(idNumber), vcSalt), IDSalt: vcSalt,
		CertificateCode: sc.CertCode, CertificateName: sc.CertName, Level: sc.Level.Chinese(), Levels: levels,
		Criteria: "通过" + sc.CertName + "（" + sc.Level.Chinese() + "）考核，成绩经审定合格。", Issued: sc.Issued,
		StatusListURL: c.certs.publicURL + StatusListPath, StatusIndex: int(sc.StatusIndex), StatusPurpose: vc.PurposeRevocation,
	})
	if err != nil {
		return inputf("certificate %s (ticket %s): verifiable credential: %v", sc.Number, sc.Ticket, err)
	}
	if sc.VC, err = vc.Sign(cred, hex.EncodeToString(sc.KeyID), ik.key); err != nil {
		return fmt.Errorf("certificate %s: %w", sc.Number, err)
	}
	return nil
}

// claimsError says which field of a certificate to shorten when its
// credential does not fit the QR code.
func claimsError(sc *store.Certificate, err error) error {
	if !errors.Is(err, credential.ErrClaims) {
		return fmt.Errorf("certificate %s: %w", sc.Number, err)
	}
	field, n := "the site's name in the catalogue", len(sc.SiteName)
	if len(sc.OrgName) > n {
		field, n = "the organisation's name in the catalogue", len(sc.OrgName)
	}
	if len(sc.HolderName) > n {
		field, n = "the holder's name on the roster", len(sc.HolderName)
	}
	return inputf("certificate %s (ticket %s): %v: shorten %s (%d bytes)", sc.Number, sc.Ticket, err, field, n)
}

// Certificates lists a session's certificates by number.
func (c *Central) Certificates(ctx context.Context, sessionID string) ([]Certificate, error) {
	ss, err := c.db.Certificates(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	return certificatesOf(ss)
}

// Certificate returns one certificate by number, or ErrNotFound.
func (c *Central) Certificate(ctx context.Context, number string) (Certificate, error) {
	s, err := c.db.Certificate(ctx, number)
	if err != nil {
		return Certificate{}, err
	}
	return certificateOf(s)
}

// SetCertificateStatus revokes (final), suspends or reinstates (suspended to
// valid) a certificate, with a reason (ErrReasonRequired without one); a
// change the status now does not allow is a *StatusChangeError. Audited;
// the status list changes at once.
func (c *Central) SetCertificateStatus(ctx context.Context, number string, to credential.Status, reason, actor string) (Certificate, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Certificate{}, fmt.Errorf("certificate %s: %w", number, AsInput(ErrReasonRequired))
	}
	name, ok := statusNames[to]
	if !ok {
		return Certificate{}, inputf("certificate %s: status %v unknown", number, to)
	}
	var verb string
	for v, st := range StatusVerbs {
		if st == to {
			verb = v
		}
	}
	s, err := c.db.SetCertificateStatus(ctx, number, name, reason, actor, c.now(), func(from string) error {
		f, err := statusOf(from)
		if err != nil {
			return err
		}
		if !StatusChangeAllowed(f, to) {
			return &StatusChangeError{Number: number, From: f, To: to}
		}
		return nil
	}, func(from string) store.AuditLine {
		return store.AuditLine{Actor: actor, Action: verb + " certificate", Detail: fmt.Sprintf("certificate %s: %s -> %s: %s", number, from, name, reason)}
	})
	if err != nil {
		return Certificate{}, err
	}
	c.log.Info("certificate status changed", "number", number, "status", name)
	return certificateOf(s)
}

// StatusList is the current status bitstrings, issued now: a bit for every
// status-list index given out, at least credential.MinStatusBits.
func (c *Central) StatusList(ctx context.Context) (*credential.StatusList, error) {
	n, entries, err := c.db.CertificateStatuses(ctx)
	if err != nil {
		return nil, err
	}
	l := credential.NewStatusList(c.now().Truncate(time.Second), int(n))
	for _, e := range entries {
		list := l.Suspension
		if e.Status == store.CertRevoked {
			list = l.Revocation
		}
		if err := list.Set(int(e.Index), true); err != nil {
			return nil, fmt.Errorf("status list: %w", err)
		}
	}
	return l, nil
}

// TrustList is the list of every issuer key with its window, issued now.
func (c *Central) TrustList(ctx context.Context) (*credential.TrustList, error) {
	if _, err := c.ensureIssuer(ctx, "central"); err != nil {
		return nil, err
	}
	keys, err := c.db.IssuerKeys(ctx)
	if err != nil {
		return nil, err
	}
	tl := &credential.TrustList{Issued: c.now().Truncate(time.Second)}
	for _, k := range keys {
		tl.Keys = append(tl.Keys, credential.TrustedKey{KeyID: k.KeyID, Public: ed25519.PublicKey(k.Public), NotBefore: k.NotBefore, NotAfter: k.NotAfter})
	}
	return tl, nil
}

// CertificateTrust is what offline verifiers need: the certificate root's
// public key, the trust list it signs, and the status list signed now by
// the current issuer key, under a manifest central signs (package
// osync.CertificateTrustPackage, no session; its version the issue time in
// Unix seconds, so a newer one has a higher version).
func (c *Central) CertificateTrust(ctx context.Context) (osync.CertificateTrust, error) {
	tl, err := c.TrustList(ctx)
	if err != nil {
		return osync.CertificateTrust{}, err
	}
	root := c.keys.CertificateRoot()
	trust, err := credential.SignTrustList(root, *tl)
	if err != nil {
		return osync.CertificateTrust{}, fmt.Errorf("trust list: %w", err)
	}
	l, err := c.StatusList(ctx)
	if err != nil {
		return osync.CertificateTrust{}, err
	}
	// The key valid at the list's issue time (the trust list made sure of
	// one now), not a second reading of the clock: a rotation between
	// the two would leave the list signed outside its key's window.
	k, err := c.db.IssuerKeyAt(ctx, l.Issued)
	if err != nil {
		return osync.CertificateTrust{}, err
	}
	issuer, err := c.openIssuerKey(k)
	if err != nil {
		return osync.CertificateTrust{}, err
	}
	status, err := issuer.issuer.SignStatusList(l)
	if err != nil {
		return osync.CertificateTrust{}, fmt.Errorf("status list: %w", err)
	}
	out := osync.CertificateTrust{Root: root.Public().(ed25519.PublicKey), TrustList: trust, StatusList: status}
	m := seal.Manifest{PackageID: osync.CertificateTrustPackage, Created: l.Issued, Version: uint64(l.Issued.Unix()), Parts: []seal.Part{
		seal.NewPart(osync.PartCertificateRoot, out.Root), seal.NewPart(osync.PartTrustList, trust), seal.NewPart(osync.PartStatusList, status)}}
	if out.Manifest, err = seal.SignManifest(c.keys, &m); err != nil {
		return osync.CertificateTrust{}, fmt.Errorf("certificate trust manifest: %w", err)
	}
	return out, nil
}

// CertificatePDF writes the printed certificate: certpdf's page with its QR
// code and the /verify address. A field that cannot be printed is an input
// error naming the certificate; fonts missing are central's to fix (make deps).
func (c *Central) CertificatePDF(ctx context.Context, number string, w io.Writer) error {
	cert, err := c.Certificate(ctx, number)
	if err != nil {
		return err
	}
	c.certs.pdfOnce.Do(func() { c.certs.pdf, c.certs.pdfErr = certpdf.NewRenderer(certpdf.Fonts{}) })
	if c.certs.pdfErr != nil {
		return fmt.Errorf("certificate %s: %w", number, c.certs.pdfErr)
	}
	err = c.certs.pdf.Render(w, PDFCertificate(cert, c.certs.publicURL+"/verify"))
	var fe *certpdf.FieldError
	if errors.As(err, &fe) {
		return inputf("certificate %s: %v", number, err)
	}
	return err
}

// levelsEN names the levels in English as certificates print them.
var levelsEN = map[exam.Level]string{exam.Elementary: "Level 1 (Elementary)", exam.Intermediate: "Level 2 (Intermediate)", exam.Advanced: "Level 3 (Advanced)"}

// PDFCertificate is what the printed certificate shows of cert.
func PDFCertificate(cert Certificate, verifyURL string) certpdf.Certificate {
	return certpdf.Certificate{Number: cert.Number, Holder: cert.HolderName, Name: cert.CertName,
		NameEN: cert.CertCode + " Vocational Skill Level Certificate", Level: cert.Level.Chinese(), LevelEN: levelsEN[cert.Level],
		Org: cert.OrgName, Site: cert.SiteName, Issued: cert.Issued.In(CST), QR: cert.QR, VerifyURL: verifyURL}
}
