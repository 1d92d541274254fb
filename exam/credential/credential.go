package credential

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"
	"github.com/veraison/go-cose"
	"golang.org/x/text/width"
)

// Prefix starts every credential text; its digit is the format's version.
const Prefix = "OX1:"

// Sizes fixed by the format.
const (
	KeyIDSize  = 8
	SaltSize   = 8
	IDHashSize = 16
)

// MaxText is the longest credential text Issue writes: the alphanumeric
// capacity of a QR code of version 15 at error-correction level Q (295 data
// codewords; 4 bits of mode and 11 of count leave 2345 bits, 213 pairs of
// characters at 11 bits each; see FORMAT.md).
const MaxText = 426

// Domain separation: each signed document type is signed with its own
// external additional data (RFC 9052 §4.3), so a signature over one is
// never valid as another.
var (
	aadCredential = []byte("OneX credential v1")
	aadTrustList  = []byte("OneX trust list v1")
	aadStatusList = []byte("OneX status list v1")
)

var (
	encMode cbor.EncMode
	decMode cbor.DecMode
)

func init() {
	var err error
	if encMode, err = cbor.CoreDetEncOptions().EncMode(); err != nil {
		panic(err)
	}
	if decMode, err = (cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		MaxArrayElements:  1 << 16,
		MaxMapPairs:       64,
		MaxNestedLevels:   8,
	}).DecMode(); err != nil {
		panic(err)
	}
}

// KeyID is the key id of an Ed25519 public key: the first 8 bytes of its
// SHA-256.
func KeyID(pub ed25519.PublicKey) []byte {
	h := sha256.Sum256(pub)
	return h[:KeyIDSize]
}

// Claims are what a credential states about one certificate.
type Claims struct {
	Number       string    // certificate number, unique, never reused
	Holder       string    // holder's name
	IDSalt       []byte    // 8 random bytes
	IDHash       []byte    // HashID(IDSalt, resident ID number)
	Certificate  string    // certificate code
	Level        int       // 1 (初级), 2 (中级), 3 (高级)
	Organisation string    // training evaluation organisation
	Site         string    // exam site
	Issued       time.Time // when signed; whole seconds, UTC
	StatusIndex  uint32    // index in the status lists
	KeyID        []byte    // issuer key id (set by Issue)
}

// wireClaims is the CBOR map of FORMAT.md.
type wireClaims struct {
	Number       string `cbor:"1,keyasint"`
	Holder       string `cbor:"2,keyasint"`
	IDSalt       []byte `cbor:"3,keyasint"`
	IDHash       []byte `cbor:"4,keyasint"`
	Certificate  string `cbor:"5,keyasint"`
	Level        uint8  `cbor:"6,keyasint"`
	Organisation string `cbor:"7,keyasint"`
	Site         string `cbor:"8,keyasint"`
	Issued       int64  `cbor:"9,keyasint"`
	StatusIndex  uint32 `cbor:"10,keyasint"`
	KeyID        []byte `cbor:"11,keyasint"`
}

// field limits in bytes of UTF-8.
var textLimits = []struct {
	name string
	get  func(*Claims) string
	max  int
}{
	{"number", func(c *Claims) string { return c.Number }, 40},
	{"holder", func(c *Claims) string { return c.Holder }, 60},
	{"certificate", func(c *Claims) string { return c.Certificate }, 40},
	{"organisation", func(c *Claims) string { return c.Organisation }, 90},
	{"site", func(c *Claims) string { return c.Site }, 90},
}

func (c *Claims) validate() error {
	for _, f := range textLimits {
		s := f.get(c)
		if s == "" || len(s) > f.max || !utf8.ValidString(s) {
			return fmt.Errorf("%w: %s must be 1 to %d bytes of UTF-8, is %d", ErrClaims, f.name, f.max, len(s))
		}
	}
	if len(c.IDSalt) != SaltSize || len(c.IDHash) != IDHashSize {
		return fmt.Errorf("%w: id salt and hash must be %d and %d bytes, are %d and %d", ErrClaims, SaltSize, IDHashSize, len(c.IDSalt), len(c.IDHash))
	}
	if c.Level < 1 || c.Level > 3 {
		return fmt.Errorf("%w: level %d not 1 to 3", ErrClaims, c.Level)
	}
	if c.Issued.Unix() <= 0 {
		return fmt.Errorf("%w: issue time %v before 1970", ErrClaims, c.Issued)
	}
	if len(c.KeyID) != KeyIDSize {
		return fmt.Errorf("%w: key id is %d bytes, not %d", ErrClaims, len(c.KeyID), KeyIDSize)
	}
	return nil
}

func (c *Claims) wire() wireClaims {
	return wireClaims{c.Number, c.Holder, c.IDSalt, c.IDHash, c.Certificate, uint8(c.Level),
		c.Organisation, c.Site, c.Issued.Unix(), c.StatusIndex, c.KeyID}
}

func (w *wireClaims) claims() *Claims {
	return &Claims{w.Number, w.Holder, w.IDSalt, w.IDHash, w.Certificate, int(w.Level),
		w.Organisation, w.Site, time.Unix(w.Issued, 0).UTC(), w.StatusIndex, w.KeyID}
}

// NormaliseID folds a typed resident ID number to the form that is hashed:
// full-width forms to ASCII, spaces removed, lower-case x to X.
func NormaliseID(id string) string {
	id = width.Narrow.String(id)
	id = strings.Join(strings.Fields(id), "")
	return strings.ToUpper(id)
}

// HashID is the salted hash of a resident ID number:
// the first 16 bytes of SHA-256("OneX id v1" || 0x00 || salt ||
// NormaliseID(id)). The ID number has far fewer than 128 bits of entropy, so
// a longer hash would not make guessing it from the hash harder; the salt
// stops one computation serving every certificate.
func HashID(salt []byte, id string) []byte {
	h := sha256.New()
	h.Write([]byte("OneX id v1\x00"))
	h.Write(salt)
	h.Write([]byte(NormaliseID(id)))
	return h.Sum(nil)[:IDHashSize]
}

// CheckID reports whether id (as typed) is the ID number the claims hash.
func (c *Claims) CheckID(id string) bool {
	return len(c.IDHash) == IDHashSize && subtle.ConstantTimeCompare(HashID(c.IDSalt, id), c.IDHash) == 1
}

// Issuer signs credentials and status lists with one Ed25519 key.
type Issuer struct {
	key ed25519.PrivateKey
	kid []byte
}

// NewIssuer returns the issuer for key.
func NewIssuer(key ed25519.PrivateKey) *Issuer {
	return &Issuer{key: key, kid: KeyID(key.Public().(ed25519.PublicKey))}
}

// KeyID is the issuer key's id.
func (i *Issuer) KeyID() []byte { return bytes.Clone(i.kid) }

// Public is the issuer's public key.
func (i *Issuer) Public() ed25519.PublicKey { return i.key.Public().(ed25519.PublicKey) }

// sign makes a tagged COSE_Sign1 over payload: protected header
// {1: -8 (EdDSA), 4: kid}, empty unprotected header.
func sign(key ed25519.PrivateKey, kid, payload, aad []byte) ([]byte, error) {
	signer, err := cose.NewSigner(cose.AlgorithmEdDSA, key)
	if err != nil {
		return nil, fmt.Errorf("credential: signer: %w", err)
	}
	msg := &cose.Sign1Message{
		Headers: cose.Headers{Protected: cose.ProtectedHeader{
			cose.HeaderLabelAlgorithm: cose.AlgorithmEdDSA,
			cose.HeaderLabelKeyID:     kid,
		}},
		Payload: payload,
	}
	if err := msg.Sign(nil, aad, signer); err != nil {
		return nil, fmt.Errorf("credential: sign: %w", err)
	}
	return msg.MarshalCBOR()
}

// Issue signs the claims. It sets c.KeyID to the issuer's key id and
// truncates c.Issued to whole seconds; it refuses incomplete claims
// (ErrClaims).
func (i *Issuer) Issue(c Claims) ([]byte, error) {
	c.KeyID = i.KeyID()
	c.Issued = c.Issued.Truncate(time.Second)
	if err := c.validate(); err != nil {
		return nil, err
	}
	payload, err := encMode.Marshal(c.wire())
	if err != nil {
		return nil, fmt.Errorf("credential: encode claims: %w", err)
	}
	return sign(i.key, i.kid, payload, aadCredential)
}

// IssueText signs the claims and returns the credential text for the QR.
// It refuses (ErrClaims) claims whose text would be longer than MaxText:
// shorten the site's or organisation's name.
func (i *Issuer) IssueText(c Claims) (string, error) {
	b, err := i.Issue(c)
	if err != nil {
		return "", err
	}
	text := Encode(b)
	if len(text) > MaxText {
		return "", fmt.Errorf("%w: credential text of %d characters does not fit QR version 15-Q (%d)", ErrClaims, len(text), MaxText)
	}
	return text, nil
}

// Encode writes signed credential bytes as text: Prefix then Base45.
func Encode(coseBytes []byte) string { return Prefix + Base45Encode(coseBytes) }

// maxText bounds the text Decode reads (well above what a QR holds).
const maxText = 4096

// Decode reads credential text back to the COSE bytes. Leading and trailing
// white space is ignored; the prefix must be exactly "OX1:".
func Decode(text string) ([]byte, error) {
	text = strings.TrimSpace(text)
	if len(text) > maxText {
		return nil, fmt.Errorf("%w: %d characters, at most %d", ErrMalformed, len(text), maxText)
	}
	rest, ok := strings.CutPrefix(text, Prefix)
	if !ok {
		p := text[:min(len(text), len(Prefix))]
		return nil, fmt.Errorf("%w: starts %q", ErrPrefix, p)
	}
	return Base45Decode(rest)
}

// verified is a signature check's outcome: the payload and the key that
// verified it.
type verified struct {
	kid     []byte
	payload []byte
	key     *TrustedKey
}

// openSigned parses a COSE_Sign1 of FORMAT.md's shape and verifies it with
// every key of keys whose id matches, keeping the first that verifies and was
// valid at signedAt(payload).
func openSigned(data, aad []byte, keys []TrustedKey, what string, signedAt func(payload []byte) (time.Time, error)) (*verified, error) {
	var msg cose.Sign1Message
	if err := msg.UnmarshalCBOR(data); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, what, err)
	}
	if len(msg.Headers.Unprotected) != 0 {
		return nil, fmt.Errorf("%w: %s: unprotected header not empty", ErrMalformed, what)
	}
	if len(msg.Headers.Protected) != 2 {
		return nil, fmt.Errorf("%w: %s: protected header has %d entries, want alg and kid", ErrMalformed, what, len(msg.Headers.Protected))
	}
	if alg, err := msg.Headers.Protected.Algorithm(); err != nil || alg != cose.AlgorithmEdDSA {
		return nil, fmt.Errorf("%w: %s: algorithm not EdDSA", ErrMalformed, what)
	}
	kid, ok := msg.Headers.Protected[cose.HeaderLabelKeyID].([]byte)
	if !ok || len(kid) != KeyIDSize {
		return nil, fmt.Errorf("%w: %s: key id missing or not %d bytes", ErrMalformed, what, KeyIDSize)
	}
	if msg.Payload == nil {
		return nil, fmt.Errorf("%w: %s: detached payload", ErrMalformed, what)
	}
	matched, signedOK := 0, false
	var windowErr error
	for k := range keys {
		key := &keys[k]
		if !bytes.Equal(key.KeyID, kid) {
			continue
		}
		matched++
		v, err := cose.NewVerifier(cose.AlgorithmEdDSA, key.Public)
		if err != nil {
			continue
		}
		if msg.Verify(aad, v) != nil {
			continue
		}
		signedOK = true
		at, err := signedAt(msg.Payload)
		if err != nil {
			return nil, err
		}
		if !key.ValidAt(at) {
			windowErr = fmt.Errorf("%w: %s signed %s, key %x valid %s to %s", ErrKeyWindow, what,
				at.Format(time.RFC3339), kid, key.NotBefore.Format(time.RFC3339), key.NotAfter.Format(time.RFC3339))
			continue
		}
		return &verified{kid: kid, payload: msg.Payload, key: key}, nil
	}
	switch {
	case matched == 0:
		return nil, fmt.Errorf("%w: %s: key id %x not in the trust list", ErrUnknownKey, what, kid)
	case !signedOK:
		return nil, fmt.Errorf("%w: %s: none of %d keys with id %x verifies it", ErrBadSignature, what, matched, kid)
	default:
		return nil, windowErr
	}
}

// decodeCanonical decodes CBOR into v strictly and refuses any encoding that
// is not the one encMode writes for the result.
func decodeCanonical(data []byte, v any, what string) error {
	if err := decMode.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrMalformed, what, err)
	}
	again, err := encMode.Marshal(v)
	if err != nil || !bytes.Equal(again, data) {
		return fmt.Errorf("%w: %s: not in deterministic encoding", ErrMalformed, what)
	}
	return nil
}

func parseClaims(payload []byte) (*Claims, error) {
	var w wireClaims
	if err := decodeCanonical(payload, &w, "claims"); err != nil {
		return nil, err
	}
	c := w.claims()
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return c, nil
}

// Verify checks signed credential bytes against the trust list: every key
// whose id matches the credential's is tried, and the one that verifies must
// have been valid when the credential was issued. It returns the claims.
func Verify(coseBytes []byte, tl *TrustList) (*Claims, error) {
	if tl == nil {
		return nil, fmt.Errorf("%w: no trust list", ErrUnknownKey)
	}
	v, err := openSigned(coseBytes, aadCredential, tl.Keys, "credential", func(p []byte) (time.Time, error) {
		c, err := parseClaims(p)
		if err != nil {
			return time.Time{}, err
		}
		return c.Issued, nil
	})
	if err != nil {
		return nil, err
	}
	c, err := parseClaims(v.payload)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(c.KeyID, v.kid) {
		return nil, fmt.Errorf("%w: claims name key %x, header %x", ErrMalformed, c.KeyID, v.kid)
	}
	return c, nil
}

// VerifyText decodes credential text and verifies it.
func VerifyText(text string, tl *TrustList) (*Claims, error) {
	b, err := Decode(text)
	if err != nil {
		return nil, err
	}
	return Verify(b, tl)
}
