package vc

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// The vector key is RFC 8032's TEST 1, so anyone can check the vector.
var (
	vectorSeed, _ = hex.DecodeString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
	vectorKey     = ed25519.NewKeyFromSeed(vectorSeed)
	vectorPub     = vectorKey.Public().(ed25519.PublicKey)
	vectorClock   = time.Date(2026, 7, 1, 9, 30, 0, 0, time.UTC)
)

const (
	vectorKid = "onex-issuer-2026-1"
	vectorID  = "11010519491231002X" // GB 11643's example number, not a person's
	vectorSlt = "q7Vb3mYk0TzR8wJp2LcN1g"
)

func vectorIssuer() Issuer {
	return Issuer{ID: "https://cert.onex.example.cn", Name: "OneX 职业技能等级证书评价组织"}
}

func vectorCert() Certificate {
	return Certificate{
		Number:          "WEB-2-2026-000123",
		HolderName:      "张三",
		IDHash:          IDHash(vectorID, vectorSlt),
		IDSalt:          vectorSlt,
		CertificateCode: "WEB",
		CertificateName: "Web 前端开发",
		Level:           "中级",
		Levels:          []string{"初级", "中级", "高级"},
		Criteria:        "通过理论考试与实操考试，成绩经审核合格。",
		Issued:          time.Date(2026, 6, 30, 2, 0, 0, 0, time.UTC),
		StatusListURL:   "https://cert.onex.example.cn/status/1",
		StatusIndex:     94567,
		StatusPurpose:   PurposeRevocation,
	}
}

func vectorKeys() Keys { return Keys{vectorKid: {vectorPub}} }

func mustToken(t testing.TB) (string, *Credential) {
	t.Helper()
	c, err := New(vectorIssuer(), vectorCert())
	if err != nil {
		t.Fatal(err)
	}
	tok, err := Sign(c, vectorKid, vectorKey)
	if err != nil {
		t.Fatal(err)
	}
	return tok, c
}

func TestRoundTrip(t *testing.T) {
	tok, c := mustToken(t)
	v, err := Verify(tok, vectorKeys(), vectorClock)
	if err != nil {
		t.Fatal(err)
	}
	if v.KeyID != vectorKid {
		t.Errorf("kid %q", v.KeyID)
	}
	a, _ := json.Marshal(c)
	b, _ := json.Marshal(v.Credential)
	if !bytes.Equal(a, b) {
		t.Errorf("round trip changed the credential:\n%s\n%s", a, b)
	}
	if !v.Credential.HolderMatches(vectorID) || !v.Credential.HolderMatches(" 11010519491231002x ") {
		t.Error("holder's own ID number does not match")
	}
	if v.Credential.HolderMatches("110105194912310039") {
		t.Error("another ID number matches")
	}
	if n, err := v.Credential.StatusIndex(); err != nil || n != 94567 {
		t.Errorf("status index %d, %v", n, err)
	}
	if strings.Contains(string(v.Payload), vectorID) || strings.Contains(string(v.Payload), "11010519491231002") {
		t.Error("the ID number appears in the signed document")
	}
}

// The header a token carries, decoded.
func TestHeader(t *testing.T) {
	tok, _ := mustToken(t)
	h, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	want := `{"alg":"EdDSA","cty":"vc","kid":"onex-issuer-2026-1","typ":"vc+jwt"}`
	if string(h) != want {
		t.Errorf("header %s, want %s", h, want)
	}
}

// TestRequirements removes or breaks one thing VC 2.0, OB 3.0 or Bitstring
// Status List requires, signs the result as the issuer would, and expects
// Verify to refuse it as content.
func TestRequirements(t *testing.T) {
	cases := []struct {
		name string
		edit func(m map[string]any)
	}{
		{"VC 2.0 4.3: @context missing", func(m map[string]any) { delete(m, "@context") }},
		{"VC 2.0 4.3: first context not v2", func(m map[string]any) {
			m["@context"] = []any{"https://www.w3.org/2018/credentials/v1", ContextOB3}
		}},
		{"OB 3.0: OB context missing", func(m map[string]any) { m["@context"] = []any{ContextVC2} }},
		{"OB 3.0: id missing", func(m map[string]any) { delete(m, "id") }},
		{"VC 2.0 4.4: id not a URL", func(m map[string]any) { m["id"] = "cert 123" }},
		{"VC 2.0 4.5: type missing", func(m map[string]any) { delete(m, "type") }},
		{"VC 2.0 4.5: VerifiableCredential missing", func(m map[string]any) { m["type"] = []any{"OpenBadgeCredential"} }},
		{"OB 3.0: OpenBadgeCredential missing", func(m map[string]any) { m["type"] = []any{"VerifiableCredential"} }},
		{"VC 2.0 4.7: issuer missing", func(m map[string]any) { delete(m, "issuer") }},
		{"VC 2.0 4.7: issuer id not a URL", func(m map[string]any) { sub(m, "issuer")["id"] = "onex" }},
		{"OB 3.0: issuer type not Profile", func(m map[string]any) { sub(m, "issuer")["type"] = []any{"Issuer"} }},
		{"OneX: issuer name empty", func(m map[string]any) { sub(m, "issuer")["name"] = " " }},
		{"OB 3.0: name missing", func(m map[string]any) { delete(m, "name") }},
		{"VC 2.0 4.9: validFrom not a dateTimeStamp", func(m map[string]any) { m["validFrom"] = "2026-06-30" }},
		{"VC 2.0 4.9: validFrom without zone", func(m map[string]any) { m["validFrom"] = "2026-06-30T02:00:00" }},
		{"VC 2.0 4.9: validUntil before validFrom", func(m map[string]any) { m["validUntil"] = "2026-06-29T00:00:00Z" }},
		{"VC 2.0 4.8: credentialSubject missing", func(m map[string]any) { delete(m, "credentialSubject") }},
		{"OB 3.0: subject type not AchievementSubject", func(m map[string]any) { sub(m, "credentialSubject")["type"] = []any{"Person"} }},
		{"OneX: ID number in clear", func(m map[string]any) { ident(m, 0)["hashed"] = false; ident(m, 0)["identityHash"] = vectorID }},
		{"OneX: ID hash without salt", func(m map[string]any) { delete(ident(m, 0), "salt") }},
		{"OB 3.0: identityHash not sha256$", func(m map[string]any) { ident(m, 0)["identityHash"] = "md5$abc" }},
		{"OneX: name identity missing", func(m map[string]any) {
			s := sub(m, "credentialSubject")
			s["identifier"] = s["identifier"].([]any)[:1]
		}},
		{"OB 3.0: IdentityObject type", func(m map[string]any) { ident(m, 1)["type"] = "Identity" }},
		{"OB 3.0: achievement id missing", func(m map[string]any) { delete(ach(m), "id") }},
		{"OB 3.0: achievement criteria empty", func(m map[string]any) { ach(m)["criteria"] = map[string]any{"narrative": ""} }},
		{"OB 3.0: achievement name empty", func(m map[string]any) { ach(m)["name"] = "" }},
		{"OneX: level not allowed", func(m map[string]any) {
			sub(m, "credentialSubject")["result"].([]any)[0].(map[string]any)["value"] = "特级"
		}},
		{"OB 3.0: result names another description", func(m map[string]any) {
			sub(m, "credentialSubject")["result"].([]any)[0].(map[string]any)["resultDescription"] = "https://x.example/other"
		}},
		{"BSL: credentialStatus missing", func(m map[string]any) { delete(m, "credentialStatus") }},
		{"BSL: type", func(m map[string]any) { sub(m, "credentialStatus")["type"] = "StatusList2021Entry" }},
		{"BSL: statusPurpose", func(m map[string]any) { sub(m, "credentialStatus")["statusPurpose"] = "refresh" }},
		{"BSL: statusListIndex not a string", func(m map[string]any) { sub(m, "credentialStatus")["statusListIndex"] = 94567 }},
		{"BSL: statusListIndex negative", func(m map[string]any) { sub(m, "credentialStatus")["statusListIndex"] = "-1" }},
		{"BSL: statusListIndex leading zero", func(m map[string]any) { sub(m, "credentialStatus")["statusListIndex"] = "094567" }},
		{"BSL: statusListCredential not a URL", func(m map[string]any) { sub(m, "credentialStatus")["statusListCredential"] = "status/1" }},
		{"OneX: unknown field", func(m map[string]any) { m["evidence"] = []any{} }},
	}
	_, c := mustToken(t)
	good, _ := c.Encode()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(good, &m); err != nil {
				t.Fatal(err)
			}
			tc.edit(m)
			payload, _ := json.Marshal(m)
			tok := signRaw(t, []byte(`{"alg":"EdDSA","cty":"vc","kid":"`+vectorKid+`","typ":"vc+jwt"}`), payload)
			_, err := Verify(tok, vectorKeys(), vectorClock)
			if !errors.Is(err, ErrContent) {
				t.Fatalf("want ErrContent, got %v", err)
			}
		})
	}
	// The control: the unedited map, re-marshalled and signed the same way, passes.
	var m map[string]any
	_ = json.Unmarshal(good, &m)
	payload, _ := json.Marshal(m)
	if _, err := Verify(signRaw(t, []byte(`{"alg":"EdDSA","cty":"vc","kid":"`+vectorKid+`","typ":"vc+jwt"}`), payload), vectorKeys(), vectorClock); err != nil {
		t.Fatalf("control refused: %v", err)
	}
}

func sub(m map[string]any, k string) map[string]any { return m[k].(map[string]any) }
func ach(m map[string]any) map[string]any           { return sub(sub(m, "credentialSubject"), "achievement") }
func ident(m map[string]any, i int) map[string]any {
	return sub(m, "credentialSubject")["identifier"].([]any)[i].(map[string]any)
}

// signRaw makes a compact JWS of any header and payload with the vector key.
func signRaw(t testing.TB, hdr, payload []byte) string {
	t.Helper()
	in := base64.RawURLEncoding.EncodeToString(hdr) + "." + base64.RawURLEncoding.EncodeToString(payload)
	return in + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(vectorKey, []byte(in)))
}

// Every single-character change anywhere in the token is refused.
func TestEveryAlterationRefused(t *testing.T) {
	tok, _ := mustToken(t)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
	for i := 0; i < len(tok); i++ {
		for _, r := range []byte{alphabet[(strings.IndexByte(alphabet, tok[i])+1)%len(alphabet)], '.', '='} {
			if r == tok[i] {
				continue
			}
			bad := tok[:i] + string(r) + tok[i+1:]
			if _, err := Verify(bad, vectorKeys(), vectorClock); err == nil {
				t.Fatalf("changing byte %d from %q to %q was accepted", i, tok[i], r)
			}
		}
	}
	// Dropping or adding a character is refused too.
	for _, bad := range []string{tok[:len(tok)-1], tok + "A", tok[1:], "A" + tok, tok + "."} {
		if _, err := Verify(bad, vectorKeys(), vectorClock); err == nil {
			t.Fatalf("%q…%q accepted", bad[:8], bad[len(bad)-8:])
		}
	}
}

func TestTamperReasons(t *testing.T) {
	tok, c := mustToken(t)
	parts := strings.Split(tok, ".")
	payload, _ := c.Encode()
	other, _ := New(vectorIssuer(), func() Certificate { x := vectorCert(); x.Level = "高级"; return x }())
	otherPayload, _ := other.Encode()
	otherKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	enc := base64.RawURLEncoding.EncodeToString
	hdr := func(s string) string { return enc([]byte(s)) }
	good := `{"alg":"EdDSA","cty":"vc","kid":"onex-issuer-2026-1","typ":"vc+jwt"}`
	sigBytes, _ := base64.RawURLEncoding.DecodeString(parts[2])
	flipped := append([]byte(nil), sigBytes...)
	flipped[0] ^= 1
	cases := []struct {
		name string
		tok  string
		keys Keys
		want error
	}{
		{"payload swapped (level raised)", parts[0] + "." + enc(otherPayload) + "." + parts[2], nil, ErrSignature},
		{"payload with a space added", parts[0] + "." + enc(append(payload, ' ')) + "." + parts[2], nil, ErrSignature},
		{"header kid changed", hdr(strings.Replace(good, "2026-1", "2026-2", 1)) + "." + parts[1] + "." + parts[2],
			Keys{vectorKid: {vectorPub}, "onex-issuer-2026-2": {vectorPub}}, ErrSignature},
		{"header typ JWT", hdr(`{"alg":"EdDSA","cty":"vc","kid":"onex-issuer-2026-1","typ":"JWT"}`) + "." + parts[1] + "." + parts[2], nil, ErrHeader},
		{"header cty missing", hdr(`{"alg":"EdDSA","kid":"onex-issuer-2026-1","typ":"vc+jwt"}`) + "." + parts[1] + "." + parts[2], nil, ErrHeader},
		{"header alg none", hdr(`{"alg":"none","cty":"vc","kid":"onex-issuer-2026-1","typ":"vc+jwt"}`) + "." + parts[1] + ".", nil, ErrHeader},
		{"header alg HS256", hdr(`{"alg":"HS256","cty":"vc","kid":"onex-issuer-2026-1","typ":"vc+jwt"}`) + "." + parts[1] + "." + parts[2], nil, ErrHeader},
		{"header crit added", hdr(`{"alg":"EdDSA","crit":["b64"],"b64":false,"cty":"vc","kid":"onex-issuer-2026-1","typ":"vc+jwt"}`) + "." + parts[1] + "." + parts[2], nil, ErrHeader},
		{"header kid missing", hdr(`{"alg":"EdDSA","cty":"vc","typ":"vc+jwt"}`) + "." + parts[1] + "." + parts[2], nil, ErrHeader},
		{"signature bit flipped", parts[0] + "." + parts[1] + "." + enc(flipped), nil, ErrSignature},
		{"signature truncated", parts[0] + "." + parts[1] + "." + enc(sigBytes[:63]), nil, ErrMalformed},
		{"signature empty", parts[0] + "." + parts[1] + ".", nil, ErrMalformed},
		{"signed by another key under our kid", signWith(otherKey, good, payload), nil, ErrSignature},
		{"kid unknown", tok, Keys{"onex-issuer-2025-1": {vectorPub}}, ErrUnknownKey},
		{"no keys", tok, Keys{}, ErrUnknownKey},
		{"kid known, key rotated away", tok, Keys{vectorKid: {otherKey.Public().(ed25519.PublicKey)}}, ErrSignature},
		{"padded base64", parts[0] + "=." + parts[1] + "." + parts[2], nil, ErrMalformed},
		{"JSON serialization", `{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`, nil, ErrMalformed},
		{"four parts", tok + ".AA", nil, ErrMalformed},
		{"too long", strings.Repeat("A", MaxTokenBytes+1), nil, ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			keys := tc.keys
			if keys == nil {
				keys = vectorKeys()
			}
			_, err := Verify(tc.tok, keys, vectorClock)
			if !errors.Is(err, tc.want) {
				t.Fatalf("want %v, got %v", tc.want, err)
			}
		})
	}
}

func signWith(key ed25519.PrivateKey, hdr string, payload []byte) string {
	in := base64.RawURLEncoding.EncodeToString([]byte(hdr)) + "." + base64.RawURLEncoding.EncodeToString(payload)
	return in + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(key, []byte(in)))
}

// A key id naming several keys (a rotation): the one that signed is found
// whichever order they come in.
func TestRotationTriesEveryKey(t *testing.T) {
	tok, _ := mustToken(t)
	old := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32)).Public().(ed25519.PublicKey)
	for _, ks := range [][]ed25519.PublicKey{{old, vectorPub}, {vectorPub, old}, {ed25519.PublicKey{1, 2}, vectorPub}} {
		if _, err := Verify(tok, Keys{vectorKid: ks}, vectorClock); err != nil {
			t.Errorf("keys %d: %v", len(ks), err)
		}
	}
}

func TestValidityWindow(t *testing.T) {
	cert := vectorCert()
	cert.ValidUntil = time.Date(2030, 6, 30, 0, 0, 0, 0, time.UTC)
	c, err := New(vectorIssuer(), cert)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := Sign(c, vectorKid, vectorKey)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		now  time.Time
		want error
	}{
		{cert.Issued.Add(-time.Second), ErrNotYetValid},
		{cert.Issued, nil},
		{cert.ValidUntil.Add(-time.Second), nil},
		{cert.ValidUntil, ErrExpired},
	}
	for _, tc := range cases {
		_, err := Verify(tok, vectorKeys(), tc.now)
		if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Errorf("at %s: want %v, got %v", tc.now, tc.want, err)
		}
	}
}

func TestNewRefuses(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Certificate)
	}{
		{"zero issued", func(c *Certificate) { c.Issued = time.Time{} }},
		{"negative index", func(c *Certificate) { c.StatusIndex = -1 }},
		{"no hash", func(c *Certificate) { c.IDHash = "" }},
		{"raw ID as hash", func(c *Certificate) { c.IDHash = vectorID }},
		{"no name", func(c *Certificate) { c.HolderName = "" }},
		{"level not allowed", func(c *Certificate) { c.Level = "特级" }},
		{"bad purpose", func(c *Certificate) { c.StatusPurpose = "message" }},
		{"status list not https", func(c *Certificate) { c.StatusListURL = "http://cert.example/status/1" }},
		{"no criteria", func(c *Certificate) { c.Criteria = "" }},
		{"until before from", func(c *Certificate) { c.ValidUntil = c.Issued.Add(-time.Hour) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cert := vectorCert()
			tc.edit(&cert)
			if _, err := New(vectorIssuer(), cert); !errors.Is(err, ErrContent) {
				t.Fatalf("want ErrContent, got %v", err)
			}
		})
	}
	c, _ := New(vectorIssuer(), vectorCert())
	if _, err := Sign(c, "", vectorKey); err == nil {
		t.Error("empty kid signed")
	}
	if _, err := Sign(c, vectorKid, vectorKey[:32]); err == nil {
		t.Error("short key signed")
	}
}

// Property: any certificate New accepts round-trips through Sign and Verify
// unchanged, its holder's number matches and a different number does not,
// and the number never appears in the token's document.
func TestPropertyRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cert := vectorCert()
		cert.HolderName = rapid.StringMatching(`[\p{Han}A-Za-z·]{1,20}`).Draw(t, "name")
		cert.Number = rapid.StringMatching(`[A-Z0-9-]{1,30}`).Draw(t, "number")
		cert.CertificateCode = rapid.StringMatching(`[A-Z]{2,8}`).Draw(t, "code")
		cert.CertificateName = rapid.StringMatching(`[\p{Han}A-Za-z ]{0,30}[\p{Han}A-Za-z]`).Draw(t, "certname")
		cert.Criteria = rapid.StringMatching(`[^\x00]{1,200}`).Draw(t, "criteria")
		if strings.TrimSpace(cert.Criteria) == "" {
			cert.Criteria = "x"
		}
		cert.Level = rapid.SampledFrom(cert.Levels).Draw(t, "level")
		cert.StatusIndex = rapid.IntRange(0, 1<<31).Draw(t, "index")
		cert.StatusPurpose = rapid.SampledFrom([]string{PurposeRevocation, PurposeSuspension}).Draw(t, "purpose")
		cert.Issued = time.Unix(rapid.Int64Range(0, 4102444800).Draw(t, "issued"), 0)
		id := rapid.StringMatching(`[1-9][0-9]{16}[0-9X]`).Draw(t, "id")
		cert.IDSalt = rapid.StringMatching(`[A-Za-z0-9_-]{16,24}`).Draw(t, "salt")
		cert.IDHash = IDHash(id, cert.IDSalt)
		c, err := New(vectorIssuer(), cert)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := Sign(c, vectorKid, vectorKey)
		if err != nil {
			t.Fatal(err)
		}
		v, err := Verify(tok, vectorKeys(), cert.Issued.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		a, _ := c.Encode()
		b, _ := v.Credential.Encode()
		if !bytes.Equal(a, b) || !bytes.Equal(a, v.Payload) {
			t.Fatalf("changed:\n%s\n%s", a, b)
		}
		if !v.Credential.HolderMatches(id) {
			t.Fatal("own number does not match")
		}
		other := rapid.StringMatching(`[1-9][0-9]{16}[0-9X]`).Draw(t, "other")
		if other != id && v.Credential.HolderMatches(other) {
			t.Fatal("another number matches")
		}
		if strings.Contains(string(v.Payload), id) {
			t.Fatal("number in the document")
		}
		if n, _ := v.Credential.StatusIndex(); n != cert.StatusIndex {
			t.Fatalf("index %d, want %d", n, cert.StatusIndex)
		}
	})
}

func FuzzVerify(f *testing.F) {
	tok, _ := mustToken(f)
	f.Add(tok)
	f.Add("")
	f.Add("..")
	f.Add("eyJhbGciOiJub25lIn0..")
	parts := strings.Split(tok, ".")
	f.Add(parts[0] + "." + parts[1] + ".")
	f.Add(parts[0] + ".e30." + parts[2])
	keys := vectorKeys()
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Verify(s, keys, vectorClock)
		if err != nil {
			if v != nil || !wrapsOurs(err) {
				t.Fatalf("result %v with the error, or an error of no Err value: %v", v, err)
			}
			return
		}
		// Only the one token the key signed here can verify.
		if s != tok {
			t.Fatalf("a token the test never signed verified: %q", s)
		}
	})
}

func BenchmarkSign(b *testing.B) {
	c, err := New(vectorIssuer(), vectorCert())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Sign(c, vectorKid, vectorKey); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	tok, _ := mustToken(b)
	keys := vectorKeys()
	b.ReportMetric(float64(len(tok)), "token-bytes")
	for b.Loop() {
		if _, err := Verify(tok, keys, vectorClock); err != nil {
			b.Fatal(err)
		}
	}
}
