//go:build !unix

package pgtest

// closeInheritedFiles does nothing here: the throwaway PostgreSQL runs on
// Unix only (initdb, pg_ctl, runuser); this file lets the package and the
// tests that import it be vetted for Windows (make vet).
func closeInheritedFiles() {}
