package main

// Fee exemption (issue 17): exemption, fees.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"onex/server"
)

// cmdExemption changes a candidate's fee exemption, with a reason (audited).
func cmdExemption(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	f := newFlags("exemption", "exemption --data DIR --session ID --ticket T --kind KIND|--none --reason TEXT")
	session := f.String("session", "", "session id")
	ticket := f.String("ticket", "", "the candidate's ticket number (准考证号)")
	kindFlag := f.String("kind", "", "the kind of exemption: 建档立卡 (registered-poor), 低保 (subsistence), 特困供养 (destitute), 残疾 (disability) or 其他 (other)")
	none := f.Bool("none", false, "no exemption: the candidate pays")
	reason := f.String("reason", "", "why (kept in the audit log)")
	if err := f.parse(args, 0, "session", "ticket", "reason"); err != nil {
		return err
	}
	to := *kindFlag
	switch {
	case *none && to != "":
		return errors.New("exemption: give --kind or --none, not both")
	case *none:
		to = server.NoExemption
	case to == "" || to == server.NoExemption:
		return errors.New("exemption: --kind or --none is required")
	}
	return f.with(ctx, server.Config{Log: log}, func(c *server.Central) error {
		kind, err := c.SetFeeExemption(ctx, *session, *ticket, to, *reason, actor)
		if err != nil {
			return err
		}
		what := "no exemption (pays)"
		if kind != "" {
			what = "exempt: " + kind.Chinese()
		}
		fmt.Fprintf(stdout, "session %s ticket %s: %s\n", *session, *ticket, what)
		return nil
	})
}

// cmdFees prints a fee statement (or, with --candidates, the per-candidate
// list) as CSV for Excel.
func cmdFees(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	f := newFlags("fees", "fees --data DIR --session ID | --org CODE | --site CODE [--from DATE] [--to DATE] [--candidates] --format csv")
	var flt server.FeeFilter
	f.StringVar(&flt.SessionID, "session", "", "one session")
	f.StringVar(&flt.Org, "org", "", "the sessions of an organisation's certificates")
	f.StringVar(&flt.Site, "site", "", "the sessions of a site (with --org: of both)")
	from := f.String("from", "", "sessions starting on or after this day, YYYY-MM-DD (Beijing time)")
	to := f.String("to", "", "sessions starting on or before this day, YYYY-MM-DD (Beijing time)")
	candidates := f.Bool("candidates", false, "list the candidates (tickets, names, exemptions) instead of the counts")
	format := f.String("format", "csv", "csv (UTF-8 with BOM, for Excel)")
	if err := f.parse(args, 0); err != nil {
		return err
	}
	switch {
	case *format != "csv":
		return fmt.Errorf("fees: --format %q is not csv", *format)
	case flt.SessionID == "" && flt.Org == "" && flt.Site == "":
		return errors.New("fees: --session, --org or --site is required")
	case flt.SessionID != "" && (flt.Org != "" || flt.Site != "" || *from != "" || *to != ""):
		return errors.New("fees: --session takes no --org, --site, --from or --to")
	}
	var err error
	if flt.From, err = day("from", *from, 0); err != nil {
		return err
	}
	if flt.To, err = day("to", *to, 1); err != nil {
		return err
	}
	return f.with(ctx, server.Config{Log: log}, func(c *server.Central) error {
		if *candidates {
			list, err := c.FeeCandidates(ctx, flt)
			if err != nil {
				return err
			}
			return server.WriteFeeCandidatesCSV(stdout, list)
		}
		st, err := c.FeeStatement(ctx, flt)
		if err != nil {
			return err
		}
		return server.WriteFeeStatementCSV(stdout, st)
	})
}

// day reads a day of Beijing time, plus days more; "" is the zero time.
func day(flag, s string, plus int) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, s, server.CST)
	if err != nil {
		return time.Time{}, fmt.Errorf("fees: --%s %q is not a day YYYY-MM-DD", flag, s)
	}
	return d.AddDate(0, 0, plus), nil
}
