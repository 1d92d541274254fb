package seal

import (
	"bytes"
	"testing"
)

func testStoreKey(t testing.TB, label string) *StoreKey {
	t.Helper()
	k, err := newStoreKey(newStream(label))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestFieldRoundTrip(t *testing.T) {
	k, err := NewStoreKey()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range [][]byte{nil, []byte("张三"), bytes.Repeat([]byte{0xAB}, 100<<10)} {
		sealed, err := SealField(k, "candidates", "name", "42", v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := OpenField(k, "candidates", "name", "42", sealed)
		if err != nil || !bytes.Equal(got, v) {
			t.Fatalf("OpenField: %v", err)
		}
	}
	a, _ := SealField(k, "candidates", "name", "42", []byte("张三"))
	b, _ := SealField(k, "candidates", "name", "42", []byte("张三"))
	if bytes.Equal(a, b) {
		t.Fatal("two seals of one value are equal")
	}
}

func TestFieldWrongContext(t *testing.T) {
	k := testStoreKey(t, "store")
	sealed, err := SealField(k, "candidates", "name", "42", []byte("张三"))
	if err != nil {
		t.Fatal(err)
	}
	for name, open := range map[string]func() ([]byte, error){
		"other row":    func() ([]byte, error) { return OpenField(k, "candidates", "name", "43", sealed) },
		"other column": func() ([]byte, error) { return OpenField(k, "candidates", "id_number", "42", sealed) },
		"other table":  func() ([]byte, error) { return OpenField(k, "proctors", "name", "42", sealed) },
		"shifted boundary": func() ([]byte, error) {
			return OpenField(k, "candidatesn", "ame", "42", sealed)
		},
		"other key": func() ([]byte, error) { return OpenField(testStoreKey(t, "other"), "candidates", "name", "42", sealed) },
		"same id, other key": func() ([]byte, error) {
			other := testStoreKey(t, "other")
			other.id = k.id
			return OpenField(other, "candidates", "name", "42", sealed)
		},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := open()
			wantErr(t, err, ErrDecrypt)
		})
	}
	t.Run("tamper", func(t *testing.T) {
		everyFlip(t, sealed, func(b []byte) error {
			_, err := OpenField(k, "candidates", "name", "42", b)
			return err
		})
	})
}

func TestStoreKeyWrap(t *testing.T) {
	k := testStoreKey(t, "store")
	sealed, _ := SealField(k, "answers", "body", "7", []byte("B"))
	wrapped, err := WrapStoreKey(k, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnwrapStoreKey(wrapped, "correct horse")
	if err != nil || *got != *k {
		t.Fatalf("UnwrapStoreKey: %v", err)
	}
	_, err = UnwrapStoreKey(wrapped, "correct horse ")
	wantErr(t, err, ErrDecrypt)

	rewrapped, err := RewrapStoreKey(wrapped, "correct horse", "battery staple")
	if err != nil {
		t.Fatal(err)
	}
	_, err = RewrapStoreKey(wrapped, "wrong", "battery staple")
	wantErr(t, err, ErrDecrypt)
	_, err = UnwrapStoreKey(rewrapped, "correct horse")
	wantErr(t, err, ErrDecrypt)
	k2, err := UnwrapStoreKey(rewrapped, "battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := OpenField(k2, "answers", "body", "7", sealed); err != nil || string(v) != "B" {
		t.Fatalf("field after rewrap: %q, %v", v, err)
	}
	if _, err := WrapStoreKey(k, ""); err == nil {
		t.Fatal("empty passphrase accepted")
	}
	t.Run("tamper", func(t *testing.T) {
		everyFlip(t, wrapped, func(b []byte) error {
			_, err := UnwrapStoreKey(b, "correct horse")
			return err
		})
	})
	t.Run("hostile parameters", func(t *testing.T) {
		b := bytes.Clone(wrapped)
		b[magicLen+keyIDSize+4] = 0xFF // memory: about 4 TiB
		_, err := UnwrapStoreKey(b, "correct horse")
		wantErr(t, err, ErrFormat)
	})
}
