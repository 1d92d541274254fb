// Package sync is the wire protocol between the site and central: enrolment,
// packages, release, batches of sealed records and their receipts, and the
// plaintext records the site seals (check-in, start, answers, submission,
// practical scores, incidents). The byte layouts of envelopes, receipts and
// manifests belong to exam/seal; this package carries them in JSON over HTTP.
//
// Importers that also need the standard library's sync alias this one.
package sync

import (
	"time"

	"onex/exam/seal"
)

// HTTP paths of central's API.
const (
	PathCentral = "/api/v1/central"
	PathEnrol   = "/api/v1/enrol"
	PathPackage = "/api/v1/package"
	PathRecords = "/api/v1/records"
	// PathCertificateTrust is GET, device-signed like the package list: the
	// signed documents offline certificate verifiers need (CertificateTrust).
	// [added: issue 16]
	PathCertificateTrust = "/api/v1/certificates/trust"
)

// PathRelease is the release path of a session.
func PathRelease(sessionID string) string { return "/api/v1/sessions/" + sessionID + "/release" }

// Batch limits central advertises at enrolment and in the headers of every
// batch answer, and enforces with 413.
const (
	HeaderMaxRecords = "X-OneX-Max-Records"
	HeaderMaxBytes   = "X-OneX-Max-Bytes"
)

// CentralInfo answers GET /api/v1/central, which anyone may ask: who
// central is. A device asks before it enrols, so that it sends the one-time
// code only to the central it was told of: it checks the key against the
// fingerprint staff typed and, for a certificate no root vouches for, that
// central's signed statement names the TLS key it saw.
type CentralInfo struct {
	CentralKey []byte `json:"central_key"` // seal.CentralPublicKey.Marshal
	// TLSKeys is seal.SignTLSKeys over the SPKI hashes of the certificates
	// central serves itself; absent when central serves no TLS itself
	// (plain HTTP, or behind a TLS proxy).
	TLSKeys []byte `json:"tls_keys,omitempty"`
}

// EnrolRequest is what a site device sends once, with the one-time code
// central's office gave the site.
type EnrolRequest struct {
	Code       string `json:"code"`
	DeviceName string `json:"device_name"`
	PublicKey  []byte `json:"public_key"` // seal.DevicePublicKey.Marshal
}

// EnrolResponse tells the device who it is and whom to trust. CentralKey
// is central's key as release 1 knew it (key type 2), which every site
// release reads; a site that knows HybridKey takes the hybrid key from it
// and seals version 2 envelopes.
type EnrolResponse struct {
	DeviceID      string     `json:"device_id"`
	SiteCode      string     `json:"site_code"`
	SiteName      string     `json:"site_name"`
	CentralKey    []byte     `json:"central_key"` // seal.CentralPublicKey.V1().Marshal
	HybridKey     *SignedKey `json:"hybrid_key,omitempty"`
	ServerTime    time.Time  `json:"server_time"`
	MaxRecords    int        `json:"max_records"`
	MaxBatchBytes int        `json:"max_batch_bytes"`
}

// SignedKey is central's public key with its hybrid part (key type 6) and
// the manifest central signed over it with the Ed25519 key every device
// trusts already (seal.SignCentralKey). Central sends it with its enrolment
// answer and every package answer: a device enrolled before central held
// the hybrid key learns it at its next download, trusting nothing new.
// Sites of release 1 ignore it.
type SignedKey struct {
	Manifest []byte `json:"manifest"`
	Key      []byte `json:"key"` // seal.CentralPublicKey.Marshal
}

// Open checks k against the central key a device trusts and returns the key
// to hold from now on (seal.OpenCentralKey).
func (k *SignedKey) Open(trusted *seal.CentralPublicKey) (*seal.CentralPublicKey, error) {
	return seal.OpenCentralKey(trusted, k.Manifest, k.Key)
}

// PackageResponse answers GET /api/v1/package?cursor=N: every session package
// of the device's site that changed after cursor N, and the cursor to send
// next time. List is central's signed account of the answer
// (seal.PackageList): the request it answers, the cursor, and each package's
// session, version and manifest hash; a device takes nothing it does not
// list, and its cursor from the list alone. A device advances its cursor
// only after storing the packages.
type PackageResponse struct {
	Cursor     int64            `json:"cursor"`
	ServerTime time.Time        `json:"server_time"`
	Sessions   []SessionPackage `json:"sessions"`
	List       []byte           `json:"list"`
	HybridKey  *SignedKey       `json:"hybrid_key,omitempty"` // central's signed key, for devices that do not hold it yet
}

// SessionPackage is one session's package: a manifest signed by central and
// the parts it lists. Parts are named in PartSession, PartPaperBody and PartPaperKey.
type SessionPackage struct {
	SessionID string            `json:"session_id"`
	Manifest  []byte            `json:"manifest"`
	Parts     map[string][]byte `json:"parts"`
}

// Part names of a session package.
const (
	PartSession   = "session.json" // a Session, in JSON
	PartPaperBody = "paper.body"   // the sealed paper
	PartPaperKey  = "paper.key"    // the paper key wrapped under the release key
)

// ReleaseResponse carries a session's release key once central's clock has
// passed the release time.
type ReleaseResponse struct {
	SessionID  string    `json:"session_id"`
	Key        []byte    `json:"key"`
	ServerTime time.Time `json:"server_time"`
}

// TooEarly is the body of a 425 answer to a release asked too soon.
type TooEarly struct {
	SessionID        string    `json:"session_id"`
	ReleaseAt        time.Time `json:"release_at"`
	SecondsRemaining int64     `json:"seconds_remaining"`
	ServerTime       time.Time `json:"server_time"`
}

// Batch is the body of POST /api/v1/records: envelopes as seal.SealRecord made them.
type Batch struct {
	Envelopes [][]byte `json:"envelopes"`
}

// Outcome of one envelope of a batch.
type Outcome string

// Outcomes. Accepted and Duplicate carry a receipt; a device may delete a
// record only after verifying it. Conflict and Rejected carry a reason; the
// device keeps the record for review and stops sending it.
const (
	Accepted  Outcome = "accepted"
	Duplicate Outcome = "duplicate" // the original receipt, byte for byte
	Conflict  Outcome = "conflict"  // same record id or chain position, different content; or a record disputing what central holds for a candidate, kept for the office
	Rejected  Outcome = "rejected"
)

// BatchResponse answers a batch, one result per envelope in order. Central
// commits every accepted record before it answers.
type BatchResponse struct {
	ServerTime time.Time      `json:"server_time"`
	Results    []RecordResult `json:"results"`
}

// RecordResult is central's answer for one envelope.
type RecordResult struct {
	RecordID string  `json:"record_id,omitempty"`
	Outcome  Outcome `json:"outcome"`
	Receipt  []byte  `json:"receipt,omitempty"`
	Reason   string  `json:"reason,omitempty"`
}

// Problem is the JSON body of every 4xx answer, and of a 503 for a busy
// central. Code, when set, is one of the Refused* codes.
type Problem struct {
	Error string `json:"error"`
	Code  string `json:"code,omitempty"`
}

// Names of the parts of the certificate-trust manifest, and its package id.
// [added: issue 16]
const (
	CertificateTrustPackage = "certificate-trust"
	PartCertificateRoot     = "root.pub"
	PartTrustList           = "trust-list.cose"
	PartStatusList          = "status-list.cose"
)

// CertificateTrust answers GET PathCertificateTrust (and, to anyone, GET
// /verify/trust): what a verifier needs to check certificates offline.
// A site checks Manifest with central's public key it holds, the three
// parts' sizes and hashes against it, then opens TrustList with Root
// (credential.OpenTrustList) and StatusList with that trust list
// (credential.OpenStatusList); it keeps the newest status list, never
// replacing one by an older. [added: issue 16]
type CertificateTrust struct {
	// Manifest is a seal.Manifest signed by central's signing key (PackageID
	// CertificateTrustPackage, no session) whose parts are the three below
	// by name.
	Manifest   []byte `json:"manifest"`
	Root       []byte `json:"root"`        // PartCertificateRoot: the certificate root's Ed25519 public key (seal.CentralKeys.CertificateRoot)
	TrustList  []byte `json:"trust_list"`  // PartTrustList: credential.SignTrustList
	StatusList []byte `json:"status_list"` // PartStatusList: Issuer.SignStatusList, issued when answered
}

// Parts are the trust's three parts by name, as seal.OpenPackage checks them
// against Manifest. [added: issue 16]
func (t *CertificateTrust) Parts() map[string][]byte {
	return map[string][]byte{PartCertificateRoot: t.Root, PartTrustList: t.TrustList, PartStatusList: t.StatusList}
}
