package credential

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.json")

type vectorClaims struct {
	Number       string `json:"number"`
	Holder       string `json:"holder"`
	IDSalt       string `json:"id_salt"`
	IDHash       string `json:"id_hash"`
	Certificate  string `json:"certificate"`
	Level        int    `json:"level"`
	Organisation string `json:"organisation"`
	Site         string `json:"site"`
	Issued       int64  `json:"issued"`
	StatusIndex  uint32 `json:"status_index"`
	KeyID        string `json:"key_id"`
}

type failureVector struct {
	Name  string `json:"name"`
	Text  string `json:"text"`
	Error string `json:"error"`
}

type vectors struct {
	Note         string          `json:"note"`
	RootSeed     string          `json:"root_seed"`
	RootPublic   string          `json:"root_public"`
	IssuerSeed   string          `json:"issuer_seed"`
	IssuerPublic string          `json:"issuer_public"`
	IssuerKeyID  string          `json:"issuer_key_id"`
	TrustList    string          `json:"trust_list"`
	IDNumber     string          `json:"id_number"`
	Claims       vectorClaims    `json:"claims"`
	ClaimsCBOR   string          `json:"claims_cbor"`
	COSE         string          `json:"cose"`
	Text         string          `json:"text"`
	StatusList   string          `json:"status_list"`
	StatusIssued int64           `json:"status_issued"`
	Statuses     map[int]string  `json:"statuses"`
	Failures     []failureVector `json:"failures"`
}

// makeVectors computes every vector from fixed keys.
func makeVectors(t *testing.T) vectors {
	root, ik, old := testKey("root"), testKey("issuer 2026"), testKey("issuer 2025")
	tlBytes, err := SignTrustList(root, TrustList{Issued: date(2026, 1, 1), Keys: []TrustedKey{
		trusted(old, date(2025, 1, 1), date(2026, 1, 1)),
		trusted(ik, date(2026, 1, 1), date(2027, 1, 1)),
	}})
	if err != nil {
		t.Fatal(err)
	}
	issuer := NewIssuer(ik)
	c := realistic()
	coseBytes, err := issuer.Issue(c)
	if err != nil {
		t.Fatal(err)
	}
	c.KeyID = issuer.KeyID()
	payload, _ := encMode.Marshal(c.wire())
	text := Encode(coseBytes)

	tampered := bytes.Clone(coseBytes)
	tampered[len(tampered)-1] ^= 0x01 // last byte of the signature
	tamperedClaims := bytes.Clone(coseBytes)
	i := bytes.Index(tamperedClaims, []byte(c.Holder))
	tamperedClaims[i+len(c.Holder)-1] ^= 0x01 // last byte of the holder's name
	wrongKey, _ := NewIssuer(testKey("stranger")).Issue(realistic())
	forged, _ := sign(testKey("stranger"), issuer.KeyID(), payload, aadCredential)
	expired, _ := NewIssuer(old).Issue(realistic()) // issued 2026-07-15, key's window ended 2026-01-01
	trailing := append(bytes.Clone(coseBytes), 0x00)

	sl := NewStatusList(date(2026, 8, 1), 0)
	sl.Revocation.Set(7, true)
	sl.Suspension.Set(8, true)
	slBytes, err := issuer.SignStatusList(sl)
	if err != nil {
		t.Fatal(err)
	}
	seed := func(k ed25519.PrivateKey) string { return hex.EncodeToString(k.Seed()) }
	pub := func(k ed25519.PrivateKey) string { return hex.EncodeToString(k.Public().(ed25519.PublicKey)) }
	return vectors{
		Note:         "FORMAT.md's vectors; regenerate with go test ./exam/credential -run TestVectors -update",
		RootSeed:     seed(root),
		RootPublic:   pub(root),
		IssuerSeed:   seed(ik),
		IssuerPublic: pub(ik),
		IssuerKeyID:  hex.EncodeToString(issuer.KeyID()),
		TrustList:    hex.EncodeToString(tlBytes),
		IDNumber:     testIDNumber,
		Claims: vectorClaims{c.Number, c.Holder, hex.EncodeToString(c.IDSalt), hex.EncodeToString(c.IDHash),
			c.Certificate, c.Level, c.Organisation, c.Site, c.Issued.Unix(), c.StatusIndex, hex.EncodeToString(c.KeyID)},
		ClaimsCBOR:   hex.EncodeToString(payload),
		COSE:         hex.EncodeToString(coseBytes),
		Text:         text,
		StatusList:   hex.EncodeToString(slBytes),
		StatusIssued: sl.Issued.Unix(),
		Statuses:     map[int]string{6: "valid", 7: "revoked", 8: "suspended"},
		Failures: []failureVector{
			{"tampered signature", Encode(tampered), "bad_signature"},
			{"tampered claims", Encode(tamperedClaims), "bad_signature"},
			{"wrong key (not in the trust list)", Encode(wrongKey), "unknown_key"},
			{"forged under the issuer's key id", Encode(forged), "bad_signature"},
			{"expired key (signed after its window)", Encode(expired), "key_window"},
			{"bad prefix", "HC1:" + text[len(Prefix):], "prefix"},
			{"lower-case prefix", "ox1:" + text[len(Prefix):], "prefix"},
			{"bad Base45", text[:len(text)-3] + "GGW", "base45"},
			{"trailing byte", Encode(trailing), "malformed"},
		},
	}
}

func TestVectors(t *testing.T) {
	v := makeVectors(t)
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	const path = "testdata/vectors.json"
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the vectors computed now (run with -update if the format changed on purpose)", path)
	}

	// The file's vectors, read back as a verifier would.
	var fv vectors
	if err := json.Unmarshal(want, &fv); err != nil {
		t.Fatal(err)
	}
	rootPub, _ := hex.DecodeString(fv.RootPublic)
	tlBytes, _ := hex.DecodeString(fv.TrustList)
	tl, err := OpenTrustList(tlBytes, rootPub)
	if err != nil {
		t.Fatal(err)
	}
	c, err := VerifyText(fv.Text, tl)
	if err != nil {
		t.Fatalf("valid vector: %v", err)
	}
	if c.Holder != fv.Claims.Holder || c.Number != fv.Claims.Number || c.Issued.Unix() != fv.Claims.Issued || !c.CheckID(fv.IDNumber) {
		t.Errorf("valid vector's claims %+v", c)
	}
	coseBytes, _ := hex.DecodeString(fv.COSE)
	if b, _ := Decode(fv.Text); !bytes.Equal(b, coseBytes) {
		t.Error("text does not decode to the cose vector")
	}
	for _, f := range fv.Failures {
		_, err := VerifyText(f.Text, tl)
		if errorName(err) != f.Error {
			t.Errorf("%s: %v (%s), want %s", f.Name, err, errorName(err), f.Error)
		}
	}
	slBytes, _ := hex.DecodeString(fv.StatusList)
	sl, err := OpenStatusList(slBytes, tl)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range fv.Statuses {
		if s, err := sl.Status(uint32(i)); err != nil || s.String() != want {
			t.Errorf("status %d = %v, %v; want %s", i, s, err, want)
		}
	}
}
