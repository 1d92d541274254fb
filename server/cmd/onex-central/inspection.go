package main

// Random inspections (issue 17): inspection registers, commit, draw,
// verify (offline), findings, close, list, export.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"onex/exam/inspect"
	"onex/server"
)

const inspectionUsage = `usage: onex-central inspection <subcommand> [flags]

  registers --data DIR --sites FILE --inspectors FILE
        import the registers (CSV, UTF-8 or GB18030) the next commitment is made on (audited)
  commit    --data DIR --share PERCENT --min-sites N --per-site K --values "6: 双色球第2026140期红球; 1: 双色球第2026140期蓝球"
        publish a commitment: the registers' hash, the plan, which future public values seed the draw (audited)
  draw      --data DIR --id ID --values "07 12 19 23 28 33 / 09"
        type in the public values (one per source, separated by /) and draw, once (audited)
  verify    TRANSCRIPT (--sites FILE --inspectors FILE | --registers FILE)
        re-do a published draw offline; exit status 0 only if the transcript is confirmed byte for byte
  findings  --data DIR --id ID --site CODE --pass all|ITEM,... [--issue ITEM=NOTE ...] [--deadline DATE]
        record a drawn site's findings, once (audited); items: premises, confidentiality, fees, certificates
  close     --data DIR --id ID --site CODE --note TEXT
        close a site's rectification (audited)
  list      --data DIR
        list the inspections and each drawn site's status
  export    --data DIR --id ID --out DIR
        write what is published of an inspection: commitment.json, registers.json, sites.csv,
        inspectors.csv and, once drawn, transcript.json
`

func cmdInspection(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(stdout, inspectionUsage)
		return errors.New("inspection: which subcommand? registers, commit, draw, verify, findings, close, list or export")
	}
	run, ok := inspectionCommands[args[0]]
	if !ok {
		return fmt.Errorf("inspection: unknown subcommand %q (registers, commit, draw, verify, findings, close, list, export)", args[0])
	}
	return run(ctx, args[1:], stdout, log)
}

// inspectionCommands are inspection's subcommands by name.
var inspectionCommands = map[string]func(context.Context, []string, io.Writer, *slog.Logger) error{
	"registers": cmdInspectionRegisters,
	"commit":    cmdInspectionCommit,
	"draw":      cmdInspectionDraw,
	"verify": func(_ context.Context, args []string, stdout io.Writer, _ *slog.Logger) error {
		return cmdInspectionVerify(args, stdout)
	},
	"findings": cmdInspectionFindings,
	"close":    cmdInspectionClose,
	"list":     cmdInspectionList,
	"export":   cmdInspectionExport,
}

func readRegisterFile(flagName, path string) (server.RegisterFile, error) {
	st, err := os.Stat(path)
	if err != nil {
		return server.RegisterFile{}, fmt.Errorf("--%s: %w", flagName, err)
	}
	if st.Size() > inspect.MaxFileSize {
		return server.RegisterFile{}, fmt.Errorf("--%s: %s is larger than %d MiB", flagName, path, inspect.MaxFileSize>>20)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return server.RegisterFile{}, fmt.Errorf("--%s: %w", flagName, err)
	}
	return server.RegisterFile{Name: filepath.Base(path), Data: b}, nil
}

func cmdInspectionRegisters(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	f := newFlags("inspection registers", "inspection registers --data DIR --sites FILE --inspectors FILE")
	sites := f.String("sites", "", "the sites register (CSV: code/考点代码, name/考点名称, orgs/所属机构)")
	inspectors := f.String("inspectors", "", "the inspectors register (CSV: id/编号, name/姓名, orgs/所属机构, sites/关联考点)")
	if err := f.parse(args, 0, "sites", "inspectors"); err != nil {
		return err
	}
	s, err := readRegisterFile("sites", *sites)
	if err != nil {
		return err
	}
	i, err := readRegisterFile("inspectors", *inspectors)
	if err != nil {
		return err
	}
	return f.with(ctx, server.Config{Log: log}, func(c *server.Central) error {
		snap, err := c.ImportRegisters(ctx, s, i, actor)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "registers %d: %d sites, %d inspectors, sha256 %s\n", snap.ID, snap.Sites, snap.Inspectors, snap.SHA256)
		return nil
	})
}

func cmdInspectionCommit(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	f := newFlags("inspection commit", `inspection commit --data DIR --share PERCENT --min-sites N --per-site K --values "N: name; ..."`)
	share := f.Int("share", 0, "share of the register's sites drawn, in percent (1 to 100), rounded up")
	minSites := f.Int("min-sites", 1, "sites drawn at least, however small the share")
	perSite := f.Int("per-site", 2, "inspectors per drawn site (at least 2)")
	values := f.String("values", "", `the future public values that will seed the draw, "N: name" (N numbers, order not mattering) or "text: name", separated by ;`)
	if err := f.parse(args, 0, "values"); err != nil {
		return err
	}
	plan := inspect.Plan{SharePercent: *share, MinSites: *minSites, InspectorsPerSite: *perSite}
	return f.with(ctx, server.Config{Log: log}, func(c *server.Central) error {
		in, err := c.CommitInspection(ctx, plan, *values, actor)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "inspection %d committed: sha256 %s\n%s\n", in.ID, in.CommitmentSHA256, in.CommitmentJSON)
		return nil
	})
}

// splitValues splits the public values as typed on the command line: one
// per source, separated by "/" (which no value holds).
func splitValues(s string) []string {
	parts := strings.Split(s, "/")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

func cmdInspectionDraw(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	f := newFlags("inspection draw", `inspection draw --data DIR --id ID --values "07 12 19 23 28 33 / 09"`)
	id := f.Int64("id", 0, "the inspection (its commitment)")
	values := f.String("values", "", "the public values as published, one per source in the commitment's order, separated by /")
	if err := f.parse(args, 0, "id", "values"); err != nil {
		return err
	}
	return f.with(ctx, server.Config{Log: log}, func(c *server.Central) error {
		in, err := c.DrawInspection(ctx, *id, splitValues(*values), actor)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "inspection %d drawn: key %s\n", in.ID, in.Transcript.Key)
		for _, a := range in.Transcript.Draw {
			fmt.Fprintln(stdout, a.String())
		}
		return nil
	})
}

// cmdInspectionVerify re-does a published draw offline: no data directory,
// no database; the transcript and the registers are files.
func cmdInspectionVerify(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("inspection verify", flag.ContinueOnError)
	sites := fs.String("sites", "", "the sites register as published (CSV)")
	inspectors := fs.String("inspectors", "", "the inspectors register as published (CSV)")
	registers := fs.String("registers", "", "the registers as published (canonical JSON), instead of --sites and --inspectors")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: onex-central inspection verify TRANSCRIPT (--sites FILE --inspectors FILE | --registers FILE)\n\n")
		fs.PrintDefaults()
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if args = fs.Args(); len(args) == 0 {
			break
		}
		pos, args = append(pos, args[0]), args[1:]
	}
	if len(pos) != 1 {
		return errors.New("inspection verify: give one TRANSCRIPT file")
	}
	var regs inspect.Registers
	switch {
	case *registers != "" && *sites == "" && *inspectors == "":
		b, err := os.ReadFile(*registers)
		if err != nil {
			return err
		}
		if regs, err = inspect.ParseRegistersJSON(b); err != nil {
			return fmt.Errorf("%s: %w", *registers, err)
		}
	case *registers == "" && *sites != "" && *inspectors != "":
		s, err := readRegisterFile("sites", *sites)
		if err != nil {
			return err
		}
		i, err := readRegisterFile("inspectors", *inspectors)
		if err != nil {
			return err
		}
		if regs, err = inspect.ParseRegisters(s.Name, s.Data, i.Name, i.Data); err != nil {
			return err
		}
	default:
		return errors.New("inspection verify: give --sites and --inspectors, or --registers")
	}
	b, err := os.ReadFile(pos[0])
	if err != nil {
		return err
	}
	t, err := inspect.Verify(b, regs)
	if err != nil {
		return fmt.Errorf("%s: NOT VERIFIED: %w", pos[0], err)
	}
	fmt.Fprintf(stdout, "verified: commitment sha256 %s, committed at %s, key %s\n", t.CommitmentSHA256, t.Commitment.CommittedAt, t.Key)
	for _, a := range t.Draw {
		fmt.Fprintln(stdout, a.String())
	}
	return nil
}

// listFlag is a flag that may be given more than once.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ", ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// parseDeadline reads a rectification deadline: RFC 3339, or a date
// YYYY-MM-DD meaning the end of that day in China (23:59:59 +08:00).
func parseDeadline(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--deadline %q is not YYYY-MM-DD or RFC 3339", s)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 0, time.FixedZone("CST", 8*3600)), nil
}

func cmdInspectionFindings(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	f := newFlags("inspection findings", "inspection findings --data DIR --id ID --site CODE --pass all|ITEM,... [--issue ITEM=NOTE ...] [--deadline DATE]")
	id := f.Int64("id", 0, "the inspection")
	site := f.String("site", "", "the drawn site's code")
	pass := f.String("pass", "", `the checklist items passed, comma-separated, or "all" (the items not given an --issue)`)
	var issues listFlag
	f.Var(&issues, "issue", "an item with an issue found and what: ITEM=NOTE (repeat for each)")
	deadline := f.String("deadline", "", "when an issue is found: rectify by, YYYY-MM-DD (end of that day, China time) or RFC 3339")
	if err := f.parse(args, 0, "id", "site"); err != nil {
		return err
	}
	var findings []server.Finding
	issued := map[string]bool{}
	for _, is := range issues {
		item, note, ok := strings.Cut(is, "=")
		if !ok {
			return fmt.Errorf("--issue %q is not ITEM=NOTE", is)
		}
		item = strings.TrimSpace(item)
		issued[item] = true
		findings = append(findings, server.Finding{Item: item, Issue: true, Note: note})
	}
	switch strings.TrimSpace(*pass) {
	case "all":
		for _, it := range inspect.Checklist {
			if !issued[it.Code] {
				findings = append(findings, server.Finding{Item: it.Code})
			}
		}
	case "":
	default:
		for _, item := range strings.Split(*pass, ",") {
			findings = append(findings, server.Finding{Item: strings.TrimSpace(item)})
		}
	}
	due, err := parseDeadline(*deadline)
	if err != nil {
		return err
	}
	return f.print(ctx, log, stdout, func(c *server.Central) (string, error) {
		s, err := c.RecordFindings(ctx, *id, *site, findings, due, actor)
		return siteLine(s), err
	})
}

func cmdInspectionClose(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	f := newFlags("inspection close", "inspection close --data DIR --id ID --site CODE --note TEXT")
	id := f.Int64("id", 0, "the inspection")
	site := f.String("site", "", "the drawn site's code")
	note := f.String("note", "", "how the rectification was checked")
	if err := f.parse(args, 0, "id", "site", "note"); err != nil {
		return err
	}
	return f.print(ctx, log, stdout, func(c *server.Central) (string, error) {
		s, err := c.CloseRectification(ctx, *id, *site, *note, actor)
		return siteLine(s), err
	})
}

// siteLine is a drawn site as one line: code, status, deadline, inspectors.
func siteLine(s server.InspectedSite) string {
	line := fmt.Sprintf("  %s\t%s", s.SiteCode, s.Status)
	if !s.RectifyBy.IsZero() {
		line += "\trectify by " + s.RectifyBy.UTC().Format(time.RFC3339)
	}
	var issues []string
	for _, f := range s.Findings {
		if f.Issue {
			issues = append(issues, f.Item)
		}
	}
	if len(issues) > 0 {
		line += "\tissues: " + strings.Join(issues, ",")
	}
	return line + "\tinspectors: " + strings.Join(s.Inspectors, " ")
}

func cmdInspectionList(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	f := newFlags("inspection list", "inspection list --data DIR")
	if err := f.parse(args, 0); err != nil {
		return err
	}
	return f.with(ctx, server.Config{Log: log}, func(c *server.Central) error {
		list, err := c.Inspections(ctx)
		if err != nil {
			return err
		}
		for _, l := range list {
			in, err := c.Inspection(ctx, l.ID)
			if err != nil {
				return err
			}
			p := in.Commitment.Plan
			state := "committed, not drawn"
			if in.Drawn {
				state = "drawn " + in.TypedAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(stdout, "inspection %d\tpublished %s\t%d%% (at least %d), %d inspectors each\t%s\tsha256 %s\n",
				in.ID, in.PublishedAt.UTC().Format(time.RFC3339), p.SharePercent, p.MinSites, p.InspectorsPerSite, state, in.CommitmentSHA256)
			for _, s := range in.Sites {
				fmt.Fprintln(stdout, siteLine(s))
			}
		}
		return nil
	})
}

func cmdInspectionExport(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	f := newFlags("inspection export", "inspection export --data DIR --id ID --out DIR")
	id := f.Int64("id", 0, "the inspection")
	out := f.String("out", "", "the directory to write into (created if missing)")
	if err := f.parse(args, 0, "id", "out"); err != nil {
		return err
	}
	return f.with(ctx, server.Config{Log: log}, func(c *server.Central) error {
		in, err := c.Inspection(ctx, *id)
		if err != nil {
			return err
		}
		regs, err := c.InspectionRegistersOf(ctx, *id)
		if err != nil {
			return err
		}
		files := map[string][]byte{"commitment.json": in.CommitmentJSON, "registers.json": regs.Canonical, "sites.csv": regs.SitesCSV, "inspectors.csv": regs.InspectorsCSV}
		if in.Drawn {
			files["transcript.json"] = in.TranscriptJSON
		}
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return err
		}
		for _, name := range []string{"commitment.json", "registers.json", "sites.csv", "inspectors.csv", "transcript.json"} {
			b, ok := files[name]
			if !ok {
				continue
			}
			if err := os.WriteFile(filepath.Join(*out, name), b, 0o644); err != nil {
				return err
			}
			fmt.Fprintln(stdout, filepath.Join(*out, name))
		}
		return nil
	})
}
