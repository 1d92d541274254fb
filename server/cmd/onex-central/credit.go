package main

// The credit bank (issue 17): import rules, import courses, account,
// credit apply|decide|applications|preview.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"

	"onex/exam/credit"
	"onex/server"
)

// importCredit imports a rule file (what "rules") or a school's course
// CSV (what "courses").
func importCredit(ctx context.Context, c *server.Central, what string, file io.Reader, name, school, encoding string, stdout io.Writer) error {
	if what == "rules" {
		rs, err := c.ImportCreditRules(ctx, name, file, actor)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "imported rule set version %d (%s): %d rules\n", rs.Rules.Version, rs.Rules.Name, len(rs.Rules.Rules))
		return nil
	}
	imp, err := c.ImportCourses(ctx, school, name, file, encoding, actor)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %d courses of %d learners for school %s (import %d)\n", imp.Courses, imp.Learners, imp.School, imp.ID)
	return nil
}

// learnerFlags adds --id-number and --account: a command names a learner
// by either.
func learnerFlags(f *flags) (idNumber, account *string) {
	return f.String("id-number", "", "the learner's ID number"), f.String("account", "", "the learner's account id (instead of --id-number)")
}

// accountOf is the account of a learner named by --id-number or --account.
func accountOf(ctx context.Context, c *server.Central, idNumber, account string) (server.LearnerAccount, error) {
	switch {
	case (idNumber == "") == (account == ""):
		return server.LearnerAccount{}, errors.New("give --id-number or --account, one of them")
	case idNumber != "":
		account = c.AccountID(idNumber)
	}
	return c.LearnerAccountByID(ctx, account)
}

// cmdAccount prints a learner's account: outcomes, conversions, credits.
func cmdAccount(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	f := newFlags("account", "account --data DIR --id-number N|--account ID [--format text|json]")
	idNumber, account := learnerFlags(f)
	format := f.String("format", "text", "text or json")
	if err := f.parse(args, 0); err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return fmt.Errorf("account: --format %q is not text or json", *format)
	}
	return f.with(ctx, server.Config{Log: log}, func(c *server.Central) error {
		acc, err := accountOf(ctx, c, *idNumber, *account)
		if err != nil {
			return err
		}
		if *format == "json" {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(acc)
		}
		printAccount(stdout, acc)
		return nil
	})
}

// printAccount writes an account as text: what it holds, what converts.
func printAccount(w io.Writer, acc server.LearnerAccount) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	defer tw.Flush()
	fmt.Fprintf(tw, "account\t%s\nname\t%s\nrule set\t%d (as of %s)\n", acc.ID, acc.Name, acc.RuleSet, acc.AsOf)
	fmt.Fprintf(tw, "\ncertificates\t%d\n", len(acc.Certificates))
	for _, ce := range acc.Certificates {
		fmt.Fprintf(tw, "  %s\t%s %s\tscore %s\tissued %s\t%s\n", ce.Number, ce.CertCode, ce.Level.Chinese(), ce.Score, credit.DateOf(ce.Issued.In(server.CST)), ce.Status)
	}
	fmt.Fprintf(tw, "\ncourses\t%d\n", len(acc.Courses))
	for _, co := range acc.Courses {
		fmt.Fprintf(tw, "  %s/%s\t%s\t%s credits\tscore %s\tpassed %s\n", co.School, co.Course, co.CourseName, co.Credits, co.Score, co.Date)
	}
	fmt.Fprintf(tw, "\nconversions\t%d\n", len(acc.Preview.Conversions))
	for _, cv := range acc.Preview.Conversions {
		state := "offered"
		if cv.Granted {
			state = "granted"
		}
		fmt.Fprintf(tw, "  %s\t-> %s/%s %s\t%s credits\trule %s (set %d)\t%s\n", cv.Outcome, cv.School, cv.Course, cv.CourseName, cv.Credits, cv.Rule, cv.RuleSet, state)
	}
	for _, n := range acc.Preview.Unconverted {
		fmt.Fprintf(tw, "  %s\tconverts to nothing: %s\t\t\t\n", n.Outcome, n.Reason)
	}
	fmt.Fprintf(tw, "\napplications\t%d\n", len(acc.Applications))
	for _, a := range acc.Applications {
		last := a.Events[len(a.Events)-1]
		fmt.Fprintf(tw, "  %s\t%s\t%s/%s %s credits\tby %s %s\t%s\n", a.ID, a.State, a.Conversion.School, a.Conversion.Course, a.Conversion.Credits,
			last.By, last.At.In(server.CST).Format("2006-01-02 15:04"), last.Why)
	}
	fmt.Fprintf(tw, "\ncredits\t%s (courses %s, granted %s); offered now %s\n", acc.Credits(), acc.CourseCredits, acc.Preview.GrantedCredits, acc.Preview.NewCredits)
}

// creditCommands are credit's subcommands.
var creditCommands = map[string]func(context.Context, []string, io.Writer, *slog.Logger) error{
	"apply": cmdCreditApply, "decide": cmdCreditDecide, "applications": cmdCreditApplications, "preview": cmdCreditPreview,
}

// cmdCredit runs credit apply|decide|applications|preview.
func cmdCredit(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	if len(args) == 0 {
		return errors.New(`credit: the subcommand is "apply", "decide", "applications" or "preview"`)
	}
	cmd, ok := creditCommands[args[0]]
	if !ok {
		return fmt.Errorf(`credit: %q is not "apply", "decide", "applications" or "preview"`, args[0])
	}
	return cmd(ctx, args[1:], stdout, log)
}

// cmdCreditApply applies for the conversion the learner's account offers
// now at a school for a course.
func cmdCreditApply(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	f := newFlags("credit apply", "credit apply --data DIR --id-number N|--account ID --school CODE --course CODE")
	idNumber, account := learnerFlags(f)
	school := f.String("school", "", "the school's code")
	course := f.String("course", "", "the course's code")
	if err := f.parse(args, 0, "school", "course"); err != nil {
		return err
	}
	return f.with(ctx, server.Config{Log: log}, func(c *server.Central) error {
		acc, err := accountOf(ctx, c, *idNumber, *account)
		if err != nil {
			return err
		}
		for _, cv := range acc.Preview.Conversions {
			if !cv.Granted && cv.School == *school && cv.Course == *course {
				a, err := c.ApplyCredit(ctx, acc.ID, cv, actor)
				if err != nil {
					return err
				}
				fmt.Fprintf(stdout, "application %s: %s -> %s/%s, %s credits: %s\n", a.ID, cv.Outcome, cv.School, cv.Course, cv.Credits, a.State)
				return nil
			}
		}
		return fmt.Errorf("credit apply: the account is offered no conversion to course %s of school %s: %w", *course, *school, server.ErrInput)
	})
}

// cmdCreditDecide approves or refuses an application.
func cmdCreditDecide(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	f := newFlags("credit decide", "credit decide --data DIR --application ID --approve|--refuse [--reason TEXT]")
	id := f.String("application", "", "the application's id")
	approve := f.Bool("approve", false, "approve it")
	refuse := f.Bool("refuse", false, "refuse it (--reason required)")
	reason := f.String("reason", "", "why")
	if err := f.parse(args, 0, "application"); err != nil {
		return err
	}
	if *approve == *refuse {
		return errors.New("credit decide: give --approve or --refuse, one of them")
	}
	return f.with(ctx, server.Config{Log: log}, func(c *server.Central) error {
		a, err := c.DecideCredit(ctx, *id, *approve, *reason, actor)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "application %s: %s\n", a.ID, a.State)
		return nil
	})
}

// cmdCreditApplications lists applications as tab-separated lines.
func cmdCreditApplications(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	f := newFlags("credit applications", "credit applications --data DIR [--school CODE] [--state applied|approved|refused|withdrawn|revoked]")
	school := f.String("school", "", "only this school's")
	state := f.String("state", "", "only applications in this state")
	if err := f.parse(args, 0); err != nil {
		return err
	}
	return f.with(ctx, server.Config{Log: log}, func(c *server.Central) error {
		apps, err := c.CreditApplications(ctx, server.ApplicationFilter{School: *school, State: credit.State(*state)})
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		defer tw.Flush()
		for _, a := range apps {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s/%s\t%s credits\n", a.ID, a.State, a.Name, a.Conversion.Outcome, a.Conversion.School, a.Conversion.Course, a.Conversion.Credits)
		}
		return nil
	})
}

// cmdCreditPreview prints what would convert at a school.
func cmdCreditPreview(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	f := newFlags("credit preview", "credit preview --data DIR --school CODE")
	school := f.String("school", "", "the school's code")
	if err := f.parse(args, 0, "school"); err != nil {
		return err
	}
	return f.with(ctx, server.Config{Log: log}, func(c *server.Central) error {
		p, err := c.PreviewSchool(ctx, *school)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		defer tw.Flush()
		for _, co := range p.Courses {
			fmt.Fprintf(tw, "%s\t%s\tnew %d (%s credits)\tgranted %d (%s credits)\n", co.Course, co.CourseName, co.New, co.NewCredits, co.Granted, co.GrantedCredits)
		}
		fmt.Fprintf(tw, "school %s: %d learners with a new conversion, %s credits new, %s granted\n", p.School, p.Learners, p.NewCredits, p.GrantedCredits)
		return nil
	})
}
