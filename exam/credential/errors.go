package credential

import "errors"

// Errors callers decide on. Every error returned by Decode, Verify,
// OpenTrustList, OpenStatusList and DecodeBitstring wraps one of these, with
// context after it.
var (
	// ErrPrefix: the text does not start with the version prefix "OX1:".
	ErrPrefix = errors.New("credential: not an OX1 credential")
	// ErrBase45: the text after the prefix is not valid Base45.
	ErrBase45 = errors.New("credential: bad Base45")
	// ErrMalformed: the bytes are not a COSE_Sign1 of the shape FORMAT.md
	// defines, or its claims are not valid.
	ErrMalformed = errors.New("credential: malformed")
	// ErrUnknownKey: no key in the trust list has the credential's key id.
	ErrUnknownKey = errors.New("credential: unknown issuer key")
	// ErrBadSignature: no key with the credential's key id verifies its
	// signature.
	ErrBadSignature = errors.New("credential: bad signature")
	// ErrKeyWindow: the signature verifies but the document was signed
	// outside the signing key's validity window.
	ErrKeyWindow = errors.New("credential: signed outside the key's validity window")
	// ErrClaims: claims given to Issue are incomplete or out of range.
	ErrClaims = errors.New("credential: invalid claims")
	// ErrStatusList: a status list is malformed or too small.
	ErrStatusList = errors.New("credential: bad status list")
	// ErrIndex: a status-list index is outside the list.
	ErrIndex = errors.New("credential: status index out of range")
)
