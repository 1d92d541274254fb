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
		CentralSecretsKey  hexBytes `json:"central_secrets_key"` // key id, then key
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
	Envelope struct {
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
	} `json:"envelope"`
	Receipt struct {
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
	v.PackageList.Request = read(32) // last, so the vectors above stay as they were
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

	ck, err := newCentralKeys(bytes.NewReader(v.Keys.CentralRandom))
	must(err)
	v.Keys.CentralPrivate = ck.Marshal()
	v.Keys.CentralPublic = ck.Public().Marshal()
	v.Keys.CentralFingerprint = ck.Public().Fingerprint()
	secrets := ck.SecretsKey()
	v.Keys.CentralSecretsKey = append(secrets.id[:], secrets.key[:]...)
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

	h := Header{
		RecordID: uuid.MustParse(v.Envelope.RecordID),
		DeviceID: v.Envelope.DeviceID,
		Epoch:    v.Envelope.Epoch,
		Seq:      v.Envelope.Seq,
		Prev:     Hash(v.Envelope.Prev),
		Kind:     v.Envelope.Kind,
		Created:  time.Unix(0, v.Envelope.Created).UTC(),
	}
	header := appendHeader(id, &h)
	v.Envelope.Header = header
	v.Envelope.InnerSignature = ed25519.Sign(dk.sign, innerMessage(header, []byte(v.Envelope.Plaintext)))
	if *update {
		cryptotest.SetGlobalRandom(t, 1)
		env, err := sealRecord(dk, ck.Public(), h, []byte(v.Envelope.Plaintext))
		must(err)
		v.Envelope.Envelope = env.Bytes
	}
	env := v.Envelope.Envelope
	rec, err := OpenEnvelope(ck, env, dk.Public())
	must(err)
	if rec.Header != h || string(rec.Plaintext) != v.Envelope.Plaintext {
		t.Fatalf("envelope opens to %+v %q", rec.Header, rec.Plaintext)
	}
	if !bytes.HasPrefix(env, header) {
		t.Fatal("envelope header differs")
	}
	e, err := parseEnvelope(env)
	must(err)
	r, err := hpke.NewRecipient(e.enc, ck.recv, hpkeKDF, hpkeAEAD, []byte(hpkeInfo))
	must(err)
	inner, err := r.Open(header, e.ct)
	must(err)
	if !bytes.Equal(inner[len(inner)-sigSize:], v.Envelope.InnerSignature) {
		t.Fatal("inner signature differs")
	}
	if !bytes.Equal(e.sig, ed25519.Sign(dk.sign, env[:len(env)-sigSize])) {
		t.Fatal("envelope signature differs")
	}
	hash := EnvelopeHash(env)
	v.Envelope.EnvelopeHash = hash[:]
	v.Envelope.ReceiptCode = ReceiptCode(hash)

	receipt, err := SignReceipt(ck, &Receipt{RecordID: h.RecordID, EnvelopeHash: hash, ServerSeq: v.Receipt.ServerSeq, ServerTime: time.Unix(0, v.Receipt.ServerTime)})
	must(err)
	_, err = VerifyReceipt(ck.Public(), receipt, env)
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
	return v
}
