// Package credential owns OneX's compact signed certificate credential (the
// text in a certificate's QR code), the signed trust list of issuer keys that
// verifiers check it against, and the signed status list (revoked and
// suspended certificates) that verifiers consult offline.
//
// A credential is deterministic CBOR claims with integer keys inside a
// COSE_Sign1 (RFC 9052) signed with an Ed25519 issuer key whose key id is in
// the protected header, written as Base45 (RFC 9285) after the prefix "OX1:"
// so that it fits a QR code in alphanumeric mode. Every byte is written down
// in FORMAT.md, with vectors in testdata/vectors.json.
//
// The package knows nothing of central, sites or storage: callers give it
// keys, claims, trust lists and status lists, and decide what to show.
package credential
