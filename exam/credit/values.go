package credit

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Date is a calendar day written as the number yyyymmdd (20260501 is
// 1 May 2026), so that days compare as integers; 0 is no date.
type Date uint32

// NoDate is the zero Date: an open end of a window.
const NoDate Date = 0

// DateOf is the calendar day of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date(y*10000 + int(m)*100 + d)
}

// ParseDate reads a day written YYYY-MM-DD (the rule file's form, strict).
func ParseDate(s string) (Date, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil || t.Year() < 1900 || t.Year() > 9999 {
		return 0, fmt.Errorf("%q is not a date YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// parseSheetDate reads a day as a spreadsheet writes it into a CSV file:
// YYYY-MM-DD, YYYY/M/D, YYYY-M-D or YYYY.M.D, optionally followed by a
// time of day (which is dropped), years 1900 to 9999.
func parseSheetDate(s string) (Date, error) {
	day, _, _ := strings.Cut(strings.TrimSpace(s), " ")
	var parts []string
	for _, sep := range []string{"-", "/", "."} {
		if p := strings.Split(day, sep); len(p) == 3 {
			parts = p
			break
		}
	}
	bad := fmt.Errorf("%q is not a date (YYYY-MM-DD or YYYY/M/D)", s)
	if parts == nil || len(parts[0]) != 4 || len(parts[1]) > 2 || len(parts[2]) > 2 {
		return 0, bad
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || p == "" || p[0] == '+' || p[0] == '-' {
			return 0, bad
		}
		n[i] = v
	}
	t := time.Date(n[0], time.Month(n[1]), n[2], 0, 0, 0, 0, time.UTC)
	if t.Year() != n[0] || int(t.Month()) != n[1] || t.Day() != n[2] || n[0] < 1900 {
		return 0, bad
	}
	return DateOf(t), nil
}

// Valid reports whether d is a real calendar day.
func (d Date) Valid() bool {
	y, m, day := int(d/10000), int(d/100%100), int(d%100)
	t := time.Date(y, time.Month(m), day, 0, 0, 0, 0, time.UTC)
	return y >= 1900 && y <= 9999 && t.Year() == y && int(t.Month()) == m && t.Day() == day
}

// String is YYYY-MM-DD, or "" for NoDate.
func (d Date) String() string {
	if d == NoDate {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d/10000, d/100%100, d%100)
}

// MarshalText writes YYYY-MM-DD.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads YYYY-MM-DD; "" is NoDate.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = NoDate
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Hundredths is a decimal number with at most two decimal places, kept as
// a count of hundredths so that sums and comparisons are exact: credits
// (学分, 250 is 2.5 credits) and scores (a percentage, 8550 is 85.5).
type Hundredths int64

// Credits are a number of credits in hundredths.
type Credits = Hundredths

// Score is a percentage (0 to 100) in hundredths.
type Score = Hundredths

// ParseHundredths reads a plain decimal: digits, optionally a point and one
// or two more digits. No sign, exponent, grouping or spaces inside.
func ParseHundredths(s string) (Hundredths, error) {
	bad := fmt.Errorf("%q is not a number with at most two decimals", s)
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || len(whole) > 9 || len(frac) > 2 || dot && frac == "" {
		return 0, bad
	}
	for _, c := range whole + frac {
		if c < '0' || c > '9' {
			return 0, bad
		}
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	var f int64
	if frac != "" {
		f, _ = strconv.ParseInt(frac, 10, 64)
		if len(frac) == 1 {
			f *= 10
		}
	}
	return Hundredths(w*100 + f), nil
}

// String writes the number with as few decimals as it needs: 3, 2.5, 1.25.
func (h Hundredths) String() string {
	sign := ""
	if h < 0 {
		sign, h = "-", -h
	}
	s := fmt.Sprintf("%s%d.%02d", sign, h/100, h%100)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// MarshalJSON writes the number as a JSON number: 2.5.
func (h Hundredths) MarshalJSON() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalJSON reads a JSON number with at most two decimals.
func (h *Hundredths) UnmarshalJSON(b []byte) error {
	v, err := ParseHundredths(string(b))
	if err != nil {
		return err
	}
	*h = v
	return nil
}
