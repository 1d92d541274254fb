package seal

import (
	"bytes"
	"errors"
	"testing"
)

const (
	bodyPart = "papers/WEB-E-2026-B.v1"
	keyPart  = "papers/WEB-E-2026-B.v1.key"
)

func testReleaseKey(t testing.TB, session string) *ReleaseKey {
	t.Helper()
	c, err := newUnlockCode(newStream("code " + session))
	if err != nil {
		t.Fatal(err)
	}
	rk, err := DeriveReleaseKey(c, session)
	if err != nil {
		t.Fatal(err)
	}
	return rk
}

// testPackage seals the 200-item paper for session S-1 into a package with a
// roster part, and returns the signed manifest and the parts.
func testPackage(t testing.TB, ck *CentralKeys) (manifest []byte, parts map[string][]byte) {
	t.Helper()
	sp, err := sealPaper(newStream("paper"), testPaper(t), "WEB-E-2026-B", 1, testReleaseKey(t, "S-1"))
	if err != nil {
		t.Fatal(err)
	}
	parts = map[string][]byte{
		bodyPart:     sp.Body,
		keyPart:      sp.Key,
		"roster.csv": []byte("seat,name\n1,张三\n2,李四\n"),
	}
	m := &Manifest{PackageID: "P-7", SessionID: "S-1", Created: testTime}
	for name, data := range parts {
		m.Parts = append(m.Parts, NewPart(name, data))
	}
	manifest, err = SignManifest(ck, m)
	if err != nil {
		t.Fatal(err)
	}
	return manifest, parts
}

func TestPaperRoundTrip(t *testing.T) {
	ck := testCentral(t)
	manifest, parts := testPackage(t, ck)
	pkg, err := OpenPackage(ck.Public(), manifest, parts)
	if err != nil {
		t.Fatal(err)
	}
	m := pkg.Manifest()
	if m.PackageID != "P-7" || m.SessionID != "S-1" || !m.Created.Equal(testTime) || len(m.Parts) != 3 || m.Parts[0].Name != bodyPart {
		t.Fatalf("manifest %+v", m)
	}
	p, err := pkg.OpenPaper(bodyPart, keyPart, testReleaseKey(t, "S-1"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p.Content, testPaper(t)) || p.ID != "WEB-E-2026-B" || p.Version != 1 || p.SessionID != "S-1" {
		t.Fatalf("paper %q v%d of %q, %d bytes", p.ID, p.Version, p.SessionID, len(p.Content))
	}
	if bytes.Contains(parts[bodyPart], []byte("单项选择题")) {
		t.Fatal("sealed paper shows its text")
	}
}

func TestPaperWrongKeys(t *testing.T) {
	ck := testCentral(t)
	manifest, parts := testPackage(t, ck)
	pkg, err := OpenPackage(ck.Public(), manifest, parts)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("wrong release key", func(t *testing.T) {
		c, _ := newUnlockCode(newStream("another code"))
		rk, _ := DeriveReleaseKey(c, "S-1")
		_, err := pkg.OpenPaper(bodyPart, keyPart, rk)
		wantErr(t, err, ErrDecrypt)
	})
	t.Run("release key of another session", func(t *testing.T) {
		_, err := pkg.OpenPaper(bodyPart, keyPart, testReleaseKey(t, "S-2"))
		wantErr(t, err, ErrWrongSession)
	})
	t.Run("paper of another session", func(t *testing.T) {
		// Central put a paper sealed for S-1 into a package for S-2.
		m, _ := OpenManifest(ck.Public(), manifest)
		m.SessionID = "S-2"
		other, _ := SignManifest(ck, m)
		pkg2, err := OpenPackage(ck.Public(), other, parts)
		if err != nil {
			t.Fatal(err)
		}
		_, err = pkg2.OpenPaper(bodyPart, keyPart, testReleaseKey(t, "S-2"))
		wantErr(t, err, ErrWrongSession)
	})
	t.Run("key of another paper", func(t *testing.T) {
		rk := testReleaseKey(t, "S-1")
		sp, _ := SealPaper([]byte("{}"), "WEB-E-2026-B", 2, rk)
		_, err := openPaper(parts[bodyPart], sp.Key, rk)
		wantErr(t, err, ErrWrongPaper)
	})
	t.Run("wrong central key", func(t *testing.T) {
		other, _ := GenerateCentralKeys()
		_, err := OpenPackage(other.Public(), manifest, parts)
		wantErr(t, err, ErrBadSignature)
	})
	t.Run("part names", func(t *testing.T) {
		_, err := pkg.OpenPaper("roster.csv", keyPart, testReleaseKey(t, "S-1"))
		wantErr(t, err, ErrFormat)
		_, err = pkg.OpenPaper("nope", keyPart, testReleaseKey(t, "S-1"))
		wantErr(t, err, ErrBadPart)
	})
}

func TestPackageFailsClosed(t *testing.T) {
	ck := testCentral(t)
	manifest, parts := testPackage(t, ck)
	clone := func() map[string][]byte {
		c := make(map[string][]byte, len(parts))
		for k, v := range parts {
			c[k] = v
		}
		return c
	}
	missing := clone()
	delete(missing, "roster.csv")
	extra := clone()
	extra["extra.txt"] = []byte("x")
	altered := clone()
	altered["roster.csv"] = []byte("seat,name\n1,张三\n2,王五\n")
	longer := clone()
	longer["roster.csv"] = append(bytes.Clone(parts["roster.csv"]), '\n')
	for name, ps := range map[string]map[string][]byte{"missing": missing, "extra": extra, "altered": altered, "longer": longer} {
		t.Run(name, func(t *testing.T) {
			_, err := OpenPackage(ck.Public(), manifest, ps)
			wantErr(t, err, ErrBadPart)
		})
	}
}

func TestManifestRejectsBadInput(t *testing.T) {
	ck := testCentral(t)
	for name, m := range map[string]*Manifest{
		"no package id":   {Created: testTime},
		"no time":         {PackageID: "P"},
		"duplicate parts": {PackageID: "P", Created: testTime, Parts: []Part{{Name: "a"}, {Name: "a"}}},
		"dot-dot":         {PackageID: "P", Created: testTime, Parts: []Part{{Name: "../etc/passwd"}}},
		"absolute":        {PackageID: "P", Created: testTime, Parts: []Part{{Name: "/etc/passwd"}}},
		"backslash":       {PackageID: "P", Created: testTime, Parts: []Part{{Name: `a\b`}}},
		"negative size":   {PackageID: "P", Created: testTime, Parts: []Part{{Name: "a", Size: -1}}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := SignManifest(ck, m); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// TestPaperTamper alters every byte of a real sealed 200-item paper, of its
// key part and of the signed manifest. The body is checked against the
// encryption alone, without the manifest's hash; an altered body in a package
// is refused earlier by its hash (TestPackageFailsClosed).
func TestPaperTamper(t *testing.T) {
	ck := testCentral(t)
	manifest, parts := testPackage(t, ck)
	rk := testReleaseKey(t, "S-1")
	t.Run("manifest", func(t *testing.T) {
		everyFlip(t, manifest, func(m []byte) error {
			_, err := OpenPackage(ck.Public(), m, parts)
			return err
		})
	})
	t.Run("key part in package", func(t *testing.T) {
		everyFlip(t, parts[keyPart], func(k []byte) error {
			ps := map[string][]byte{bodyPart: parts[bodyPart], keyPart: k, "roster.csv": parts["roster.csv"]}
			_, err := OpenPackage(ck.Public(), manifest, ps)
			if err != nil && !errors.Is(err, ErrBadPart) {
				t.Errorf("altered key part: %v, want ErrBadPart", err)
			}
			return err
		})
	})
	t.Run("key part alone", func(t *testing.T) {
		everyFlip(t, parts[keyPart], func(k []byte) error {
			_, err := openPaper(parts[bodyPart], k, rk)
			return err
		})
	})
	t.Run("body alone", func(t *testing.T) {
		everyFlip(t, parts[bodyPart], func(b []byte) error {
			_, err := openPaper(b, parts[keyPart], rk)
			return err
		})
	})
}
