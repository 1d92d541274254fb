package credential

import (
	"crypto/ed25519"
	"crypto/sha256"
	"testing"
	"time"
)

// testKey derives a fixed Ed25519 key from a name, so vectors are
// reproducible.
func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("onex credential test key: " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func trusted(k ed25519.PrivateKey, from, to time.Time) TrustedKey {
	pub := k.Public().(ed25519.PublicKey)
	return TrustedKey{KeyID: KeyID(pub), Public: pub, NotBefore: from, NotAfter: to}
}

// testIDNumber is a made-up resident ID number of the right shape.
const testIDNumber = "11010519900307123X"

// realistic is a realistic Chinese certificate: long organisation and site
// names, a three-character name.
func realistic() Claims {
	salt := sha256.Sum256([]byte("salt"))
	return Claims{
		Number:       "WEB-FE-2-2026-00012345",
		Holder:       "欧阳振华",
		IDSalt:       salt[:SaltSize],
		IDHash:       HashID(salt[:SaltSize], testIDNumber),
		Certificate:  "WEB-FRONTEND",
		Level:        2,
		Organisation: "北京新大陆时代教育科技有限公司",
		Site:         "番禺职业技术学院考点",
		Issued:       time.Date(2026, 7, 15, 9, 30, 0, 0, time.UTC),
		StatusIndex:  123456,
	}
}

// fixture is an issuer, its trust list and a root.
type fixture struct {
	root   ed25519.PrivateKey
	issuer *Issuer
	tl     *TrustList
}

func newFixture(t testing.TB) fixture {
	root := testKey("root")
	ik := testKey("issuer 2026")
	signed, err := SignTrustList(root, TrustList{Issued: date(2026, 1, 1), Keys: []TrustedKey{
		trusted(testKey("issuer 2025"), date(2025, 1, 1), date(2026, 1, 1)),
		trusted(ik, date(2026, 1, 1), date(2027, 1, 1)),
	}})
	if err != nil {
		t.Fatal(err)
	}
	tl, err := OpenTrustList(signed, root.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return fixture{root: root, issuer: NewIssuer(ik), tl: tl}
}
