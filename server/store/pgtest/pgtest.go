// Package pgtest runs a throwaway PostgreSQL server for tests: initdb and
// pg_ctl of the machine's PostgreSQL (Debian's postgresql package, installed
// by `make deps`) in a temporary directory, listening only on a Unix socket
// there, stopped and removed at the end. When it cannot start, tests fail:
// they never skip PostgreSQL silently.
package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync/atomic"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// Server is a running throwaway PostgreSQL.
type Server struct {
	dir    string
	bin    string
	asUser []string // runuser prefix when the tests run as root, which initdb refuses
	dbs    atomic.Int64
}

// Start initialises and starts a server in a new temporary directory.
func Start() (*Server, error) {
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		return nil, fmt.Errorf("pgtest: no initdb under /usr/lib/postgresql/*/bin (run make deps to install postgresql)")
	}
	sort.Strings(bins)
	s := &Server{bin: filepath.Dir(bins[len(bins)-1])}
	dir, err := os.MkdirTemp("", "onex-pg-")
	if err != nil {
		return nil, err
	}
	s.dir = dir
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("pgtest: running as root needs the postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
		s.asUser = []string{"runuser", "-u", "postgres", "--"}
	}
	closeInheritedFiles()
	data := filepath.Join(dir, "data")
	if err := s.run("initdb", "-D", data, "-A", "trust", "-U", "onex", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		s.Stop()
		return nil, err
	}
	opts := fmt.Sprintf("-k %s -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off", dir)
	if err := s.run("pg_ctl", "-D", data, "-l", filepath.Join(dir, "log"), "-o", opts, "-w", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		s.Stop()
		return nil, fmt.Errorf("%w\n%s", err, log)
	}
	return s, nil
}

func (s *Server) run(name string, args ...string) error {
	argv := append(append(append([]string{}, s.asUser...), filepath.Join(s.bin, name)), args...)
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pgtest: %s: %w\n%s", name, err, out)
	}
	return nil
}

// URL returns the URL of a fresh, empty database on the server.
func (s *Server) URL(ctx context.Context) (string, error) {
	name := fmt.Sprintf("onex_test_%d", s.dbs.Add(1))
	admin, err := sql.Open("pgx", s.url("postgres"))
	if err != nil {
		return "", err
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("pgtest: create database: %w", err)
	}
	return s.url(name), nil
}

func (s *Server) url(db string) string {
	return "postgres://onex@/" + db + "?host=" + s.dir + "&sslmode=disable"
}

// Stop stops the server and removes its directory.
func (s *Server) Stop() {
	if _, err := os.Stat(filepath.Join(s.dir, "data", "postmaster.pid")); err == nil {
		s.run("pg_ctl", "-D", filepath.Join(s.dir, "data"), "-m", "immediate", "-w", "stop")
	}
	os.RemoveAll(s.dir)
}
