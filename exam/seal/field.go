package seal

import (
	"crypto/rand"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"testing"

	"golang.org/x/crypto/argon2"
)

// Limits of the field and store-key formats.
const (
	MaxFieldSize = 16 << 20 // bytes of one field's plaintext
	maxName      = 64       // bytes of a table or column name
	maxRowID     = 128
	saltSize     = 16
	keyIDSize    = 8
	maxArgonTime = 16
	maxArgonMem  = 1 << 20 // KiB: 1 GiB
	maxThreads   = 16
)

// StoreKey encrypts a site store's sensitive columns field by field. It has a
// random id, bound into every field and kept beside the wrapped key.
type StoreKey struct {
	id  [keyIDSize]byte
	key [keySize]byte
}

// NewStoreKey makes a store key from crypto/rand.
func NewStoreKey() (*StoreKey, error) { return newStoreKey(rand.Reader) }

// newStoreKey reads the key id, then the key, from r.
func newStoreKey(r io.Reader) (*StoreKey, error) {
	k := &StoreKey{}
	if _, err := io.ReadFull(r, k.id[:]); err != nil {
		return nil, fmt.Errorf("seal: generating store key: %w", err)
	}
	if _, err := io.ReadFull(r, k.key[:]); err != nil {
		return nil, fmt.Errorf("seal: generating store key: %w", err)
	}
	return k, nil
}

// fieldAD is the associated data of a field: OXF1, key id, table, column,
// row id.
func fieldAD(id [keyIDSize]byte, table, column, rowID string) ([]byte, error) {
	if err := checkStr("table", table, 1, maxName); err != nil {
		return nil, err
	}
	if err := checkStr("column", column, 1, maxName); err != nil {
		return nil, err
	}
	if err := checkStr("row id", rowID, 1, maxRowID); err != nil {
		return nil, err
	}
	b := append(magicField[:], id[:]...)
	b = appendStr(b, table)
	b = appendStr(b, column)
	return appendStr(b, rowID), nil
}

// SealField encrypts one column value of one row. Its associated data binds
// the store key id, table, column and row id, so a sealed value moved to
// another cell does not open.
func SealField(k *StoreKey, table, column, rowID string, plaintext []byte) ([]byte, error) {
	return sealField(rand.Reader, k, table, column, rowID, plaintext)
}

// sealField reads the nonce from r.
func sealField(r io.Reader, k *StoreKey, table, column, rowID string, plaintext []byte) ([]byte, error) {
	ad, err := fieldAD(k.id, table, column, rowID)
	if err != nil {
		return nil, err
	}
	if len(plaintext) > MaxFieldSize {
		return nil, fmt.Errorf("seal: %s.%s is %d bytes, limit %d", table, column, len(plaintext), MaxFieldSize)
	}
	nonce := make([]byte, nonceSize)
	if _, err := io.ReadFull(r, nonce); err != nil {
		return nil, fmt.Errorf("seal: sealing %s.%s: %w", table, column, err)
	}
	header := append(magicField[:], k.id[:]...)
	b := append(header, nonce...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(plaintext)+tagSize))
	return xchacha(&k.key).Seal(b, nonce, plaintext, ad), nil
}

// OpenField decrypts what SealField made for the same table, column and row.
func OpenField(k *StoreKey, table, column, rowID string, sealed []byte) ([]byte, error) {
	ad, err := fieldAD(k.id, table, column, rowID)
	if err != nil {
		return nil, err
	}
	r := newReader("sealed field", sealed, magicField)
	var id [keyIDSize]byte
	copy(id[:], r.bytes("key id", keyIDSize))
	nonce, ct := readAEAD(r, MaxFieldSize)
	if err := r.end(); err != nil {
		return nil, err
	}
	if id != k.id {
		return nil, fmt.Errorf("%w: %s.%s of row %q is sealed under store key %x, not %x", ErrDecrypt, table, column, rowID, id, k.id)
	}
	plaintext, err := xchacha(&k.key).Open(nil, nonce, ct, ad)
	if err != nil {
		return nil, fmt.Errorf("%w: %s.%s of row %q: altered or moved from another cell", ErrDecrypt, table, column, rowID)
	}
	return plaintext, nil
}

// CheapStoreKeysInShortTests is for a test binary's TestMain: in its fast
// tier (go test -short) every store key the process wraps from then on is
// cheap to unwrap (argon2id t=1, 64 KiB). A test run opens stores many
// times, and each production derivation costs 128 MiB and most of a second.
// The parameters are written into every wrap, so such a store opens
// anywhere; without -short, stores get the production parameters. It parses
// the command line's flags (as TestMain must before reading them) and panics
// outside a test binary: a program cannot weaken the wrap.
func CheapStoreKeysInShortTests() {
	if !testing.Testing() {
		panic("seal: CheapStoreKeysInShortTests outside a test binary")
	}
	if !flag.Parsed() {
		flag.Parse()
	}
	if testing.Short() {
		storeArgon = argonParams{Time: 1, Memory: 64, Threads: 1}
	}
}

// WrapStoreKey encrypts k under a key derived from passphrase with argon2id.
// The result carries the key id, the argon2id parameters and the salt.
func WrapStoreKey(k *StoreKey, passphrase string) ([]byte, error) {
	return wrapStoreKey(rand.Reader, k, passphrase, storeArgon)
}

// wrapStoreKey reads the salt, then the nonce, from r.
func wrapStoreKey(r io.Reader, k *StoreKey, passphrase string, p argonParams) ([]byte, error) {
	if passphrase == "" {
		return nil, fmt.Errorf("seal: empty passphrase")
	}
	var random [saltSize + nonceSize]byte
	if _, err := io.ReadFull(r, random[:]); err != nil {
		return nil, fmt.Errorf("seal: wrapping store key: %w", err)
	}
	salt, nonce := random[:saltSize], random[saltSize:]
	header := append(magicStoreKey[:], k.id[:]...)
	header = binary.BigEndian.AppendUint32(header, p.Time)
	header = binary.BigEndian.AppendUint32(header, p.Memory)
	header = append(header, p.Threads)
	header = append(header, salt...)
	kek := passphraseKey(passphrase, salt, p)
	return sealAEAD(&kek, header, nonce, k.key[:]), nil
}

func passphraseKey(passphrase string, salt []byte, p argonParams) [keySize]byte {
	return [keySize]byte(argon2.IDKey([]byte(passphrase), salt, p.Time, p.Memory, p.Threads, keySize))
}

// UnwrapStoreKey decrypts what WrapStoreKey made, with the parameters stored
// in it. A wrong passphrase is ErrDecrypt.
func UnwrapStoreKey(wrapped []byte, passphrase string) (*StoreKey, error) {
	r := newReader("wrapped store key", wrapped, magicStoreKey)
	k := &StoreKey{}
	copy(k.id[:], r.bytes("key id", keyIDSize))
	var p argonParams
	p.Time = r.u32("argon2 time")
	if r.err == nil && (p.Time < 1 || p.Time > maxArgonTime) {
		r.failAt(r.off-4, "argon2 time", "%d outside 1 to %d", p.Time, maxArgonTime)
	}
	p.Memory = r.u32("argon2 memory")
	p.Threads = r.u8("argon2 threads")
	if r.err == nil && (p.Threads < 1 || p.Threads > maxThreads) {
		r.failAt(r.off-1, "argon2 threads", "%d outside 1 to %d", p.Threads, maxThreads)
	}
	if r.err == nil && (p.Memory < 8*uint32(p.Threads) || p.Memory > maxArgonMem) {
		r.failAt(r.off-5, "argon2 memory", "%d KiB outside %d to %d", p.Memory, 8*uint32(p.Threads), maxArgonMem)
	}
	salt := r.bytes("salt", saltSize)
	header := wrapped[:r.off]
	nonce, ct := readAEAD(r, keySize)
	if err := r.end(); err != nil {
		return nil, err
	}
	kek := passphraseKey(passphrase, salt, p)
	key, err := openAEAD(&kek, header, nonce, ct)
	if err != nil || len(key) != keySize {
		return nil, fmt.Errorf("%w: store key %x: wrong passphrase or altered file", ErrDecrypt, k.id)
	}
	k.key = [keySize]byte(key)
	return k, nil
}

// RewrapStoreKey changes the passphrase of a wrapped store key, with a fresh
// salt and the current parameters. Fields sealed under the key are untouched.
func RewrapStoreKey(wrapped []byte, oldPassphrase, newPassphrase string) ([]byte, error) {
	k, err := UnwrapStoreKey(wrapped, oldPassphrase)
	if err != nil {
		return nil, err
	}
	return WrapStoreKey(k, newPassphrase)
}
