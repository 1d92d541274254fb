package terminal

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// The proctor PIN of a kiosk terminal **[added: issue 14]**: the proctor
// sets it on the terminal at pairing; leaving the exam screens or closing
// the app needs it. The terminal keeps only its salted argon2id hash in
// proctor-pin.json, so the file tells nobody the PIN without guessing it
// through argon2id; the screens add the growing waits after wrong tries.

// pinFile holds the proctor PIN's hash.
const pinFile = "proctor-pin.json"

// pinFormat names the file's format.
const pinFormat = "onex-terminal-pin/1"

// Argon2id parameters of the PIN's hash: about 50 ms here, once per try.
const (
	pinTime    = 2
	pinMemory  = 32 * 1024 // KiB
	pinThreads = 1
	pinKeyLen  = 32
	pinSaltLen = 16
)

// Lengths of a proctor PIN, in characters.
const (
	MinProctorPIN = 4
	maxProctorPIN = 64
)

// ErrWrongPIN is a proctor PIN that is not the one set; ErrNoPIN a
// terminal with none set; ErrPINLength a PIN too short or too long.
var (
	ErrWrongPIN  = errors.New("the proctor PIN is wrong")
	ErrNoPIN     = errors.New("this terminal has no proctor PIN")
	ErrPINLength = fmt.Errorf("a proctor PIN has %d to %d characters on one line", MinProctorPIN, maxProctorPIN)
)

type pinState struct {
	Format string `json:"format"`
	Salt   []byte `json:"salt"`
	Hash   []byte `json:"hash"`
}

func pinHash(pin string, salt []byte) []byte {
	return argon2.IDKey([]byte(pin), salt, pinTime, pinMemory, pinThreads, pinKeyLen)
}

// SetProctorPIN keeps the proctor PIN's salted hash in dir, replacing any.
func SetProctorPIN(dir, pin string) error {
	if n := utf8.RuneCountInString(strings.TrimSpace(pin)); n < MinProctorPIN || len(pin) > maxProctorPIN || strings.ContainsAny(pin, "\r\n") {
		return ErrPINLength
	}
	salt := make([]byte, pinSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return err
	}
	b, err := json.Marshal(pinState{Format: pinFormat, Salt: salt, Hash: pinHash(pin, salt)})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, pinFile), b)
}

// HasProctorPIN reports whether dir holds a proctor PIN.
func HasProctorPIN(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, pinFile))
	return err == nil
}

// CheckProctorPIN is nil when pin is the proctor PIN kept in dir, else
// ErrWrongPIN (or ErrNoPIN, or why the file cannot be read).
func CheckProctorPIN(dir, pin string) error {
	path := filepath.Join(dir, pinFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return ErrNoPIN
	}
	if err != nil {
		return err
	}
	var st pinState
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if st.Format != pinFormat || len(st.Salt) != pinSaltLen || len(st.Hash) != pinKeyLen {
		return fmt.Errorf("%s: not a proctor PIN file of format %s", path, pinFormat)
	}
	if len(pin) > maxProctorPIN || subtle.ConstantTimeCompare(pinHash(pin, st.Salt), st.Hash) != 1 {
		return ErrWrongPIN
	}
	return nil
}
