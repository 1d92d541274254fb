package seal

import (
	"errors"
	"fmt"
)

var (
	// ErrFormat: the bytes are not a well-formed encoding; the message names
	// the format, the field and its offset.
	ErrFormat = errors.New("seal: malformed")
	// ErrBadSignature: a signature does not verify under the given public key.
	ErrBadSignature = errors.New("seal: bad signature")
	// ErrDecrypt: authenticated decryption failed: wrong key, wrong associated
	// data or altered ciphertext.
	ErrDecrypt = errors.New("seal: cannot decrypt")
	// ErrMistyped: an unlock code does not pass its check characters. The
	// error is a *CodeError telling which group.
	ErrMistyped = errors.New("seal: unlock code mistyped")
	// ErrReceiptCode: text that is not a receipt code.
	ErrReceiptCode = errors.New("not a receipt code")
	// ErrWrongSession: a paper, package or release key belongs to another
	// session.
	ErrWrongSession = errors.New("seal: wrong session")
	// ErrWrongPaper: a paper's body and its wrapped key belong to different
	// papers.
	ErrWrongPaper = errors.New("seal: wrong paper")
	// ErrWrongDevice: an envelope names a device key other than the one given.
	ErrWrongDevice = errors.New("seal: wrong device key")
	// ErrWrongRecord: a receipt is genuine but for another envelope.
	ErrWrongRecord = errors.New("seal: receipt for another envelope")
	// ErrWrongKey: central's signed key is genuine but does not extend the
	// key the device trusts (OpenCentralKey).
	ErrWrongKey = errors.New("seal: central key does not extend the trusted key")
	// ErrBadPart: a package part is missing, not in the manifest, or differs
	// from the size and hash the manifest lists.
	ErrBadPart = errors.New("seal: bad package part")
)

// CodeError reports an unlock code that fails its checks. Group is the
// 1-based group that is mistyped, or 0 when the code as a whole has the wrong
// number of characters. It wraps ErrMistyped.
type CodeError struct {
	Group int
	msg   string
}

func (e *CodeError) Error() string {
	if e.Group > 0 {
		return fmt.Sprintf("unlock code: group %d is mistyped (%s)", e.Group, e.msg)
	}
	return "unlock code: " + e.msg
}

// Unwrap makes errors.Is(err, ErrMistyped) true.
func (e *CodeError) Unwrap() error { return ErrMistyped }
