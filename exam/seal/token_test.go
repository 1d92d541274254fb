package seal

import (
	"strings"
	"testing"
)

func TestTokenForm(t *testing.T) {
	a := NewToken()
	if len(a) != 52 || strings.Trim(a, crockford) != "" {
		t.Fatalf("token %q", a)
	}
	// SHA-256("abc"), FIPS 180-2 appendix B.1.
	if got := HashToken("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("HashToken = %s", got)
	}
	// sha256sum of "onex-csrf/1\nabc": other than HashToken of the same token.
	if got := CSRFToken("abc"); got != "13a758339f7962a3b6feb57e621085b7773b5cf21e78c87ca918b0d8e327e81d" {
		t.Fatalf("CSRFToken = %s", got)
	}
}
