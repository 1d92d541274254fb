package sync

// PLACEHOLDER for branch c-site until branch c-issue (which owns the wire
// type) is merged: the contract's CertificateTrust, word for word. Removed
// at that merge.

// PathCertificateTrust is where a device gets the certificate trust documents.
const PathCertificateTrust = "/api/v1/certificates/trust"

// CertificateTrust is what offline verifiers need.
type CertificateTrust struct {
	Manifest   []byte `json:"manifest"`
	Root       []byte `json:"root"`
	TrustList  []byte `json:"trust_list"`
	StatusList []byte `json:"status_list"`
}
