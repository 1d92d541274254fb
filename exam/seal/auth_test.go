package seal

import (
	"errors"
	"testing"
)

func TestRequestSignature(t *testing.T) {
	k, _ := GenerateDeviceKey()
	other, _ := GenerateDeviceKey()
	msg := []byte("onex-auth/1\nGET\n/api/v1/package\n1764000000")
	sig := k.SignRequest(msg)
	if err := k.Public().VerifyRequest(msg, sig); err != nil {
		t.Fatal(err)
	}
	if err := other.Public().VerifyRequest(msg, sig); !errors.Is(err, ErrBadSignature) {
		t.Errorf("other key: %v", err)
	}
	msg[len(msg)-1] ^= 1
	if err := k.Public().VerifyRequest(msg, sig); !errors.Is(err, ErrBadSignature) {
		t.Errorf("changed message: %v", err)
	}
	if err := k.Public().VerifyRequest(msg, sig[:10]); !errors.Is(err, ErrBadSignature) {
		t.Errorf("short signature: %v", err)
	}
}

func TestPasswordHash(t *testing.T) {
	h := HashPassword("正确 horse")
	if !CheckPassword(h, "正确 horse") {
		t.Error("right password refused")
	}
	for _, bad := range []string{"", "正确 horsE", "正确 horse "} {
		if CheckPassword(h, bad) {
			t.Errorf("wrong password %q accepted", bad)
		}
	}
	if HashPassword("x") == HashPassword("x") {
		t.Error("no salt")
	}
	for _, junk := range []string{"", "$argon2id$v=19$m=1,t=1,p=1$$", "$bcrypt$...", "$argon2id$v=19$m=99999999,t=1,p=1$AA$AA", "$argon2id$v=19$m=64,t=0,p=1$AAAA$AAAA"} {
		if CheckPassword(junk, "x") {
			t.Errorf("junk hash %q accepted", junk)
		}
	}
}

func TestTokens(t *testing.T) {
	a, b := NewToken(), NewToken()
	if len(a) < 26 || a == b || TokensEqual(a, b) || !TokensEqual(a, a) || HashToken(a) == HashToken(b) {
		t.Errorf("tokens %q %q", a, b)
	}
}
