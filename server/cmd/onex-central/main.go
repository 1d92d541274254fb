// Command onex-central is the central office's server and its tools.
//
//	onex-central init    --data DIR [--admin-password-file F] [--self-signed-tls HOST,...]
//	onex-central serve   --data DIR --addr 127.0.0.1:8080 [--tls-cert F --tls-key F | --no-tls] [--trust-proxy] [--public-url URL]
//	onex-central import  catalogue|paper|roster --data DIR FILE [--session ID] [--encoding auto|utf-8|gb18030]
//	onex-central import  records --data DIR FILE
//	onex-central import  rules --data DIR FILE
//	onex-central import  courses --data DIR --school CODE [--encoding auto|utf-8|gb18030] FILE
//	onex-central account --data DIR --id-number N|--account ID [--format text|json]
//	onex-central credit  apply|decide|applications|preview --data DIR ...
//	onex-central session create --data DIR --site CODE --room ROOM --paper PAPER_ID --start RFC3339 [--release RFC3339]
//	onex-central enrol-code  --data DIR --site CODE
//	onex-central unlock-code --data DIR --session ID
//	onex-central results --data DIR --session ID --format csv|json
//	onex-central approve --data DIR --session ID
//	onex-central publish --data DIR --session ID
//	onex-central device revoke --data DIR --device ID --reason TEXT
//	onex-central user add --data DIR --name NAME --role admin|staff|marker|lead|inspector --password-file F
//	onex-central certify --data DIR --session ID [--public-url URL]
//	onex-central certificates --data DIR --session ID --format csv|json
//	onex-central revoke|suspend|reinstate --data DIR --number N --reason TEXT
//	onex-central issuer rotate --data DIR
//	onex-central certificate-pdf --data DIR --number N --out FILE [--public-url URL]
//	onex-central inspection registers|commit|draw|verify|findings|close|list|export ...
//	onex-central version
//
// Every command that takes --data also takes --db postgres://... to keep the
// database in PostgreSQL instead of DIR/central.db.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"onex/exam/seal"
	"onex/server"
	"onex/server/web"
)

const usage = `usage: onex-central <command> [flags]

commands:
  init          create the database and central's keys
  serve         serve the API and the office pages
  import        catalogue|paper|roster|records FILE; rules FILE, courses --school CODE FILE (credit bank)
  account       print a learner's account: outcomes, conversions, credits
  credit        apply|decide|applications|preview: conversions of the credit bank (audited)
  session       create: schedule a session (prints its id)
  enrol-code    print a one-time enrolment code for a site
  unlock-code   print a session's unlock code (audited)
  results       print a session's results as CSV or JSON, with each result's state
  approve       approve a session's results that are ready (audited)
  publish       publish a session's approved results (audited)
  device        revoke: refuse a device's requests and records from now on (audited)
  user          add: add an office user (marker, lead, ...) or set one's password and role (audited)
  certify       issue the certificates of a session's approved, passing results (audited)
  certificates  print a session's certificates as CSV or JSON
  revoke        revoke a certificate, for good (audited); suspend, reinstate: suspend or reinstate one
  issuer        rotate: a new issuer key signs certificates from now (audited)
  certificate-pdf  write a certificate's PDF
  inspection    random inspections: registers, commit, draw, verify (offline), findings, close, list, export
  exemption     change a candidate's fee exemption, with a reason (audited)
  fees          print a fee statement (candidates, exempt by kind, payable) as CSV
  version       print this build's version

Run "onex-central <command> --help" for a command's flags.
`

// version is this build's version: make release sets it from git describe
// (-ldflags -X main.version=...); a plain go build says "dev".
var version = "dev"

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, log)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "onex-central:", err)
		os.Exit(1)
	}
}

// run runs one command, writing its output to stdout and its warnings to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, log *slog.Logger) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return errors.New("no command")
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	case "version", "--version":
		fmt.Fprintln(stdout, "onex-central", version)
		return nil
	case "init":
		return cmdInit(ctx, args, stdout)
	case "serve":
		return cmdServe(ctx, args, log)
	case "import":
		if len(args) == 0 || strings.HasPrefix(args[0], "-") {
			return errors.New("import what? catalogue, paper, roster or records")
		}
		return cmdImport(ctx, args[0], args[1:], stdout, log)
	case "session":
		if len(args) == 0 || args[0] != "create" {
			return errors.New(`session: the subcommand is "create"`)
		}
		return cmdSessionCreate(ctx, args[1:], stdout, log)
	case "enrol-code":
		return cmdEnrolCode(ctx, args, stdout, log)
	case "unlock-code":
		return cmdUnlockCode(ctx, args, stdout, log)
	case "results":
		return cmdResults(ctx, args, stdout, stderr, log)
	case "approve", "publish":
		return cmdApprove(ctx, cmd, args, stdout, stderr, log)
	case "device":
		if len(args) == 0 || args[0] != "revoke" {
			return errors.New(`device: the subcommand is "revoke"`)
		}
		return cmdDeviceRevoke(ctx, args[1:], stdout, log)
	case "user":
		return cmdUser(ctx, args, stdout, log)
	case "certify":
		return cmdCertify(ctx, args, stdout, stderr, log)
	case "certificates":
		return cmdCertificates(ctx, args, stdout, log)
	case "revoke", "suspend", "reinstate":
		return cmdCertificateStatus(ctx, cmd, args, stdout, log)
	case "issuer":
		return cmdIssuer(ctx, args, stdout, log)
	case "certificate-pdf":
		return cmdCertificatePDF(ctx, args, stdout, log)
	case "inspection":
		return cmdInspection(ctx, args, stdout, log)
	case "account":
		return cmdAccount(ctx, args, stdout, log)
	case "credit":
		return cmdCredit(ctx, args, stdout, log)
	case "exemption":
		return cmdExemption(ctx, args, stdout, log)
	case "fees":
		return cmdFees(ctx, args, stdout, log)
	}
	return fmt.Errorf("unknown command %q (try --help)", cmd)
}

// flags is a command's flag set with the --data and --db every command takes.
type flags struct {
	*flag.FlagSet
	data, db string
	pos      []string // positional arguments
}

func newFlags(name, synopsis string) *flags {
	f := &flags{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError)}
	f.StringVar(&f.data, "data", "", "central's data directory (keys, and the SQLite database unless --db)")
	f.StringVar(&f.db, "db", "", "PostgreSQL URL (postgres://...) instead of DIR/central.db")
	f.Usage = func() {
		fmt.Fprintf(f.Output(), "usage: onex-central %s\n\n", synopsis)
		f.PrintDefaults()
	}
	return f
}

// parse parses args, flags before and after the positional arguments,
// requiring --data, the named flags and exactly positional arguments.
func (f *flags) parse(args []string, positional int, required ...string) error {
	for {
		if err := f.Parse(args); err != nil {
			return err
		}
		if args = f.Args(); len(args) == 0 {
			break
		}
		f.pos, args = append(f.pos, args[0]), args[1:]
	}
	if len(f.pos) > positional {
		return fmt.Errorf("%s: unexpected argument %q", f.Name(), f.pos[positional])
	}
	if len(f.pos) < positional {
		return fmt.Errorf("%s: FILE is missing", f.Name())
	}
	for _, name := range append([]string{"data"}, required...) {
		if f.Lookup(name).Value.String() == "" {
			return fmt.Errorf("%s: --%s is required", f.Name(), name)
		}
	}
	return nil
}

// print opens central and prints the line get returns.
func (f *flags) print(ctx context.Context, log *slog.Logger, stdout io.Writer, get func(*server.Central) (string, error)) error {
	return f.with(ctx, server.Config{Log: log}, func(c *server.Central) error {
		line, err := get(c)
		if err == nil {
			fmt.Fprintln(stdout, line)
		}
		return err
	})
}

// with opens central, runs fn on it and closes it.
func (f *flags) with(ctx context.Context, cfg server.Config, fn func(*server.Central) error) error {
	c, err := server.Open(ctx, f.data, f.db, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	return fn(c)
}

func cmdInit(ctx context.Context, args []string, stdout io.Writer) error {
	f := newFlags("init", "init --data DIR [--db URL] [--admin-password-file F] [--self-signed-tls HOST,...]")
	pwFile := f.String("admin-password-file", "", "file holding the password of the first office user, admin (default: generate one and print it)")
	selfSigned := f.String("self-signed-tls", "", "also write a self-signed TLS certificate for these host names and IP addresses, comma-separated, into DIR (tls.crt, tls.key), which serve then uses; on a DIR initialised already, only renew the certificate, keeping its key")
	if err := f.parse(args, 0); err != nil {
		return err
	}
	var hosts []string
	if *selfSigned != "" {
		var err error
		if hosts, err = server.ParseTLSHosts(*selfSigned); err != nil {
			return fmt.Errorf("--self-signed-tls: %w", err)
		}
	}
	_, err := os.Stat(filepath.Join(f.data, server.KeysFile))
	if err != nil || len(hosts) == 0 {
		if err := initCentral(ctx, f, *pwFile, stdout); err != nil {
			return err
		}
	}
	if len(hosts) == 0 {
		return nil
	}
	cert, err := server.InitTLS(f.data, hosts, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "TLS certificate SHA-256: %s\nTLS public key SHA-256: %s (what sites pin)\n  for %s, valid until %s, in %s and %s\n",
		seal.TLSFingerprint(seal.CertificateHash(cert)), seal.TLSFingerprint(seal.SPKIHash(cert)), strings.Join(hosts, ", "),
		cert.NotAfter.Format(time.DateOnly), filepath.Join(f.data, server.TLSCertFile), filepath.Join(f.data, server.TLSKeyFile))
	return nil
}

// initCentral makes central's keys, its database and the office user admin.
func initCentral(ctx context.Context, f *flags, pwFile string, stdout io.Writer) error {
	var password string
	if pwFile != "" {
		b, err := os.ReadFile(pwFile)
		if err != nil {
			return err
		}
		password = strings.TrimRight(string(b), "\r\n")
		if len([]rune(password)) < 10 {
			return fmt.Errorf("%s: the admin password needs at least 10 characters", pwFile)
		}
	}
	if password == "" {
		password = seal.NewToken()[:20]
		fmt.Fprintf(stdout, "admin password: %s\n", password)
	}
	pub, err := server.Init(ctx, f.data, f.db, password)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "central key fingerprint: %s (sites of release 1 show %s)\n", pub.Fingerprint(), pub.V1().Fingerprint())
	return nil
}

func cmdServe(ctx context.Context, args []string, log *slog.Logger) error {
	f := newFlags("serve", "serve --data DIR [--db URL] [--addr 127.0.0.1:8080] [--tls-cert F --tls-key F | --no-tls] [--trust-proxy] [limits]")
	addr := f.String("addr", "127.0.0.1:8080", "address to listen on")
	maxRecords := f.Int("max-records", server.DefaultMaxRecords, "most envelopes in one batch (advertised to devices at enrolment)")
	maxBytes := f.Int("max-batch-bytes", server.DefaultMaxBatchBytes, "most bytes in one batch body")
	certFile := f.String("tls-cert", "", "serve HTTPS with this PEM certificate (chain first the server's); default DIR/"+server.TLSCertFile+" when it exists")
	keyFile := f.String("tls-key", "", "the PEM private key of --tls-cert; default DIR/"+server.TLSKeyFile)
	noTLS := f.Bool("no-tls", false, "serve plain HTTP even when DIR has a certificate: the link is not encrypted (a TLS proxy in front, or a demo)")
	trustProxy := f.Bool("trust-proxy", false, "central is behind a TLS proxy: take X-Forwarded-Proto and X-Forwarded-For from it (listen only where the proxy alone reaches)")
	maxIngest := f.Int("max-ingest", server.DefaultMaxIngest, "most batches read and ingested at once; more get 503 with Retry-After")
	headerTimeout := f.Duration("read-header-timeout", 10*time.Second, "longest a request's headers may take to arrive")
	readTimeout := f.Duration("read-timeout", time.Minute, "longest a whole request may take to arrive (a device's batch, once authenticated: --batch-idle, --batch-timeout)")
	batchIdle := f.Duration("batch-idle", server.DefaultBatchIdle, "longest central waits for more of an authenticated batch body")
	batchTimeout := f.Duration("batch-timeout", server.DefaultBatchTimeout, "longest an authenticated batch body may take")
	claimTimeout := f.Duration("claim-timeout", server.DefaultClaimTimeout, "how long a marker holds a script handed out before it returns to the queue")
	publicURL := publicURLFlag(f)
	if err := f.parse(args, 0); err != nil {
		return err
	}
	if err := server.CheckPublicURL(*publicURL); err != nil {
		return fmt.Errorf("serve: --public-url: %w", err)
	}
	if *maxRecords < 1 || *maxBytes < 64<<10 || *maxIngest < 1 {
		return fmt.Errorf("serve: --max-records and --max-ingest must be at least 1 and --max-batch-bytes at least 65536")
	}
	for name, d := range map[string]time.Duration{"read-header-timeout": *headerTimeout, "read-timeout": *readTimeout, "batch-idle": *batchIdle, "batch-timeout": *batchTimeout} {
		if d <= 0 {
			return fmt.Errorf("serve: --%s must be positive", name)
		}
	}
	cert, err := serveCertificate(f.data, *certFile, *keyFile, *noTLS)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	cfg := server.Config{Log: log, MaxRecords: *maxRecords, MaxBatchBytes: *maxBytes, MaxIngest: *maxIngest, BatchIdle: *batchIdle, BatchTimeout: *batchTimeout, ClaimTimeout: *claimTimeout, PublicURL: *publicURL}
	var opts []web.Option
	if *trustProxy {
		opts = append(opts, web.TrustProxy())
	}
	if cert != nil {
		cfg.TLSCertificate = cert.Leaf.Raw
	}
	return f.with(ctx, cfg, func(c *server.Central) error {
		hs := &http.Server{Handler: web.Handler(c, log, opts...),
			ReadHeaderTimeout: *headerTimeout, ReadTimeout: *readTimeout, IdleTimeout: 2 * time.Minute,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
		ln, err := net.Listen("tcp", *addr)
		if err != nil {
			return fmt.Errorf("serve: %w", err)
		}
		errc := make(chan error, 1)
		if cert != nil {
			hs.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{*cert}}
			go func() { errc <- hs.ServeTLS(ln, "", "") }()
			log.Info("central listening", "version", version, "office", "https://"+ln.Addr().String()+"/office/", "key", c.PublicKey().Fingerprint(), "key_release1", c.PublicKey().V1().Fingerprint(),
				"tls_certificate", seal.TLSFingerprint(seal.CertificateHash(cert.Leaf)), "tls_key", seal.TLSFingerprint(seal.SPKIHash(cert.Leaf)))
		} else {
			go func() { errc <- hs.Serve(ln) }()
			log.Info("central listening", "version", version, "office", "http://"+ln.Addr().String()+"/office/", "key", c.PublicKey().Fingerprint(), "key_release1", c.PublicKey().V1().Fingerprint(), "trust_proxy", *trustProxy)
			if !*trustProxy {
				log.Warn("serving plain HTTP: the link is not encrypted; give --tls-cert and --tls-key, run init --self-signed-tls, or put a TLS proxy in front and serve --trust-proxy")
			}
		}
		select {
		case err := <-errc:
			return err
		case <-ctx.Done():
			shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			return hs.Shutdown(shut)
		}
	})
}

// serveCertificate loads the certificate serve uses: the one named, else
// the data directory's when it has one, else none (plain HTTP).
func serveCertificate(dataDir, certFile, keyFile string, noTLS bool) (*tls.Certificate, error) {
	switch {
	case noTLS && (certFile != "" || keyFile != ""):
		return nil, errors.New("--no-tls and --tls-cert or --tls-key contradict each other")
	case noTLS:
		return nil, nil
	case (certFile == "") != (keyFile == ""):
		return nil, errors.New("--tls-cert and --tls-key go together")
	case certFile == "":
		certFile, keyFile = filepath.Join(dataDir, server.TLSCertFile), filepath.Join(dataDir, server.TLSKeyFile)
		if _, err := os.Stat(certFile); errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err == nil && cert.Leaf == nil { // GODEBUG=x509keypairleaf=0
		cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0])
	}
	if err != nil {
		return nil, fmt.Errorf("TLS certificate %s with key %s: %w", certFile, keyFile, err)
	}
	return &cert, nil
}

const actor = "cli"

func cmdImport(ctx context.Context, what string, args []string, stdout io.Writer, log *slog.Logger) error {
	f := newFlags("import "+what, "import "+what+" --data DIR FILE")
	session := f.String("session", "", "the session a roster belongs to")
	school := f.String("school", "", "the school a course file is of (import courses): every row's 学校代码 must be it")
	encoding := f.String("encoding", server.EncodingAuto, "roster or course file encoding: auto, utf-8 or gb18030")
	var required []string
	switch what {
	case "roster":
		required = []string{"session"}
	case "courses":
		required = []string{"school"}
	}
	if err := f.parse(args, 1, required...); err != nil {
		return err
	}
	name := f.pos[0]
	file, err := os.Open(name)
	if err != nil {
		return err
	}
	defer file.Close()
	return f.with(ctx, server.Config{Log: log}, func(c *server.Central) error {
		if what == "rules" || what == "courses" { // the credit bank, credit.go
			return importCredit(ctx, c, what, file, name, *school, *encoding, stdout)
		}
		return importFile(ctx, c, what, file, name, *session, *encoding, stdout)
	})
}

// importFile imports one file into central.
func importFile(ctx context.Context, c *server.Central, what string, file io.Reader, name, session, encoding string, stdout io.Writer) error {
	switch what {
	case "catalogue":
		cat, err := c.ImportCatalogue(ctx, file, actor)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		fmt.Fprintf(stdout, "imported %d organisations, %d certificates, %d sites\n", len(cat.Organisations), len(cat.Certificates), len(cat.Sites))
	case "paper":
		p, err := c.ImportPaper(ctx, file, actor)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		fmt.Fprintf(stdout, "imported paper %s version %d: %d items, %v points\n", p.ID, p.Version, len(p.Items()), p.TotalPoints())
	case "roster":
		cands, err := c.ImportRoster(ctx, session, file, encoding, actor)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		fmt.Fprintf(stdout, "imported %d candidates into session %s\n", len(cands), session)
	case "records":
		return importRecords(ctx, c, file, name, stdout)
	default:
		return fmt.Errorf("import: %q is not catalogue, paper, roster, records, rules or courses", what)
	}
	return nil
}

// importRecords imports an export file through the service, as the
// office's upload does, and says what became of its records: the counts on
// stdout, each conflict and rejection on stderr.
func importRecords(ctx context.Context, c *server.Central, r io.Reader, name string, stdout io.Writer) error {
	rep, err := c.ImportRecords(ctx, r, actor)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(os.Stderr, "%s: envelope %d (record %s): %s: %s\n", name, p.Envelope, p.RecordID, p.Outcome, p.Reason)
	}
	fmt.Fprintf(stdout, "%d records: %d accepted, %d duplicate, %d conflict, %d rejected\n", rep.Records, rep.Accepted, rep.Duplicate, rep.Conflict, rep.Rejected)
	return nil
}

func cmdSessionCreate(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	f := newFlags("session create", "session create --data DIR --site CODE --room ROOM --paper PAPER_ID --start RFC3339 [--release RFC3339]")
	site := f.String("site", "", "site code, e.g. SITE-001")
	room := f.String("room", "", "room of the site, e.g. A101")
	paper := f.String("paper", "", "paper id, e.g. WEB-E-2026-A")
	version := f.Int("paper-version", 0, "paper version (default: the latest)")
	start := f.String("start", "", "planned start, RFC 3339, e.g. 2026-12-01T09:00:00+08:00")
	release := f.String("release", "", "release time, RFC 3339, still ahead (default: 10 minutes before the start; a roster can be imported until then)")
	late := f.Int("late-limit", 15, "minutes after the start until which late candidates may enter")
	if err := f.parse(args, 0, "site", "room", "paper", "start"); err != nil {
		return err
	}
	spec := server.SessionSpec{Site: *site, Room: *room, PaperID: *paper, PaperVersion: *version, LateLimitMinutes: *late}
	var err error
	if spec.Start, err = time.Parse(time.RFC3339, *start); err != nil {
		return fmt.Errorf("--start %q is not an RFC 3339 time such as 2026-12-01T09:00:00+08:00", *start)
	}
	if *release != "" {
		if spec.ReleaseAt, err = time.Parse(time.RFC3339, *release); err != nil {
			return fmt.Errorf("--release %q is not an RFC 3339 time", *release)
		}
	}
	return f.with(ctx, server.Config{Log: log}, func(c *server.Central) error {
		s, err := c.CreateSession(ctx, spec, actor)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, s.ID)
		return nil
	})
}

func cmdDeviceRevoke(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	f := newFlags("device revoke", "device revoke --data DIR --device ID --reason TEXT")
	device := f.String("device", "", "the device's id (the office's sites page shows it)")
	reason := f.String("reason", "", "why, for the audit log and the sites page: a stolen or retired machine")
	if err := f.parse(args, 0, "device", "reason"); err != nil {
		return err
	}
	return f.print(ctx, log, stdout, func(c *server.Central) (string, error) {
		return "revoked device " + *device + ": central refuses its requests and records from now on", c.RevokeDevice(ctx, *device, *reason, actor)
	})
}

func cmdEnrolCode(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	f := newFlags("enrol-code", "enrol-code --data DIR --site CODE")
	site := f.String("site", "", "site code")
	if err := f.parse(args, 0, "site"); err != nil {
		return err
	}
	return f.print(ctx, log, stdout, func(c *server.Central) (string, error) { return c.NewEnrolCode(ctx, *site, actor) })
}

func cmdUnlockCode(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	f := newFlags("unlock-code", "unlock-code --data DIR --session ID")
	session := f.String("session", "", "session id")
	if err := f.parse(args, 0, "session"); err != nil {
		return err
	}
	return f.print(ctx, log, stdout, func(c *server.Central) (string, error) { return c.UnlockCode(ctx, *session, actor) })
}

// cmdResults prints a session's results, and on stderr what the office
// should know before trusting them: chain problems, open conflicts and
// records with implausible times.
func cmdResults(ctx context.Context, args []string, stdout, stderr io.Writer, log *slog.Logger) error {
	f, session, format, err := sessionListing("results", "json", args)
	if err != nil {
		return err
	}
	return f.with(ctx, server.Config{Log: log}, func(c *server.Central) error {
		results, err := c.SessionResults(ctx, session)
		if err != nil {
			return err
		}
		if err := c.WarnChains(ctx, session, stderr); err != nil {
			return err
		}
		server.WarnResults(stderr, results)
		if format == "json" {
			return server.WriteResultsJSON(stdout, results)
		}
		return server.WriteResultsCSV(stdout, results)
	})
}

// cmdApprove approves (or publishes) a session's results that are ready,
// printing what it did on stdout and each result refused, with why, on
// stderr; it fails when any result was refused.
func cmdApprove(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer, log *slog.Logger) error {
	f := newFlags(cmd, cmd+" --data DIR --session ID")
	session := f.String("session", "", "session id")
	if err := f.parse(args, 0, "session"); err != nil {
		return err
	}
	return f.with(ctx, server.Config{Log: log}, func(c *server.Central) error {
		step, done := c.Approve, "approved"
		if cmd == "publish" {
			step, done = c.Publish, "published"
		}
		rep, err := step(ctx, *session, actor)
		if err != nil {
			return err
		}
		for _, r := range rep.Refused {
			reasons := make([]string, len(r.Reasons))
			for i, why := range r.Reasons {
				reasons[i] = string(why)
			}
			fmt.Fprintf(stderr, "not %s: ticket %s: %s\n", done, r.Ticket, strings.Join(reasons, ", "))
		}
		fmt.Fprintf(stdout, "session %s: %d results %s now, %d before, %d not ready\n", *session, len(rep.Done), done, len(rep.Already), len(rep.Refused))
		return rep.Err()
	})
}
