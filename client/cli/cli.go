// Package cli is the headless command line of onex-site, for scripting,
// rehearsals (模拟考) and recovery:
//
//	onex-site enrol    --data DIR --server URL --code CODE [--fingerprint FP] [--name NAME]
//	onex-site download --data DIR
//	onex-site unlock   --data DIR --session ID [--code CODE]
//	onex-site drill    --data DIR --session ID [--candidates N | --terminals N] [--seed S]
//	onex-site room     --data DIR [--listen ADDR] [--room ROOM]
//	onex-site pair-code --data DIR --room ROOM [--terminals N] [--ttl D]
//	onex-site terminal --data DIR --pair CODE [--name NAME] [--seat SEAT]
//	onex-site sync     --data DIR
//	onex-site status   --data DIR [--json]
//	onex-site export   --data DIR --to FILE
//	onex-site verify   --data DIR [--id NUMBER] [--lang en] [--json] TEXT|-
//
// The site passphrase comes from the environment variable ONEX_PASSPHRASE or
// from the file named by --passphrase-file; never from an argument of its
// own. pair-code and terminal need none: pair-code asks the room server
// running on the data directory, over its control socket, and a terminal
// holds no site passphrase, nor does verify, which reads only the certificate trust lists
// the site downloaded. Results go to stdout, progress and logs to stderr. Exit status: 0
// done, 1 failed, 2 bad usage, 3 central unreachable with records pending; verify: 0 valid,
// 4 revoked, 5 suspended, 6 not trusted or not a certificate, 7 valid but the ID number
// given does not match, 1 no lists downloaded (or damaged).
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"onex/client/site"
	wire "onex/sync"
)

// Exit statuses.
const (
	ExitOK          = 0
	ExitFailed      = 1
	ExitUsage       = 2
	ExitUnreachable = 3
)

// PassphraseEnv is the environment variable holding the site passphrase.
const PassphraseEnv = "ONEX_PASSPHRASE"

const usage = `usage: onex-site [command] [flags]

With no command, onex-site opens the desktop app.

commands:
  enrol     --data DIR --server URL --code CODE [--fingerprint FP]   register this device with central
  download  --data DIR                            fetch or refresh the site's session packages
  unlock    --data DIR --session ID [--code CODE] release the paper online, or with the phoned-in code
  drill     --data DIR --session ID [--candidates N] [--seed S]   rehearse with simulated candidates
            [--terminals N]                       ... each on a simulated terminal over the room's network
  room      --data DIR [--listen ADDR] [--room ROOM]   serve the room's terminals (the app starts it too)
  pair-code --data DIR --room ROOM [--terminals N]   a one-time pairing code from the running room server
  terminal  --data DIR --pair CODE [--seat SEAT]  pair this computer with a station, as an exam terminal
  sync      --data DIR                            push the outbox until empty or central is unreachable
  status    --data DIR [--json]                   sessions, check-ins, submissions, outbox, central
  export    --data DIR --to FILE                  pending records to a file for carrying to central
  verify    --data DIR [--id NUMBER] TEXT|-       check a certificate's QR text offline (no passphrase);
            [--lang en] [--json]                  exit 0 valid, 4 revoked, 5 suspended, 6 not trusted
                                                  or not a certificate, 7 ID number does not match,
                                                  1 no certificate lists downloaded yet

The site passphrase comes from ONEX_PASSPHRASE or --passphrase-file FILE.
Run "onex-site COMMAND --help" for a command's flags.
`

// Env is what a command runs with: its output streams and environment.
type Env struct {
	Stdout, Stderr io.Writer
	Stdin          io.Reader // what verify - reads; nil is os.Stdin
	Getenv         func(string) string
	// Now, if set, is the site's clock (tests); nil is time.Now.
	Now func() time.Time
}

// Main runs one command line (without the program name) and returns the
// exit status.
func Main(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(env.Stdout, usage)
		return ExitOK
	}
	cmds := map[string]func(context.Context, *command) error{
		"enrol": cmdEnrol, "download": cmdDownload, "unlock": cmdUnlock, "drill": cmdDrill,
		"sync": cmdSync, "status": cmdStatus, "export": cmdExport,
		"room": cmdRoom, "pair-code": cmdPairCode, "terminal": cmdTerminal,
		"verify": cmdVerify,
	}
	run, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "onex-site: unknown command %q\n\n%s", args[0], usage)
		return ExitUsage
	}
	c := &command{name: args[0], env: env, fs: flag.NewFlagSet("onex-site "+args[0], flag.ContinueOnError)}
	c.fs.SetOutput(env.Stderr)
	c.fs.StringVar(&c.data, "data", "", "the site's data directory (required)")
	c.fs.StringVar(&c.passFile, "passphrase-file", "", "a file holding the site passphrase (else $"+PassphraseEnv+")")
	c.fs.BoolVar(&c.verbose, "verbose", false, "log more on stderr")
	c.args = args[1:]
	err := run(ctx, c)
	var ue usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, &ue):
		fmt.Fprintf(env.Stderr, "onex-site %s: %v\n", c.name, err)
		return ExitUsage
	case c.status != 0:
		fmt.Fprintf(env.Stderr, "onex-site %s: %v\n", c.name, err)
		return c.status
	}
	fmt.Fprintf(env.Stderr, "onex-site %s: %v\n", c.name, err)
	return ExitFailed
}

// usageError is a command line that cannot run.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// command is one command being run.
type command struct {
	name     string
	env      Env
	fs       *flag.FlagSet
	args     []string
	data     string
	passFile string
	verbose  bool
	status   int // exit status for an error other than 1
}

// parse parses the flags; required names flags that must be set.
func (c *command) parse(required ...string) error {
	if err := c.fs.Parse(c.args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if c.fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q (a passphrase is never an argument: use $%s or --passphrase-file)", c.fs.Arg(0), PassphraseEnv)}
	}
	set := map[string]bool{}
	c.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, name := range append([]string{"data"}, required...) {
		if !set[name] || strings.TrimSpace(c.fs.Lookup(name).Value.String()) == "" {
			return usageError{fmt.Sprintf("--%s is required", name)}
		}
	}
	return nil
}

// passphrase reads the site passphrase from --passphrase-file or the environment.
func (c *command) passphrase() (string, error) {
	if c.passFile != "" {
		b, err := os.ReadFile(c.passFile)
		if err != nil {
			return "", fmt.Errorf("passphrase file: %w", err)
		}
		p := strings.TrimRight(string(b), "\r\n")
		if p == "" {
			return "", fmt.Errorf("passphrase file %s is empty", c.passFile)
		}
		return p, nil
	}
	if p := c.env.Getenv(PassphraseEnv); p != "" {
		return p, nil
	}
	return "", usageError{fmt.Sprintf("no site passphrase: set $%s or give --passphrase-file FILE", PassphraseEnv)}
}

func (c *command) logger() *slog.Logger {
	level := slog.LevelWarn
	if c.verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(c.env.Stderr, &slog.HandlerOptions{Level: level}))
}

func (c *command) config() (site.Config, error) {
	p, err := c.passphrase()
	if err != nil {
		return site.Config{}, err
	}
	return site.Config{Dir: c.data, Passphrase: p, Log: c.logger(), Now: c.env.Now}, nil
}

// parseAndOpen parses the flags (required as for parse) and opens the site
// store; the caller closes it.
func (c *command) parseAndOpen(ctx context.Context, required ...string) (*site.Site, error) {
	if err := c.parse(required...); err != nil {
		return nil, err
	}
	cfg, err := c.config()
	if err != nil {
		return nil, err
	}
	return site.Open(ctx, cfg)
}

func (c *command) printJSON(v any) error {
	enc := json.NewEncoder(c.env.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func cmdEnrol(ctx context.Context, c *command) error {
	server := c.fs.String("server", "", "central's address, such as https://onex.example.cn (required)")
	code := c.fs.String("code", "", "the one-time enrolment code from central's office (required)")
	name := c.fs.String("name", "", "this device's name as central shows it (default: the host name)")
	fp := c.fs.String("fingerprint", "", "central's key fingerprint (onex-central init prints it, the office's sites page shows it) or its TLS certificate's SHA-256: "+
		"the site refuses any other central, and pins a self-signed certificate; needed for one")
	if err := c.parse("server", "code"); err != nil {
		return err
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	s, err := site.Enrol(ctx, cfg, site.EnrolOptions{ServerURL: *server, Code: *code, DeviceName: *name, Fingerprint: *fp})
	if err != nil {
		return c.unreachable(err)
	}
	defer s.Close()
	id, err := s.Identity(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.env.Stdout, "enrolled device %s at site %s (%s)\ncentral key %s (compare with central's office)\ndevice key  %s\nlink        %s\n",
		id.DeviceID, id.SiteCode, id.SiteName, id.CentralKey, id.DeviceKey, id.Link)
	if !id.Link.Encrypted {
		fmt.Fprintln(c.env.Stderr, "warning: the link to central is not encrypted (http://): rosters, release keys and the office's passwords can be read on the network")
	}
	return nil
}

func cmdDownload(ctx context.Context, c *command) error {
	s, err := c.parseAndOpen(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	res, err := s.Download(ctx, func(p site.Progress) {
		fmt.Fprintf(c.env.Stderr, "checked %d/%d: session %s (%d bytes)\n", p.Done, p.Total, p.SessionID, p.Bytes)
	})
	if err != nil {
		return c.unreachable(err)
	}
	for _, id := range res.Kept {
		fmt.Fprintf(c.env.Stderr, "session %s has started: its new package was not applied\n", id)
	}
	fmt.Fprintf(c.env.Stdout, "%d session packages stored, cursor %d\n", len(res.Updated), res.Cursor)
	if cr := res.Certificates; cr != nil {
		if cr.Problem != "" {
			fmt.Fprintf(c.env.Stderr, "certificate lists not taken: %s\n", cr.Problem)
		}
		if !cr.StatusAsOf.IsZero() {
			fmt.Fprintf(c.env.Stdout, "certificate status list as of %s (Beijing time)\n", cr.StatusAsOf.In(site.Beijing).Format(time.DateTime))
		}
	}
	return nil
}

// unreachable marks an error of central being away with its own exit status.
func (c *command) unreachable(err error) error {
	if errors.Is(err, wire.ErrUnreachable) {
		c.status = ExitUnreachable
	}
	return err
}

func cmdUnlock(ctx context.Context, c *command) error {
	session := c.fs.String("session", "", "the session id (required)")
	code := c.fs.String("code", "", "the unlock code read out by central's office; without it, ask central online")
	s, err := c.parseAndOpen(ctx, "session")
	if err != nil {
		return err
	}
	defer s.Close()
	if *code != "" {
		err = s.UnlockWithCode(ctx, *session, *code)
	} else {
		err = s.Release(ctx, *session)
	}
	if err != nil {
		return c.unreachable(err)
	}
	fmt.Fprintf(c.env.Stdout, "session %s unlocked\n", *session)
	return nil
}

func cmdDrill(ctx context.Context, c *command) error {
	session := c.fs.String("session", "", "the session id (required)")
	n := c.fs.Int("candidates", 0, "how many candidates of the roster, in ticket order (0: all)")
	terms := c.fs.Int("terminals", 0, "sit the first N candidates on N simulated terminals over the room's network (loopback TLS)")
	seed := c.fs.Uint64("seed", 0, "seed of the random answers (0: from the clock)")
	s, err := c.parseAndOpen(ctx, "session")
	if err != nil {
		return err
	}
	if *seed == 0 {
		*seed = uint64(time.Now().UnixNano())
	}
	defer s.Close()
	opt := site.DrillOptions{SessionID: *session, Candidates: *n, Seed: *seed, Progress: func(done, total int) {
		fmt.Fprintf(c.env.Stderr, "drill: %d/%d submitted\n", done, total)
	}}
	if *terms > 0 {
		return drillTerminals(ctx, c, s, opt, *terms)
	}
	rep, err := s.Drill(ctx, opt)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.env.Stderr, "drill: %d candidates, %d saves in %s (%.0f saves/s), seed %d\n",
		rep.Candidates, rep.Saves, rep.Elapsed.Round(time.Millisecond), rep.SavesPerSecond, rep.Seed)
	return c.printJSON(rep)
}

func cmdSync(ctx context.Context, c *command) error {
	s, err := c.parseAndOpen(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	stats, pushErr := s.Sync(ctx)
	st, err := s.Status(ctx, false)
	if err != nil {
		return errors.Join(pushErr, err)
	}
	fmt.Fprintf(c.env.Stdout, "delivered %d (%d accepted, %d duplicate), refused %d; outbox: %d pending, %d acked, %d rejected, %d conflict, %d damaged\n",
		stats.Delivered(), stats.Accepted, stats.Duplicate, stats.Conflict+stats.Rejected,
		st.Outbox.Pending, st.Outbox.Acked, st.Outbox.Rejected, st.Outbox.Conflict, st.Outbox.Damaged)
	for _, r := range st.Refused {
		fmt.Fprintf(c.env.Stderr, "kept for review: %s record %s (seq %d): %s: %s\n", r.Kind, r.RecordID, r.Seq, r.State, r.Reason)
	}
	if pushErr != nil {
		return c.unreachable(pushErr)
	}
	if st.Outbox.Damaged > 0 {
		return fmt.Errorf("%d records in the outbox are damaged and were not sent (see status)", st.Outbox.Damaged)
	}
	return nil
}

func cmdStatus(ctx context.Context, c *command) error {
	asJSON := c.fs.Bool("json", false, "print JSON")
	probe := c.fs.Bool("probe", true, "ask whether central answers")
	s, err := c.parseAndOpen(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	st, err := s.Status(ctx, *probe)
	if err != nil {
		return err
	}
	if *asJSON {
		return c.printJSON(st)
	}
	w := c.env.Stdout
	if st.Device != nil {
		fmt.Fprintf(w, "device %s (%s) at site %s, central %s\nlink: %s\n", st.Device.DeviceID, st.Device.DeviceName, st.Device.SiteCode, st.Device.Server, st.Device.Link)
	} else {
		fmt.Fprintln(w, "not enrolled")
	}
	for _, si := range st.Sessions {
		state := "sealed"
		switch {
		case !si.Ended.IsZero():
			state = "ended"
		case !si.Started.IsZero():
			state = "running"
		case si.Released:
			state = "released"
		}
		fmt.Fprintf(w, "session %s %s: %s; %d on roster, %d present, %d late, %d absent, %d submitted\n",
			si.ID, si.Title, state, si.Candidates, si.Present, si.Late, si.Absent, si.Submitted)
		if si.Error != "" {
			fmt.Fprintf(w, "  problem: %s\n", si.Error)
		}
	}
	fmt.Fprintf(w, "outbox: %d pending, %d acked, %d rejected, %d conflict, %d damaged\n",
		st.Outbox.Pending, st.Outbox.Acked, st.Outbox.Rejected, st.Outbox.Conflict, st.Outbox.Damaged)
	if st.LastReceipt != nil {
		fmt.Fprintf(w, "last receipt: %s record %s, central seq %d at %s\n", st.LastReceipt.Kind, st.LastReceipt.RecordID,
			st.LastReceipt.ServerSeq, st.LastReceipt.ServerTime.Local().Format(time.DateTime))
	}
	if *probe {
		fmt.Fprintf(w, "central reachable: %v %s\n", st.ServerReachable, st.ServerProblem)
	}
	return nil
}

func cmdExport(ctx context.Context, c *command) error {
	to := c.fs.String("to", "", "the file to write (required)")
	s, err := c.parseAndOpen(ctx, "to")
	if err != nil {
		return err
	}
	defer s.Close()
	// Write beside the target and rename, so a full stick never leaves half a file.
	tmp, err := os.CreateTemp(filepath.Dir(*to), ".onex-export-*")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer os.Remove(tmp.Name())
	n, err := s.Export(ctx, tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), *to)
	}
	if err != nil {
		return fmt.Errorf("export to %s: %w", *to, err)
	}
	fmt.Fprintf(c.env.Stdout, "%d pending records written to %s; they stay pending until central's receipts come back at the next sync\n", n, *to)
	return nil
}
