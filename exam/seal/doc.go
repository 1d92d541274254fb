// Package seal owns every cryptographic operation in OneX and the byte
// formats they produce:
//
//   - keys: central's Ed25519 signing key and HPKE receiving keys (X25519, and
//     the hybrid MLKEM768-X25519 that version 2 envelopes are sealed to), each
//     device's Ed25519 key, their encodings and printable fingerprints, and
//     central's public key signed for the devices enrolled before it held the
//     hybrid key;
//   - sealed papers: a paper encrypted under its own key, that key wrapped under
//     the session's release key, and the package manifest signed by central;
//   - unlock codes and release keys: a dictated code with a check character per
//     group, stretched with argon2id salted by the session id;
//   - records: signed by the device, sealed to central with HPKE (version 2:
//     MLKEM768-X25519, against a future quantum computer; version 1: X25519)
//     and carried in an envelope that the device signs too; receipts signed
//     by central;
//   - encrypted fields at rest under a store key wrapped by a passphrase;
//   - device request signatures, random tokens and their stored hashes, and
//     argon2id password hashes for central's users;
//   - central's TLS identity: the SPKI hashes a site pins, the fingerprints
//     staff type, and central's signed statement of its own TLS keys.
//
// FORMAT.md beside this file defines every byte layout; testdata/vectors.json
// holds test vectors for another implementation. Nothing else in OneX calls a
// cryptographic primitive directly.
//
// Every error that rejects input wraps one of the sentinel errors below, so
// callers can tell a malformed blob (ErrFormat) from a forgery
// (ErrBadSignature), a wrong key or altered ciphertext (ErrDecrypt), a typo in
// an unlock code (ErrMistyped, as a *CodeError naming the group) and data that
// is genuine but meant for another session, paper, device or envelope.
package seal
