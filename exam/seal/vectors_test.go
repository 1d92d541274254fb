package seal

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hpke"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"testing"
	"testing/cryptotest"
	"time"

	"github.com/google/uuid"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.json")

const vectorsFile = "testdata/vectors.json"

// hexBytes is a byte string written as lower-case hex in JSON.
type hexBytes []byte

func (h hexBytes) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(h)), nil }

func (h *hexBytes) UnmarshalText(b []byte) error {
	d, err := hex.DecodeString(string(b))
	*h = d
	return err
}

type argonJSON struct {
	Time      uint32 `json:"time"`
	MemoryKiB uint32 `json:"memory_kib"`
	Threads   uint8  `json:"threads"`
}

type codeVector struct {
	Random hexBytes `json:"random"`
	Code   string   `json:"code"`
}

// typedVector is a code as typed and what ParseUnlockCode makes of it: the
// code's bytes, or the group it reports as mistyped (0: wrong length).
type typedVector struct {
	Typed         string   `json:"typed"`
	Random        hexBytes `json:"random,omitempty"`
	MistypedGroup *int     `json:"mistyped_group,omitempty"`
}

type partVector struct {
	Name   string   `json:"name"`
	Size   int64    `json:"size"`
	SHA256 hexBytes `json:"sha256"`
}

// vectors is testdata/vectors.json. Inputs named "random" are the bytes the
// operation reads from its random source, in order; FORMAT.md says which.
type vectors struct {
	Comment string `json:"comment"`
	Keys    struct {
		CentralRandom      hexBytes `json:"central_random"`
		CentralPrivate     hexBytes `json:"central_private"`
		CentralPublic      hexBytes `json:"central_public"`
		CentralFingerprint string   `json:"central_fingerprint"`
		CentralSecretsKey  hexBytes `json:"central_secrets_key"`      // key id, then key
		CertificateRoot    hexBytes `json:"central_certificate_root"` // the Ed25519 public key
		LearnerKey         hexBytes `json:"central_learner_key"`      // [added: issue 17]
		DeviceRandom       hexBytes `json:"device_random"`
		DevicePrivate      hexBytes `json:"device_private"`
		DevicePublic       hexBytes `json:"device_public"`
		DeviceFingerprint  string   `json:"device_fingerprint"`
		DeviceKeyID        hexBytes `json:"device_key_id"`
	} `json:"keys"`
	UnlockCodes []struct {
		Random hexBytes `json:"random"`
		Code   string   `json:"code"`
	} `json:"unlock_codes"`
	TypedCodes []struct {
		Typed         string   `json:"typed"`
		Random        hexBytes `json:"random,omitempty"`
		MistypedGroup *int     `json:"mistyped_group,omitempty"`
	} `json:"typed_codes"`
	ReleaseKey struct {
		Code      string    `json:"code"`
		SessionID string    `json:"session_id"`
		Argon2id  argonJSON `json:"argon2id"`
		Salt      hexBytes  `json:"salt"`
		Key       hexBytes  `json:"key"`
	} `json:"release_key"`
	Paper struct {
		PaperID    string   `json:"paper_id"`
		Version    uint32   `json:"version"`
		SessionID  string   `json:"session_id"`
		ReleaseKey hexBytes `json:"release_key"`
		Random     hexBytes `json:"random"`
		Plaintext  string   `json:"plaintext"`
		Body       hexBytes `json:"body"`
		Key        hexBytes `json:"key"`
	} `json:"paper"`
	Manifest struct {
		PackageID string       `json:"package_id"`
		SessionID string       `json:"session_id"`
		Created   int64        `json:"created_unix_nano"`
		Version   uint64       `json:"version"`
		Parts     []partVector `json:"parts"`
		Signed    hexBytes     `json:"signed"`
	} `json:"manifest"`
	PackageList struct {
		Request  hexBytes `json:"request"`
		Cursor   uint64   `json:"cursor"`
		Packages []struct {
			SessionID string   `json:"session_id"`
			Version   uint64   `json:"version"`
			Manifest  hexBytes `json:"manifest_hash"`
		} `json:"packages"`
		Signed hexBytes `json:"signed"`
	} `json:"package_list"`
	Envelope envelopeVector `json:"envelope"`
	Receipt  struct {
		ServerSeq  uint64   `json:"server_seq"`
		ServerTime int64    `json:"server_time_unix_nano"`
		Receipt    hexBytes `json:"receipt"`
	} `json:"receipt"`
	Field struct {
		StoreKeyRandom hexBytes `json:"store_key_random"`
		Table          string   `json:"table"`
		Column         string   `json:"column"`
		RowID          string   `json:"row_id"`
		Random         hexBytes `json:"random"`
		Plaintext      string   `json:"plaintext"`
		AD             hexBytes `json:"associated_data"`
		Sealed         hexBytes `json:"sealed"`
	} `json:"field"`
	WrappedStoreKey struct {
		Passphrase string    `json:"passphrase"`
		Argon2id   argonJSON `json:"argon2id"`
		Random     hexBytes  `json:"random"`
		Wrapped    hexBytes  `json:"wrapped"`
	} `json:"wrapped_store_key"`
	TLSKeys struct {
		SPKI      []hexBytes `json:"spki_sha256"`
		Statement hexBytes   `json:"statement"`
	} `json:"tls_keys"`
	// Version 2: central's keys with the hybrid part, fresh and upgraded
	// from keys.central_private; central's signed key; an envelope sealed to
	// keys_v2.central_public by the device of keys.
	KeysV2 struct {
		CentralRandom      hexBytes `json:"central_random"`
		CentralPrivate     hexBytes `json:"central_private"`
		CentralPublic      hexBytes `json:"central_public"`
		CentralFingerprint string   `json:"central_fingerprint"`
		CentralSecretsKey  hexBytes `json:"central_secrets_key"`
		UpgradedPrivate    hexBytes `json:"upgraded_private"` // keys.central_private upgraded
		UpgradedPublic     hexBytes `json:"upgraded_public"`
		UpgradedSecretsKey hexBytes `json:"upgraded_secrets_key"` // equal to keys.central_secrets_key
	} `json:"keys_v2"`
	SignedCentralKey struct {
		Created  int64    `json:"created_unix_nano"`
		Key      hexBytes `json:"key"`      // keys_v2.upgraded_public
		Manifest hexBytes `json:"manifest"` // signed by keys.central_private
	} `json:"signed_central_key"`
	EnvelopeV2 envelopeVector  `json:"envelope_v2"`
	Failures   []failureVector `json:"failures"`
}

// envelopeVector is a record sealed in an envelope: its inputs (record id
// to plaintext) and what sealing makes of them.
type envelopeVector struct {
	RecordID       string   `json:"record_id"`
	DeviceID       string   `json:"device_id"`
	Epoch          uint64   `json:"epoch"`
	Seq            uint64   `json:"seq"`
	Prev           hexBytes `json:"prev"`
	Kind           string   `json:"kind"`
	Created        int64    `json:"created_unix_nano"`
	Plaintext      string   `json:"plaintext"`
	Header         hexBytes `json:"header"`
	InnerSignature hexBytes `json:"inner_signature"`
	Envelope       hexBytes `json:"envelope"`
	EnvelopeHash   hexBytes `json:"envelope_hash"`
	ReceiptCode    string   `json:"receipt_code"`
}

// failureVector is input that an operation must refuse with the named
// error. Operations: "open_envelope" (keys_v2's central opens input from
// the device of keys), "open_envelope_release1" (the same with
// keys.central_private, a central of release 1), "parse_central_private",
// "parse_central_public", and "open_central_key" (a device trusting
// keys.central_public opens the signed manifest input and the key).
type failureVector struct {
	Name      string   `json:"name"`
	Operation string   `json:"operation"`
	Input     hexBytes `json:"input"`
	Key       hexBytes `json:"key,omitempty"`
	Error     string   `json:"error"`
}

// sentinels name the errors failure vectors expect.
var sentinels = map[string]error{
	"malformed": ErrFormat, "bad signature": ErrBadSignature, "cannot decrypt": ErrDecrypt,
	"wrong device key": ErrWrongDevice, "bad package part": ErrBadPart, "wrong central key": ErrWrongKey,
}

// TestVectors recomputes every vector in testdata/vectors.json from its
// inputs. With -update it writes the file afresh from the inputs below:
//
//	go test ./exam/seal -run TestVectors -update
//
// Every operation is deterministic given its random bytes, except the HPKE
// ephemeral key inside an envelope, which crypto/hpke always draws itself.
// For the envelope the test recomputes the header, both signatures and the
// hash, and opens the stored envelope with central's key; -update makes the
// envelope under testing/cryptotest's deterministic randomness.
//
// The release key is derived with the production argon2id parameters, the
// one place the tests pay for them.
func TestVectors(t *testing.T) {
	var v vectors
	if *update {
		v = newVectors(t)
	} else {
		b, err := os.ReadFile(vectorsFile)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
	}
	got := computeVectors(t, &v)
	if b, err := ParseReceiptCode(got.Envelope.ReceiptCode); err != nil || !bytes.Equal(b[:], got.Envelope.EnvelopeHash[:ReceiptCodeBytes]) {
		t.Errorf("the vector's receipt code reads back as %x, %v", b, err)
	}
	if *update {
		b, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(vectorsFile, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, _ := json.MarshalIndent(v, "", "  ")
	have, _ := json.MarshalIndent(got, "", "  ")
	if !bytes.Equal(want, have) {
		t.Fatalf("vectors differ from %s; recomputed:\n%s", vectorsFile, have)
	}
}

// newVectors sets the inputs of a fresh vectors file.
func newVectors(t *testing.T) vectors {
	var v vectors
	v.Comment = "Test vectors for package onex/exam/seal, format in FORMAT.md. Regenerate: go test ./exam/seal -run TestVectors -update"
	s := newStream("vectors")
	read := func(n int) hexBytes {
		b := make([]byte, n)
		s.Read(b)
		return b
	}
	v.Keys.CentralRandom = read(64)
	v.Keys.DeviceRandom = read(32)
	for _, r := range []hexBytes{make([]byte, codeBytes), bytes.Repeat([]byte{0xFF}, codeBytes), read(codeBytes), read(codeBytes)} {
		v.UnlockCodes = append(v.UnlockCodes, codeVector{Random: r})
	}
	c := UnlockCode{b: [codeBytes]byte(v.UnlockCodes[2].Random)}.String()
	lower := []byte(c)
	for i := range lower {
		if lower[i] >= 'A' && lower[i] <= 'Z' {
			lower[i] += 'a' - 'A'
		}
	}
	swapped := []byte(c)
	swapped[12], swapped[13] = swapped[13], swapped[12]
	if swapped[12] == swapped[13] {
		t.Fatal("pick another vector code")
	}
	for _, typed := range []string{string(lower), " " + c[:5] + " " + c[6:11] + "-" + c[12:], string(swapped), c[:20]} {
		v.TypedCodes = append(v.TypedCodes, typedVector{Typed: typed})
	}
	v.ReleaseKey.Code = c
	v.ReleaseKey.SessionID = "S-2026-0613-WEB-E-01"

	v.Paper.PaperID, v.Paper.Version, v.Paper.SessionID = "WEB-E-2026-A", 3, v.ReleaseKey.SessionID
	v.Paper.Random = read(keySize + 2*nonceSize)
	v.Paper.Plaintext = `{"format":"onex-paper/1","id":"WEB-E-2026-A","title":"Web前端开发（初级）"}`

	v.Manifest.PackageID, v.Manifest.SessionID = "P-2026-0613-01", v.ReleaseKey.SessionID
	v.Manifest.Created = time.Date(2026, 6, 12, 8, 0, 0, 0, time.UTC).UnixNano()
	v.Manifest.Version = 1041
	v.PackageList.Cursor = 1044

	v.Envelope.RecordID = "0197685a-b2a0-7c3e-9a41-2b5f0c7d9e11"
	v.Envelope.DeviceID, v.Envelope.Epoch, v.Envelope.Seq = "site-0371/station-1", 1, 7
	v.Envelope.Prev = read(32)
	v.Envelope.Kind = "submission"
	v.Envelope.Created = time.Date(2026, 6, 13, 10, 30, 0, 250_000_000, time.UTC).UnixNano()
	v.Envelope.Plaintext = `{"candidate":"C-17","answers":{"q1":["b"],"q2":["c"]}}`
	v.EnvelopeV2 = v.Envelope
	v.EnvelopeV2.RecordID = "0197685a-b2a0-7c3e-9a41-2b5f0c7d9e12"
	v.EnvelopeV2.Seq = 8
	v.SignedCentralKey.Created = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC).UnixNano()

	v.Receipt.ServerSeq = 1_000_042
	v.Receipt.ServerTime = time.Date(2026, 6, 13, 10, 30, 2, 0, time.UTC).UnixNano()

	v.Field.StoreKeyRandom = read(keyIDSize + keySize)
	v.Field.Table, v.Field.Column, v.Field.RowID = "candidates", "name", "17"
	v.Field.Random = read(nonceSize)
	v.Field.Plaintext = "张三"

	v.WrappedStoreKey.Passphrase = "考场 passphrase"
	v.WrappedStoreKey.Argon2id = argonJSON{Time: 1, MemoryKiB: 64, Threads: 1}
	v.WrappedStoreKey.Random = read(saltSize + nonceSize)
	v.TLSKeys.SPKI = []hexBytes{read(32), read(32)}
	v.PackageList.Request = read(32)
	v.KeysV2.CentralRandom = read(64 + hybridSeedSize) // last: the inputs above stay as they were
	return v
}

// computeVectors copies the inputs of in and computes every output.
func computeVectors(t *testing.T, in *vectors) vectors {
	v := *in
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	// Keys of release 1: the Ed25519 seed and the X25519 private key.
	ck, err := centralKeysFrom(v.Keys.CentralRandom[:32], v.Keys.CentralRandom[32:], nil)
	must(err)
	v.Keys.CentralPrivate = ck.Marshal()
	v.Keys.CentralPublic = ck.Public().Marshal()
	v.Keys.CentralFingerprint = ck.Public().Fingerprint()
	secrets := ck.SecretsKey()
	v.Keys.CentralSecretsKey = append(secrets.id[:], secrets.key[:]...)
	v.Keys.CertificateRoot = hexBytes(ck.CertificateRoot().Public().(ed25519.PublicKey))
	if up := ck.Upgrade().CertificateRoot(); !up.Equal(ck.CertificateRoot()) {
		t.Fatal("upgrading changed the certificate root")
	}
	v.Keys.LearnerKey = ck.LearnerKey()
	if !bytes.Equal(ck.Upgrade().LearnerKey(), ck.LearnerKey()) {
		t.Fatal("upgrading changed the learner key")
	}
	dk, err := newDeviceKey(bytes.NewReader(v.Keys.DeviceRandom))
	must(err)
	v.Keys.DevicePrivate = dk.Marshal()
	v.Keys.DevicePublic = dk.Public().Marshal()
	v.Keys.DeviceFingerprint = dk.Public().Fingerprint()
	id := dk.Public().keyID()
	v.Keys.DeviceKeyID = id[:]

	v.UnlockCodes = append(v.UnlockCodes[:0:0], v.UnlockCodes...)
	for i := range v.UnlockCodes {
		c, err := newUnlockCode(bytes.NewReader(v.UnlockCodes[i].Random))
		must(err)
		v.UnlockCodes[i].Code = c.String()
	}
	v.TypedCodes = append(v.TypedCodes[:0:0], v.TypedCodes...)
	for i := range v.TypedCodes {
		tc := &v.TypedCodes[i]
		tc.Random, tc.MistypedGroup = nil, nil
		c, err := ParseUnlockCode(tc.Typed)
		var ce *CodeError
		switch {
		case err == nil:
			tc.Random = c.b[:]
		case errors.As(err, &ce):
			tc.MistypedGroup = &ce.Group
		default:
			t.Fatal(err)
		}
	}

	code, err := ParseUnlockCode(v.ReleaseKey.Code)
	must(err)
	saved := releaseArgon
	releaseArgon = defaultArgon
	start := time.Now()
	rk, err := DeriveReleaseKey(code, v.ReleaseKey.SessionID)
	t.Logf("DeriveReleaseKey with production parameters %+v took %v", defaultArgon, time.Since(start))
	releaseArgon = saved
	must(err)
	v.ReleaseKey.Argon2id = argonJSON{defaultArgon.Time, defaultArgon.Memory, defaultArgon.Threads}
	v.ReleaseKey.Salt = append([]byte(releaseSaltPrefix), byte(len(v.ReleaseKey.SessionID)>>8), byte(len(v.ReleaseKey.SessionID)))
	v.ReleaseKey.Salt = append(v.ReleaseKey.Salt, v.ReleaseKey.SessionID...)
	v.ReleaseKey.Key = rk.Bytes()

	prk, err := ParseReleaseKey(v.Paper.SessionID, v.ReleaseKey.Key)
	must(err)
	v.Paper.ReleaseKey = prk.Bytes()
	sp, err := sealPaper(bytes.NewReader(v.Paper.Random), []byte(v.Paper.Plaintext), v.Paper.PaperID, v.Paper.Version, prk)
	must(err)
	v.Paper.Body, v.Paper.Key = sp.Body, sp.Key
	p, err := openPaper(sp.Body, sp.Key, prk)
	must(err)
	if string(p.Content) != v.Paper.Plaintext {
		t.Fatal("paper vector does not open")
	}

	m := &Manifest{PackageID: v.Manifest.PackageID, SessionID: v.Manifest.SessionID, Created: time.Unix(0, v.Manifest.Created), Version: v.Manifest.Version}
	m.Parts = []Part{NewPart("papers/"+v.Paper.PaperID+".key", sp.Key), NewPart("papers/"+v.Paper.PaperID, sp.Body)}
	v.Manifest.Parts = nil
	signed, err := SignManifest(ck, m)
	must(err)
	om, err := OpenManifest(ck.Public(), signed)
	must(err)
	for _, p := range om.Parts {
		v.Manifest.Parts = append(v.Manifest.Parts, partVector{p.Name, p.Size, p.SHA256[:]})
	}
	v.Manifest.Signed = signed
	if om.Version != v.Manifest.Version {
		t.Fatalf("manifest version reads back as %d", om.Version)
	}

	list := &PackageList{Request: Hash(v.PackageList.Request), Cursor: v.PackageList.Cursor,
		Packages: []Listed{{SessionID: v.Manifest.SessionID, Version: v.Manifest.Version, Manifest: ManifestHash(signed)}}}
	signedList, err := SignPackageList(ck, list)
	must(err)
	ol, err := OpenPackageList(ck.Public(), signedList)
	must(err)
	v.PackageList.Packages = v.PackageList.Packages[:0:0]
	for _, p := range ol.Packages {
		v.PackageList.Packages = append(v.PackageList.Packages, struct {
			SessionID string   `json:"session_id"`
			Version   uint64   `json:"version"`
			Manifest  hexBytes `json:"manifest_hash"`
		}{p.SessionID, p.Version, p.Manifest[:]})
	}
	v.PackageList.Signed = signedList

	if *update {
		cryptotest.SetGlobalRandom(t, 1)
	}
	hash := v.Envelope.compute(t, ck, ck.Public(), dk)
	h := v.Envelope.header()

	receipt, err := SignReceipt(ck, &Receipt{RecordID: h.RecordID, EnvelopeHash: hash, ServerSeq: v.Receipt.ServerSeq, ServerTime: time.Unix(0, v.Receipt.ServerTime)})
	must(err)
	_, err = VerifyReceipt(ck.Public(), receipt, v.Envelope.Envelope)
	must(err)
	v.Receipt.Receipt = receipt

	sk, err := newStoreKey(bytes.NewReader(v.Field.StoreKeyRandom))
	must(err)
	ad, err := fieldAD(sk.id, v.Field.Table, v.Field.Column, v.Field.RowID)
	must(err)
	v.Field.AD = ad
	sealed, err := sealField(bytes.NewReader(v.Field.Random), sk, v.Field.Table, v.Field.Column, v.Field.RowID, []byte(v.Field.Plaintext))
	must(err)
	v.Field.Sealed = sealed

	w := v.WrappedStoreKey
	wrapped, err := wrapStoreKey(bytes.NewReader(w.Random), sk, w.Passphrase, argonParams{w.Argon2id.Time, w.Argon2id.MemoryKiB, w.Argon2id.Threads})
	must(err)
	v.WrappedStoreKey.Wrapped = wrapped
	back, err := UnwrapStoreKey(wrapped, w.Passphrase)
	must(err)
	if *back != *sk {
		t.Fatal("wrapped store key does not unwrap")
	}

	var spki []Hash
	for _, h := range v.TLSKeys.SPKI {
		spki = append(spki, Hash(h))
	}
	v.TLSKeys.Statement, err = SignTLSKeys(ck, spki)
	must(err)
	if keys, err := OpenTLSKeys(ck.Public(), v.TLSKeys.Statement); err != nil || len(keys) != len(spki) {
		t.Fatalf("the TLS key statement does not open: %v", err)
	}

	ck2, err := newCentralKeys(bytes.NewReader(v.KeysV2.CentralRandom))
	must(err)
	v.KeysV2.CentralPrivate = ck2.Marshal()
	v.KeysV2.CentralPublic = ck2.Public().Marshal()
	v.KeysV2.CentralFingerprint = ck2.Public().Fingerprint()
	secrets = ck2.SecretsKey()
	v.KeysV2.CentralSecretsKey = append(secrets.id[:], secrets.key[:]...)
	up := ck.Upgrade()
	v.KeysV2.UpgradedPrivate = up.Marshal()
	v.KeysV2.UpgradedPublic = up.Public().Marshal()
	secrets = up.SecretsKey()
	v.KeysV2.UpgradedSecretsKey = append(secrets.id[:], secrets.key[:]...)
	if !bytes.Equal(v.KeysV2.UpgradedSecretsKey, v.Keys.CentralSecretsKey) {
		t.Fatal("upgrading central's keys changed the secrets key")
	}
	for _, b := range []hexBytes{v.KeysV2.CentralPrivate, v.KeysV2.UpgradedPrivate} {
		back, err := ParseCentralKeys(b)
		must(err)
		if !bytes.Equal(back.Marshal(), b) || !back.Hybrid() {
			t.Fatal("version 2 central key does not round-trip")
		}
	}

	sck := &v.SignedCentralKey
	sck.Key = v.KeysV2.UpgradedPublic
	sck.Manifest, err = SignCentralKey(up, time.Unix(0, sck.Created))
	must(err)
	learnt, err := OpenCentralKey(ck.Public(), sck.Manifest, sck.Key)
	must(err)
	if !bytes.Equal(learnt.Marshal(), sck.Key) {
		t.Fatal("signed central key opens to another key")
	}

	v.EnvelopeV2.compute(t, ck2, ck2.Public(), dk)
	if *update {
		v.Failures = failureVectors(t, &v, ck, ck2, dk)
	}
	v.Failures = append(v.Failures[:0:0], v.Failures...)
	for _, f := range v.Failures {
		t.Run("failure/"+f.Name, func(t *testing.T) { f.check(t, ck, ck2, dk) })
	}
	return v
}

func (ev *envelopeVector) header() Header {
	return Header{
		RecordID: uuid.MustParse(ev.RecordID),
		DeviceID: ev.DeviceID,
		Epoch:    ev.Epoch,
		Seq:      ev.Seq,
		Prev:     Hash(ev.Prev),
		Kind:     ev.Kind,
		Created:  time.Unix(0, ev.Created).UTC(),
	}
}

// compute fills the outputs of an envelope vector that dk seals to pub and
// ck opens. The HPKE ephemeral keys are crypto/hpke's own: with -update the
// envelope is made anew, otherwise the stored one is opened and everything
// else about it recomputed.
func (ev *envelopeVector) compute(t *testing.T, ck *CentralKeys, pub *CentralPublicKey, dk *DeviceKey) Hash {
	t.Helper()
	h := ev.header()
	version, _, info := pub.sealTo()
	header := appendHeader(version, dk.pub.keyID(), &h)
	ev.Header = header
	ev.InnerSignature = ed25519.Sign(dk.sign, innerMessage(header, []byte(ev.Plaintext)))
	if *update {
		env, err := sealRecord(dk, pub, h, []byte(ev.Plaintext))
		if err != nil {
			t.Fatal(err)
		}
		ev.Envelope = env.Bytes
	}
	env := ev.Envelope
	rec, err := OpenEnvelope(ck, env, dk.Public())
	if err != nil {
		t.Fatal(err)
	}
	if rec.Header != h || string(rec.Plaintext) != ev.Plaintext || rec.Version != version {
		t.Fatalf("envelope opens to %+v %q version %d", rec.Header, rec.Plaintext, rec.Version)
	}
	if !bytes.HasPrefix(env, header) {
		t.Fatal("envelope header differs")
	}
	e, err := parseEnvelope(env)
	if err != nil {
		t.Fatal(err)
	}
	priv := ck.recv
	if version == 2 {
		priv = ck.hybrid
	}
	r, err := hpke.NewRecipient(e.enc, priv, hpkeKDF, hpkeAEAD, []byte(info))
	if err != nil {
		t.Fatal(err)
	}
	inner, err := r.Open(header, e.ct)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(inner[len(inner)-sigSize:], ev.InnerSignature) {
		t.Fatal("inner signature differs")
	}
	if !bytes.Equal(e.sig, ed25519.Sign(dk.sign, env[:len(env)-sigSize])) {
		t.Fatal("envelope signature differs")
	}
	hash := EnvelopeHash(env)
	ev.EnvelopeHash = hash[:]
	ev.ReceiptCode = ReceiptCode(hash)
	return hash
}

// failureVectors makes the failure vectors from the valid ones: ck is
// keys (release 1), ck2 keys_v2, dk the device.
func failureVectors(t *testing.T, v *vectors, ck, ck2 *CentralKeys, dk *DeviceKey) []failureVector {
	env := v.EnvelopeV2.Envelope
	n := len(v.EnvelopeV2.Header)
	changed := func(b []byte, i int, resign bool) hexBytes {
		m := bytes.Clone(b)
		m[i] ^= 0x01
		if resign {
			copy(m[len(m)-sigSize:], ed25519.Sign(dk.sign, m[:len(m)-sigSize]))
		}
		return m
	}
	asV1 := bytes.Clone(env)
	asV1[magicLen-1] = 1
	copy(asV1[len(asV1)-sigSize:], ed25519.Sign(dk.sign, asV1[:len(asV1)-sigSize]))
	v3 := bytes.Clone(env)
	v3[magicLen-1] = 3
	truncated := append(bytes.Clone(env[:n+encSizeV2-1]), env[n+encSizeV2:]...)

	priv := v.KeysV2.CentralPrivate
	pub := v.KeysV2.CentralPublic
	badMLKEM := bytes.Clone(pub)
	off := magicLen + 1 + 32 + 32
	badMLKEM[off], badMLKEM[off+1] = 0xFF, badMLKEM[off+1]|0x0F // first coefficient 4095, not below q = 3329
	withType := func(b []byte, typ byte) hexBytes {
		m := bytes.Clone(b)
		m[magicLen] = typ
		return m
	}

	sck := v.SignedCentralKey
	forger, err := newCentralKeys(newStream("forger"))
	if err != nil {
		t.Fatal(err)
	}
	forged, err := SignCentralKey(forger, time.Unix(0, sck.Created))
	if err != nil {
		t.Fatal(err)
	}
	// Central's own Ed25519 key signs a key with another X25519 key.
	otherX, err := centralKeysFrom(ck.sign.Seed(), ck2.recvBytes, ck2.hybridSeed)
	if err != nil {
		t.Fatal(err)
	}
	otherManifest, err := SignCentralKey(otherX, time.Unix(0, sck.Created))
	if err != nil {
		t.Fatal(err)
	}
	sessionManifest, err := SignManifest(ck, &Manifest{PackageID: centralKeyPackage, SessionID: "S-1", Created: time.Unix(0, sck.Created), Parts: []Part{NewPart(CentralKeyPart, sck.Key)}})
	if err != nil {
		t.Fatal(err)
	}
	return []failureVector{
		{"v2 envelope: a byte of the signature changed", "open_envelope", changed(env, len(env)-1, false), nil, "bad signature"},
		{"v2 envelope: a byte of the ML-KEM ciphertext changed, re-signed by the device", "open_envelope", changed(env, n+7, true), nil, "cannot decrypt"},
		{"v2 envelope: a byte of the X25519 share changed, re-signed by the device", "open_envelope", changed(env, n+encSizeV2-5, true), nil, "cannot decrypt"},
		{"v2 envelope: a byte of the ciphertext changed, re-signed by the device", "open_envelope", changed(env, n+encSizeV2+4+3, true), nil, "cannot decrypt"},
		{"v2 envelope: a byte of the header changed, re-signed by the device", "open_envelope", changed(env, n-1, true), nil, "cannot decrypt"},
		{"v2 envelope: version byte set to 1, re-signed by the device", "open_envelope", asV1, nil, "malformed"},
		{"envelope version 3", "open_envelope", v3, nil, "malformed"},
		{"v2 envelope: encapsulated key one byte short", "open_envelope", truncated, nil, "malformed"},
		{"v2 envelope opened by central's keys of release 1", "open_envelope_release1", env, nil, "cannot decrypt"},
		{"central private key type 5 without the hybrid seed", "parse_central_private", priv[:len(priv)-hybridSeedSize], nil, "malformed"},
		{"central private key type 1 with a hybrid seed", "parse_central_private", withType(priv, keyCentralPrivate), nil, "malformed"},
		{"central private key type 7", "parse_central_private", withType(priv, 7), nil, "malformed"},
		{"central public key type 6 with an ML-KEM coefficient of 4095", "parse_central_public", badMLKEM, nil, "malformed"},
		{"central public key type 2 with the hybrid part", "parse_central_public", withType(pub, keyCentralPublic), nil, "malformed"},
		{"central public key type 6 one byte short", "parse_central_public", pub[:len(pub)-1], nil, "malformed"},
		{"signed central key: signed by another Ed25519 key", "open_central_key", forged, forger.Public().Marshal(), "bad signature"},
		{"signed central key: a byte of the key changed", "open_central_key", sck.Manifest, changed(sck.Key, len(sck.Key)-1, false), "bad package part"},
		{"signed central key: for a session", "open_central_key", sessionManifest, sck.Key, "bad package part"},
		{"signed central key: another X25519 key", "open_central_key", otherManifest, otherX.Public().Marshal(), "wrong central key"},
	}
}

// check runs a failure vector's operation and wants its error.
func (f failureVector) check(t *testing.T, ck, ck2 *CentralKeys, dk *DeviceKey) {
	var err error
	switch f.Operation {
	case "open_envelope":
		_, err = OpenEnvelope(ck2, f.Input, dk.Public())
	case "open_envelope_release1":
		_, err = OpenEnvelope(ck, f.Input, dk.Public())
	case "parse_central_private":
		_, err = ParseCentralKeys(f.Input)
	case "parse_central_public":
		_, err = ParseCentralPublicKey(f.Input)
	case "open_central_key":
		_, err = OpenCentralKey(ck.Public(), f.Input, f.Key)
	default:
		t.Fatalf("unknown operation %q", f.Operation)
	}
	want, ok := sentinels[f.Error]
	if !ok {
		t.Fatalf("unknown error %q", f.Error)
	}
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %q", f.Operation, err, f.Error)
	}
}
