package seal

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"testing"
)

// TestCheckCharacterExhaustive proves the check scheme over all 32⁵
// possible groups, in two exhaustive steps.
//
// First, for every group position g and every one of the 32⁴ data values d,
// checkValue(g, d) equals g ⊕ T0(d0) ⊕ T1(d1) ⊕ T2(d2) ⊕ T3(d3), where Ti are
// tables read off checkValue itself at unit inputs. So a group (d, c) is
// valid exactly when g ⊕ T0(d0) ⊕ … ⊕ T3(d3) ⊕ T4(c) = 0 with T4 the
// identity.
//
// Second, in that form a substitution a→b at position i goes undetected only
// if Ti(a) = Ti(b), and a swap of different a, b at positions i, i+1 only if
// Ti(a) ⊕ Ti+1(b) = Ti(b) ⊕ Ti+1(a); the test checks neither happens for
// any i and any a ≠ b.
func TestCheckCharacterExhaustive(t *testing.T) {
	var T [codeGroupLen][32]byte
	for i := range codeGroupData {
		d := make([]byte, codeGroupData)
		for x := range 32 {
			d[i] = byte(x)
			T[i][x] = checkValue(0, d)
		}
	}
	for x := range 32 {
		T[codeGroupData][x] = byte(x)
	}
	d := make([]byte, codeGroupData)
	for g := range codeGroups {
		for n := range 1 << (5 * codeGroupData) {
			want := byte(g)
			for i := range codeGroupData {
				d[i] = byte(n >> (5 * i) & 31)
				want ^= T[i][d[i]]
			}
			if got := checkValue(g, d); got != want {
				t.Fatalf("group %d, data %v: check %d, separable form gives %d", g+1, d, got, want)
			}
		}
	}
	for a := range 32 {
		for b := range 32 {
			if a == b {
				continue
			}
			for i := range codeGroupLen {
				if T[i][a] == T[i][b] {
					t.Errorf("substituting %c for %c at position %d is undetected", crockford[b], crockford[a], i+1)
				}
				if i+1 < codeGroupLen && T[i][a]^T[i+1][b] == T[i][b]^T[i+1][a] {
					t.Errorf("swapping %c%c at positions %d, %d is undetected", crockford[a], crockford[b], i+1, i+2)
				}
			}
		}
	}
}

func TestUnlockCodeRoundTrip(t *testing.T) {
	c, err := NewUnlockCode()
	if err != nil {
		t.Fatal(err)
	}
	s := c.String()
	if len(s) != codeLen+codeGroups-1 || strings.Count(s, "-") != codeGroups-1 {
		t.Fatalf("code %q not in four dashed groups of five", s)
	}
	for _, typed := range []string{
		s,
		strings.ToLower(s),
		strings.ReplaceAll(s, "-", " "),
		strings.ReplaceAll(s, "-", ""),
		"  " + strings.ReplaceAll(strings.ToLower(s), "-", " - ") + "\n",
		toFullWidth(s),
	} {
		got, err := ParseUnlockCode(typed)
		if err != nil {
			t.Fatalf("ParseUnlockCode(%q): %v", typed, err)
		}
		if got != c {
			t.Fatalf("ParseUnlockCode(%q) = %v, want %v", typed, got, c)
		}
	}
}

func toFullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r + 0xFEE0)
	}
	return b.String()
}

func TestUnlockCodeConfusables(t *testing.T) {
	c := UnlockCode{b: [codeBytes]byte{0x08, 0x42, 0x10, 0x84, 0x21, 0x08, 0x42, 0x10, 0x84, 0x21}} // all data characters "1"
	s := c.String()
	if !strings.HasPrefix(s, "1111") {
		t.Fatalf("code %q", s)
	}
	typed := strings.NewReplacer("1", "l").Replace(s[:4]) + strings.NewReplacer("1", "I").Replace(s[4:])
	if got, err := ParseUnlockCode(typed); err != nil || got != c {
		t.Fatalf("ParseUnlockCode(%q) = %v, %v", typed, got, err)
	}
	zero := "0000" + string(crockford[checkValue(0, []byte{0, 0, 0, 0})])
	if _, err := ParseUnlockCode(strings.ReplaceAll(zero, "0", "O") + s[5:]); err != nil {
		t.Fatalf("O not read as 0: %v", err)
	}
}

// TestUnlockCodeTypos types every single-character substitution and every
// adjacent swap within a group of a real code, and wants the group named.
func TestUnlockCodeTypos(t *testing.T) {
	c, err := newUnlockCode(newStream("typos"))
	if err != nil {
		t.Fatal(err)
	}
	s := []byte(c.String())
	check := func(typed string, group int) {
		t.Helper()
		_, err := ParseUnlockCode(typed)
		var ce *CodeError
		if !errors.As(err, &ce) || !errors.Is(err, ErrMistyped) || ce.Group != group {
			t.Fatalf("ParseUnlockCode(%q) = %v, want group %d mistyped", typed, err, group)
		}
		if !strings.Contains(err.Error(), "group "+string(rune('0'+group))+" is mistyped") {
			t.Fatalf("message %q does not name group %d", err, group)
		}
	}
	for i, orig := range s {
		if orig == '-' {
			continue
		}
		group := i/(codeGroupLen+1) + 1
		for _, r := range crockford + "U*" {
			if byte(r) == orig {
				continue
			}
			s[i] = byte(r)
			check(string(s), group)
		}
		s[i] = orig
		if i+1 < len(s) && s[i+1] != '-' && s[i] != s[i+1] {
			s[i], s[i+1] = s[i+1], s[i]
			check(string(s), group)
			s[i], s[i+1] = s[i+1], s[i]
		}
	}
	// A dropped character in group 3, with the dashes still typed.
	groups := strings.Split(string(s), "-")
	groups[2] = groups[2][1:]
	check(strings.Join(groups, "-"), 3)
	// Two groups swapped: each is well formed but in the wrong place.
	groups = strings.Split(string(s), "-")
	groups[1], groups[3] = groups[3], groups[1]
	check(strings.Join(groups, "-"), 2)
	// Wrong length without separators names no group.
	_, err = ParseUnlockCode(strings.ReplaceAll(string(s), "-", "")[1:])
	var ce *CodeError
	if !errors.As(err, &ce) || ce.Group != 0 {
		t.Fatalf("short code: %v", err)
	}
}

// TestMistypedCodeRejectedBeforeArgon2 shows that a mistyped code costs no
// key derivation: DeriveReleaseKey takes only a parsed UnlockCode, and
// ParseUnlockCode allocates a few hundred bytes where argon2id allocates its
// whole memory parameter.
func TestMistypedCodeRejectedBeforeArgon2(t *testing.T) {
	c, _ := newUnlockCode(newStream("argon"))
	s := []byte(c.String())
	s[7] = s[8] // a typo in group 2
	if string(s) == c.String() {
		t.Fatal("test typo made no change")
	}
	allocated := func(f func()) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	saved := releaseArgon
	defer func() { releaseArgon = saved }()
	releaseArgon = argonParams{Time: 1, Memory: 4 << 10, Threads: 1}
	derive := allocated(func() {
		if _, err := DeriveReleaseKey(c, "S-1"); err != nil {
			t.Fatal(err)
		}
	})
	if derive < 4<<20 {
		t.Fatalf("derivation allocated %d bytes; the probe cannot see argon2id", derive)
	}
	parse := allocated(func() {
		if _, err := ParseUnlockCode(string(s)); !errors.Is(err, ErrMistyped) {
			t.Fatalf("typo accepted: %v", err)
		}
	})
	if parse > 16<<10 {
		t.Fatalf("rejecting a mistyped code allocated %d bytes", parse)
	}
}

func TestReleaseKey(t *testing.T) {
	c, _ := newUnlockCode(newStream("release"))
	a, err := DeriveReleaseKey(c, "S-1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := DeriveReleaseKey(c, "S-1")
	other, _ := DeriveReleaseKey(c, "S-2")
	if !bytes.Equal(a.Bytes(), b.Bytes()) || bytes.Equal(a.Bytes(), other.Bytes()) {
		t.Fatal("release key not a function of code and session")
	}
	online, err := ParseReleaseKey("S-1", a.Bytes())
	if err != nil || *online != *a {
		t.Fatalf("ParseReleaseKey: %v", err)
	}
	if _, err := ParseReleaseKey("S-1", a.Bytes()[:31]); !errors.Is(err, ErrFormat) {
		t.Fatalf("short release key: %v", err)
	}
	if _, err := DeriveReleaseKey(UnlockCode{}, "S-1"); err == nil {
		t.Fatal("zero code accepted")
	}
	if _, err := DeriveReleaseKey(c, ""); err == nil {
		t.Fatal("empty session accepted")
	}
}
