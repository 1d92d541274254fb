package vc

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// formatVectors reads the blocks FORMAT.md marks `<!-- vector: NAME -->`.
func formatVectors(t *testing.T) (map[string]string, string) {
	t.Helper()
	b, err := os.ReadFile("FORMAT.md")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?s)<!-- vector: ([a-z]+) -->\n```[a-z]*\n(.*?)\n```")
	v := map[string]string{}
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		v[m[1]] = m[2]
	}
	return v, string(b)
}

func TestFormatVector(t *testing.T) {
	v, _ := formatVectors(t)
	for _, k := range []string{"seed", "public", "kid", "now", "idnumber", "salt", "idhash", "header", "payload", "token"} {
		if v[k] == "" {
			t.Fatalf("FORMAT.md has no vector %q", k)
		}
	}
	seed, err := hex.DecodeString(v["seed"])
	if err != nil || !bytes.Equal(seed, vectorSeed) {
		t.Fatalf("seed %q differs from the test's key", v["seed"])
	}
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	if hex.EncodeToString(pub) != v["public"] {
		t.Errorf("public key %x, FORMAT.md %s", pub, v["public"])
	}
	if v["kid"] != vectorKid || v["idnumber"] != vectorID || v["salt"] != vectorSlt {
		t.Fatal("kid, ID number or salt differ from the test's")
	}
	now, err := time.Parse(time.RFC3339, v["now"])
	if err != nil || !now.Equal(vectorClock) {
		t.Fatalf("now %q differs from the test's clock", v["now"])
	}
	if got := IDHash(v["idnumber"], v["salt"]); got != v["idhash"] {
		t.Errorf("IDHash %s, FORMAT.md %s", got, v["idhash"])
	}
	token := strings.ReplaceAll(v["token"], "\n", "")
	var payload bytes.Buffer
	if err := json.Compact(&payload, []byte(v["payload"])); err != nil {
		t.Fatal(err)
	}

	// The code writes what the file says.
	got, c := mustToken(t)
	if got != token {
		t.Errorf("Sign gives a token other than FORMAT.md's:\n%s", got)
	}
	enc, _ := c.Encode()
	if !bytes.Equal(enc, payload.Bytes()) {
		t.Errorf("payload differs from FORMAT.md's:\n%s", enc)
	}
	parts := strings.Split(token, ".")
	if h, _ := base64.RawURLEncoding.DecodeString(parts[0]); string(h) != v["header"] {
		t.Errorf("token header %s, FORMAT.md %s", h, v["header"])
	}
	if p, _ := base64.RawURLEncoding.DecodeString(parts[1]); !bytes.Equal(p, payload.Bytes()) {
		t.Error("token payload is not FORMAT.md's payload")
	}
	// The token verifies by the plain Ed25519 of the standard library, as the file says.
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	if !ed25519.Verify(pub, []byte(parts[0]+"."+parts[1]), sig) {
		t.Error("signature does not verify over header.payload")
	}
	// And by Verify, with the holder's number matching.
	res, err := Verify(token, Keys{v["kid"]: {pub}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Credential.HolderMatches(v["idnumber"]) {
		t.Error("vector's ID number does not match")
	}
}

func TestFormatFailureVectors(t *testing.T) {
	v, doc := formatVectors(t)
	token := strings.ReplaceAll(v["token"], "\n", "")
	parts := strings.Split(token, ".")
	enc := base64.RawURLEncoding.EncodeToString
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	hdr := func(h string) string { return enc([]byte(h)) }
	keys := vectorKeys()
	type edit struct {
		tok string
		now time.Time
	}
	at := func(s string) edit { return edit{tok: s, now: vectorClock} }
	edits := map[string]edit{
		"sig-trailing-bits": at(strings.TrimSuffix(token, "w") + "x"),
		"padded":            at(parts[0] + "=." + parts[1] + "." + parts[2]),
		"two-parts":         at(parts[0] + "." + parts[1]),
		"sig-short":         at(parts[0] + "." + parts[1] + "." + parts[2][:84]),
		"typ-jwt":           at(hdr(`{"alg":"EdDSA","cty":"vc","kid":"onex-issuer-2026-1","typ":"JWT"}`) + "." + parts[1] + "." + parts[2]),
		"alg-none":          at(hdr(`{"alg":"none","cty":"vc","kid":"onex-issuer-2026-1","typ":"vc+jwt"}`) + "." + parts[1] + "."),
		"header-extra":      at(hdr(`{"alg":"EdDSA","cty":"vc","jku":"https://evil.example/keys","kid":"onex-issuer-2026-1","typ":"vc+jwt"}`) + "." + parts[1] + "." + parts[2]),
		"kid-unknown":       at(hdr(`{"alg":"EdDSA","cty":"vc","kid":"onex-issuer-2025-9","typ":"vc+jwt"}`) + "." + parts[1] + "." + parts[2]),
		"level-raised":      at(parts[0] + "." + enc(bytes.Replace(payload, []byte(`"value":"中级"`), []byte(`"value":"高级"`), 1)) + "." + parts[2]),
		"sig-flipped":       at(parts[0] + "." + parts[1] + "." + enc(append([]byte{sig[0] ^ 1}, sig[1:]...))),
		"resigned-bad-index": at(signRaw(t, []byte(v["header"]),
			bytes.Replace(payload, []byte(`"statusListIndex":"94567"`), []byte(`"statusListIndex":"094567"`), 1))),
		"before-valid": {tok: token, now: time.Date(2026, 6, 30, 1, 59, 59, 0, time.UTC)},
	}
	if !strings.HasSuffix(token, "w") {
		t.Fatal("the vector token no longer ends in w: update sig-trailing-bits")
	}
	errs := map[string]error{
		"ErrMalformed": ErrMalformed, "ErrHeader": ErrHeader, "ErrUnknownKey": ErrUnknownKey,
		"ErrSignature": ErrSignature, "ErrContent": ErrContent, "ErrNotYetValid": ErrNotYetValid, "ErrExpired": ErrExpired,
	}
	var rows [][]string // the credential's; the status list's (sl-) are TestStatusListFormatVector's; the transcript's (tr-) TestTranscriptFormatVector's
	for _, r := range regexp.MustCompile("(?m)^\\| `([a-z-]+)` \\| .* \\| `(Err[A-Za-z]+)` \\|$").FindAllStringSubmatch(doc, -1) {
		if !strings.HasPrefix(r[1], "sl-") && !strings.HasPrefix(r[1], "tr-") {
			rows = append(rows, r)
		}
	}
	if len(rows) != len(edits) {
		t.Errorf("FORMAT.md lists %d failure vectors, the test has %d edits", len(rows), len(edits))
	}
	for _, r := range rows {
		name, want := r[1], errs[r[2]]
		e, ok := edits[name]
		if !ok || want == nil {
			t.Errorf("failure vector %q (%s): no edit or unknown error", name, r[2])
			continue
		}
		if e.tok == token && e.now.Equal(vectorClock) {
			t.Errorf("%s: the edit left the token unchanged", name)
		}
		if _, err := Verify(e.tok, keys, e.now); !errors.Is(err, want) {
			t.Errorf("%s: want %s, got %v", name, r[2], err)
		}
	}
}
