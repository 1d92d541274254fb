package main

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestLayout holds the packages to docs/DESIGN.md's layout: every import of
// every package (go list) is one its row of the table allows, the rules of
// the house below the table hold, every package says what it owns in a doc
// comment, and every row names a package that exists.
func TestLayout(t *testing.T) {
	rows := layoutTable(t, "docs/DESIGN.md")
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}\t{{join .Imports \" \"}}\t{{.Doc}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		pkg, doc := ours(f[0]), f[2]
		var imports []string
		if f[1] != "" {
			imports = strings.Split(f[1], " ")
		}
		row := nearestRow(rows, pkg)
		if row == "" {
			t.Errorf("%s has no row in the layout table", pkg)
			continue
		}
		seen[row] = true
		if doc == "" {
			t.Errorf("%s has no package doc comment", pkg)
		}
		for _, imp := range imports {
			if why := refused(pkg, imp, rows[row]); why != "" {
				t.Errorf("%s imports %s: %s", pkg, imp, why)
			}
		}
	}
	for row := range rows {
		if !seen[row] {
			t.Errorf("the layout table has a row for %s, which holds no package", row)
		}
	}
}

// refused says why pkg may not import imp, given what its row allows, or "".
func refused(pkg, imp string, allowed []string) string {
	switch {
	case imp == "net/http" && (pkg == "server" || strings.HasSuffix(pkg, "store")):
		return "the service and the stores speak no HTTP"
	case imp == "database/sql" && pkg != "server/store" && pkg != "server/store/pgtest" && pkg != "client/store":
		return "only the stores run SQL"
	case testOnly(imp) && !testOnly(pkg):
		return "only tests import it"
	case standard(imp):
		return ""
	case strings.HasPrefix(imp, "onex/") || imp == "onex":
		if slices.Contains(allowed, ours(imp)) {
			return ""
		}
	default:
		if slices.ContainsFunc(allowed, func(m string) bool { return imp == m || strings.HasPrefix(imp, m+"/") }) {
			return ""
		}
	}
	return "its row of the layout table does not allow it"
}

// testOnly reports whether only tests may import a package of ours.
func testOnly(pkg string) bool {
	pkg = ours(pkg)
	return pkg == "server/servertest" || pkg == "server/store/pgtest" || pkg == "internal/faultproxy" || pkg == "internal/reliability" || pkg == "internal/roomtest" || pkg == "internal/qrscan"
}

// standard reports whether an import path is the standard library's: its
// first element has no dot.
func standard(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".") && first != "onex"
}

// ours is a package of this module by its path in the repository ("." for the root).
func ours(importPath string) string {
	if importPath == "onex" {
		return "."
	}
	return strings.TrimPrefix(importPath, "onex/")
}

// nearestRow is the row of the package, or of the nearest folder above it that has one.
func nearestRow(rows map[string][]string, pkg string) string {
	for p := pkg; ; {
		if _, ok := rows[p]; ok {
			return p
		}
		i := strings.LastIndex(p, "/")
		if i < 0 {
			return ""
		}
		p = p[:i]
	}
}

var backticked = regexp.MustCompile("`([^`]+)`")

// layoutTable reads the table under "## Layout": each row's path (the first
// code span of its first cell) and what it may import (the code spans of
// its last cell).
func layoutTable(t *testing.T, name string) map[string][]string {
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := map[string][]string{}
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			in = line == "## Layout"
		case in && strings.HasPrefix(line, "| `"):
			cells := strings.Split(strings.Trim(line, "|"), "|")
			path := backticked.FindStringSubmatch(cells[0])[1]
			var allowed []string
			for _, m := range backticked.FindAllStringSubmatch(cells[len(cells)-1], -1) {
				allowed = append(allowed, m[1])
			}
			rows[path] = allowed
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) < 10 {
		t.Fatalf("read %d rows of the layout table in %s; has its form changed?", len(rows), name)
	}
	return rows
}
