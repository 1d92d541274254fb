package inspect

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// The columns of the register files, by their English and Chinese headers.
var (
	siteColumns = map[string]string{
		"code": "code", "考点代码": "code",
		"name": "name", "考点名称": "name",
		"orgs": "orgs", "所属机构": "orgs",
	}
	inspectorColumns = map[string]string{
		"id": "id", "编号": "id",
		"name": "name", "姓名": "name",
		"orgs": "orgs", "所属机构": "orgs",
		"sites": "sites", "关联考点": "sites",
	}
)

// MaxFileSize bounds a register file.
const MaxFileSize = 32 << 20

// Decode turns a file as Excel saves it into UTF-8: a UTF-8 byte-order mark
// is dropped; bytes that are not valid UTF-8 are read as GB18030 (which
// also reads GBK and GB2312).
func Decode(name string, data []byte) (string, error) {
	if len(data) > MaxFileSize {
		return "", &RowError{File: name, Msg: "larger than 32 MiB"}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if utf8.Valid(data) {
		return string(data), nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil || !utf8.Valid(out) || bytes.ContainsRune(out, utf8.RuneError) {
		return "", &RowError{File: name, Msg: "neither UTF-8 nor GB18030"}
	}
	return string(out), nil
}

// table reads a CSV file with a header row naming its columns (cols maps
// each accepted header to its field; required lists the fields that must be
// there) and calls row with each later row's fields by name and its row
// number (the header is row 1).
func table(name string, data []byte, cols map[string]string, required []string, row func(n int, f map[string]string) error) error {
	text, err := Decode(name, data)
	if err != nil {
		return err
	}
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err == io.EOF {
		return &RowError{File: name, Row: 1, Msg: "empty file: the header row is missing"}
	}
	if err != nil {
		return csvError(name, 1, err)
	}
	fields := make([]string, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		if strings.TrimSpace(h) == "" {
			continue // a column Excel kept with no header: its cells must be empty
		}
		f, ok := cols[strings.ToLower(strings.TrimSpace(h))]
		if !ok {
			return &RowError{File: name, Row: 1, Field: h, Msg: "unknown column"}
		}
		if seen[f] {
			return &RowError{File: name, Row: 1, Field: h, Msg: "column appears twice"}
		}
		seen[f] = true
		fields[i] = f
	}
	for _, f := range required {
		if !seen[f] {
			return &RowError{File: name, Row: 1, Field: f, Msg: "column missing"}
		}
	}
	for n := 2; ; n++ {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvError(name, n, err)
		}
		if len(rec) != len(fields) {
			if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
				continue // a row Excel left blank
			}
			return &RowError{File: name, Row: n, Msg: fmt.Sprintf("%d cells, the header has %d", len(rec), len(fields))}
		}
		m := make(map[string]string, len(fields))
		blank := true
		for i, f := range fields {
			cell := strings.TrimSpace(rec[i])
			if f == "" {
				if cell != "" {
					return &RowError{File: name, Row: n, Field: fmt.Sprintf("column %d", i+1), Msg: "a value in a column with no header"}
				}
				continue
			}
			m[f] = cell
			blank = blank && cell == ""
		}
		if blank {
			continue
		}
		if err := row(n, m); err != nil {
			return err
		}
	}
}

func csvError(name string, row int, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &RowError{File: name, Row: row, Msg: pe.Err.Error()}
	}
	return &RowError{File: name, Row: row, Msg: err.Error()}
}

// splitList splits a cell's list of codes on ; ； or 、, trimming each.
func splitList(cell string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(cell, func(r rune) bool { return r == ';' || r == '；' || r == '、' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ParseRegisters reads the two register files (FORMAT.md, "Register
// files"), checks every entry and returns the registers in canonical form.
// Errors are *RowError naming the file, the row and the field.
func ParseRegisters(sitesName string, sites []byte, inspectorsName string, inspectors []byte) (Registers, error) {
	var r Registers
	siteRow := map[string]int{}
	err := table(sitesName, sites, siteColumns, []string{"code", "name"}, func(n int, f map[string]string) error {
		s := Site{Code: f["code"], Name: f["name"], Orgs: splitList(f["orgs"])}
		if err := rowCheck(sitesName, n, Registers{Sites: []Site{s}}); err != nil {
			return err
		}
		if prev, ok := siteRow[s.Code]; ok {
			return &RowError{File: sitesName, Row: n, Field: "code", Msg: fmt.Sprintf("%s appears in row %d too", s.Code, prev)}
		}
		siteRow[s.Code] = n
		r.Sites = append(r.Sites, s)
		return nil
	})
	if err != nil {
		return Registers{}, err
	}
	idRow := map[string]int{}
	err = table(inspectorsName, inspectors, inspectorColumns, []string{"id", "name"}, func(n int, f map[string]string) error {
		in := Inspector{ID: f["id"], Name: f["name"], Orgs: splitList(f["orgs"]), Sites: splitList(f["sites"])}
		one := Registers{Inspectors: []Inspector{in}}
		for _, s := range in.Sites {
			if !slices.ContainsFunc(one.Sites, func(o Site) bool { return o.Code == s }) {
				one.Sites = append(one.Sites, Site{Code: s, Name: "-"}) // ties are checked against the sites register below
			}
		}
		if err := rowCheck(inspectorsName, n, one); err != nil {
			return err
		}
		for _, s := range in.Sites {
			if _, ok := siteRow[s]; !ok {
				return &RowError{File: inspectorsName, Row: n, Field: "sites", Msg: fmt.Sprintf("tied to site %s, which is not in %s", s, sitesName)}
			}
		}
		if prev, ok := idRow[in.ID]; ok {
			return &RowError{File: inspectorsName, Row: n, Field: "id", Msg: fmt.Sprintf("%s appears in row %d too", in.ID, prev)}
		}
		idRow[in.ID] = n
		r.Inspectors = append(r.Inspectors, in)
		return nil
	})
	if err != nil {
		return Registers{}, err
	}
	return r.Normalize()
}

// rowCheck checks one row's entry as Normalize does and names the row.
func rowCheck(file string, row int, one Registers) error {
	_, err := one.Normalize()
	var ee *EntryError
	if errors.As(err, &ee) {
		if ee.Register == "sites" && len(one.Inspectors) > 0 {
			return &RowError{File: file, Row: row, Field: "sites", Msg: "entry " + ee.Msg}
		}
		return &RowError{File: file, Row: row, Field: ee.Field, Msg: ee.Msg}
	}
	return err
}
