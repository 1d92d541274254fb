package inspect

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

const sitesCSV = "code,name,orgs\r\nS02,第二考点,O2\r\nS01,\"第一考点, 北区\",O1;O9\r\n,,\r\n"
const inspectorsCSV = "id,name,orgs,sites\nI01,张伟,O1,\nI02,王芳,O2；O3,S01、S02\n"

func TestParseRegisters(t *testing.T) {
	want := Registers{
		Sites: []Site{{Code: "S01", Name: "第一考点, 北区", Orgs: []string{"O1", "O9"}}, {Code: "S02", Name: "第二考点", Orgs: []string{"O2"}}},
		Inspectors: []Inspector{
			{ID: "I01", Name: "张伟", Orgs: []string{"O1"}, Sites: []string{}},
			{ID: "I02", Name: "王芳", Orgs: []string{"O2", "O3"}, Sites: []string{"S01", "S02"}},
		},
	}
	wantJSON := string(canonicalJSON(want))
	gb := func(s string) []byte {
		b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	zh := "考点代码,考点名称,所属机构\nS01,\"第一考点, 北区\",O1;O9\nS02,第二考点,O2\n"
	zhIns := "编号,所属机构,姓名,关联考点\nI02,O3;O2,王芳,S02;S01\nI01,O1,张伟,\n"
	upper := "ID,Name,ORGS,Sites,\nI01,张伟,O1,,\nI02,王芳,O2；O3,S01、S02,\n"
	for _, c := range []struct {
		name      string
		sites, in []byte
	}{
		{"UTF-8", []byte(sitesCSV), []byte(inspectorsCSV)},
		{"UTF-8 with BOM", []byte("\xef\xbb\xbf" + sitesCSV), []byte("\xef\xbb\xbf" + inspectorsCSV)},
		{"GB18030", gb(sitesCSV), gb(inspectorsCSV)},
		{"Chinese headers, other column order", gb(zh), []byte(zhIns)},
		{"headers in capitals, an empty column with no header", []byte(sitesCSV), []byte(upper)},
	} {
		r, err := ParseRegisters("sites.csv", c.sites, "inspectors.csv", c.in)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := string(canonicalJSON(r)); got != wantJSON {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, wantJSON)
		}
	}
}

func TestParseRegistersRefuses(t *testing.T) {
	for _, c := range []struct {
		name, sites, ins string
		want             string
	}{
		{"empty sites file", "", inspectorsCSV, "sites.csv: row 1: empty file"},
		{"unknown column", "code,name,city\n", inspectorsCSV, "sites.csv: row 1, field city: unknown column"},
		{"missing column", "code,orgs\n", inspectorsCSV, "sites.csv: row 1, field name: column missing"},
		{"a value under no header", "code,name,\nS01,a,x\n", inspectorsCSV, "sites.csv: row 2, field column 3: a value in a column with no header"},
		{"column twice", "code,name,考点代码\n", inspectorsCSV, "sites.csv: row 1, field 考点代码: column appears twice"},
		{"empty code", "code,name\nS01,a\n,b\n", "id,name\n", "sites.csv: row 3, field code: empty"},
		{"duplicate code", "code,name\nS01,a\nS02,b\nS01,c\n", "id,name\n", "sites.csv: row 4, field code: S01 appears in row 2 too"},
		{"short row", "code,name,orgs\nS01,a\n", "id,name\n", "sites.csv: row 2: 2 cells, the header has 3"},
		{"bad quote", "code,name\nS01,\"a\n", "id,name\n", "sites.csv: row 2:"},
		{"control character", "code,name\nS01,a\x07b\n", "id,name\n", "sites.csv: row 2, field name: holds a control character"},
		{"separator in a code", "code,name\nS01,a\n", "id,name\nI;1,b\n", "inspectors.csv: row 2, field id: holds a list separator"},
		{"tie to an unknown site", sitesCSV, "id,name,sites\nI01,a,S01\nI02,b,S09\n", "inspectors.csv: row 3, field sites: tied to site S09, which is not in sites.csv"},
		{"duplicate id", sitesCSV, "id,name\nI01,a\nI01,b\n", "inspectors.csv: row 3, field id: I01 appears in row 2 too"},
		{"long name", "code,name\nS01," + strings.Repeat("名", 201) + "\n", "id,name\n", "sites.csv: row 2, field name: longer than the limit"},
		{"neither encoding", "code,name\nS01,\xff\xff\n", "id,name\n", "sites.csv: neither UTF-8 nor GB18030"},
	} {
		_, err := ParseRegisters("sites.csv", []byte(c.sites), "inspectors.csv", []byte(c.ins))
		var re *RowError
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.As(err, &re) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v, want a RowError with %q", c.name, err, c.want)
		}
	}
}
