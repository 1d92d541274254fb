package server

// The credit bank (学分银行, issue 17): a learner account per person, keyed
// by an id computed from the resident ID number under central's learner key
// (the number is never kept with the account); every issued certificate is
// deposited in its holder's account; schools' courses passed are imported
// from their CSV files; conversion rules are versioned files; conversions
// are computed by exam/credit; applications for them and their decisions
// are audited. docs/credit.md tells how to run it.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"onex/exam"
	"onex/exam/credential"
	"onex/exam/credit"
	"onex/server/store"
)

// CreditRuleSet is one version of the conversion rules as central keeps it.
type CreditRuleSet struct {
	Rules      *credit.RuleSet
	ImportedBy string
	ImportedAt time.Time
}

// CourseImport is what ImportCourses kept.
type CourseImport struct {
	ID       int64  // the import's number
	School   string // the school's code
	File     string
	Courses  int // rows kept
	Learners int // accounts they went to
}

// AccountCertificate is a certificate deposited in a learner account, with
// its status now: only a valid one converts.
type AccountCertificate struct {
	Number   string
	CertCode string
	CertName string
	Level    exam.Level
	OrgName  string
	SiteName string
	Score    credit.Score // the result's percentage (-1: not known, issued before the credit bank and not backfilled)
	Issued   time.Time
	Status   credential.Status
}

// LearnerAccount is a learner's account: outcomes, conversions, credits.
type LearnerAccount struct {
	ID           string // the account id (hex HMAC-SHA-256 of the ID number under the learner key)
	Name         string // as last seen
	Certificates []AccountCertificate
	Courses      []credit.Outcome // courses passed at schools (Kind course)
	RuleSet      int              // the rule set version the conversions were computed with; 0: none imported yet
	AsOf         credit.Date      // the day of the conversion (Beijing)
	// Preview: every conversion in force (granted: approved before; the
	// rest offered now), the certificates converting to nothing and why,
	// and the credits new and granted.
	Preview      credit.LearnerPreview
	Applications []CreditApplication // oldest first
	// CourseCredits is the sum of the courses passed' credits.
	CourseCredits credit.Credits
}

// Credits is what the account holds in credits: the courses passed and the
// conversions granted.
func (a LearnerAccount) Credits() credit.Credits { return a.CourseCredits + a.Preview.GrantedCredits }

// CreditApplication is an application for a conversion and its decision.
type CreditApplication struct {
	credit.Application
	Account   string // the learner account's id
	Name      string // the learner's name, as the account has it (CreditApplications and CreditApplication)
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ApplicationFilter chooses applications; empty fields choose all.
type ApplicationFilter struct {
	Account string       // a learner account's id
	School  string       // the conversion's school
	State   credit.State // applied, approved, …
}

// ErrCreditLookup is a learner page lookup without the certificate number,
// the name and the ID number.
var ErrCreditLookup = errors.New("give the certificate number, the holder's name and the ID number")

// creditThrottle slows an address whose learner account lookups find
// nothing, as certificate verification does.
var creditThrottle = throttle{free: 10, lockAt: 40, maxWait: 30 * time.Second, lock: 15 * time.Minute}

func creditKey(from string) throttled {
	return throttled{what: "learner account lookups from address " + from, key: "credit-addr\n" + from, policy: creditThrottle}
}

// AccountID is the learner account id of a resident ID number:
// hex(HMAC-SHA-256(learner key, credential.NormaliseID(idNumber))). A copy
// of the database alone cannot test guesses of ID numbers against it. An
// empty number has no account: "".
func (c *Central) AccountID(idNumber string) string {
	id := credential.NormaliseID(idNumber)
	if id == "" {
		return ""
	}
	m := hmac.New(sha256.New, c.keys.LearnerKey())
	m.Write([]byte(id))
	return hex.EncodeToString(m.Sum(nil))
}

// scoreOf is a result's percentage in hundredths.
func scoreOf(total, max float64) int64 {
	if max <= 0 {
		return 0
	}
	return int64(math.Round(total / max * 10000))
}

// ImportCreditRules reads a rule file (exam/credit FORMAT.md) and keeps it
// as a new version; a file with any problem is a *credit.FileError naming
// file, line, rule and field (errors.Is ErrInput), a version not above the
// last kept is refused (ErrInput); nothing changes on an error. Audited.
func (c *Central) ImportCreditRules(ctx context.Context, name string, r io.Reader, actor string) (CreditRuleSet, error) {
	rs, err := credit.ReadRules(name, r)
	if err != nil {
		var fe *credit.FileError
		if errors.As(err, &fe) {
			return CreditRuleSet{}, AsInput(err)
		}
		return CreditRuleSet{}, err
	}
	body, err := json.Marshal(rs)
	if err != nil {
		return CreditRuleSet{}, err
	}
	at := c.now()
	err = c.db.AddCreditRuleSet(ctx, store.CreditRuleSet{Version: rs.Version, Name: rs.Name, Body: string(body), ImportedBy: actor, ImportedAt: at},
		store.AuditLine{Actor: actor, Action: "import credit rules", Detail: fmt.Sprintf("rule set version %d (%s), %d rules", rs.Version, name, len(rs.Rules))})
	if errors.Is(err, store.ErrRuleVersion) {
		return CreditRuleSet{}, AsInput(fmt.Errorf("%s: %w", name, err))
	}
	if err != nil {
		return CreditRuleSet{}, err
	}
	c.log.Info("credit rules imported", "version", rs.Version, "rules", len(rs.Rules))
	return CreditRuleSet{Rules: rs, ImportedBy: actor, ImportedAt: fromStore(at)}, nil
}

func fromStore(t time.Time) time.Time { return time.UnixMicro(t.UnixMicro()).UTC() }

func ruleSetOf(s store.CreditRuleSet) (CreditRuleSet, error) {
	if s.Version == 0 {
		return CreditRuleSet{Rules: &credit.RuleSet{Format: "onex-credit-rules/1"}}, nil
	}
	rs, err := credit.ReadRules(fmt.Sprintf("rule set %d", s.Version), strings.NewReader(s.Body))
	if err != nil {
		return CreditRuleSet{}, fmt.Errorf("kept rule set %d: %w", s.Version, err)
	}
	return CreditRuleSet{Rules: rs, ImportedBy: s.ImportedBy, ImportedAt: s.ImportedAt}, nil
}

// CreditRules lists every rule set version kept, the newest first.
func (c *Central) CreditRules(ctx context.Context) ([]CreditRuleSet, error) {
	ss, err := c.db.CreditRuleSets(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]CreditRuleSet, len(ss))
	for i, s := range ss {
		if out[i], err = ruleSetOf(s); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ImportCourses reads a school's CSV of courses passed (exam/credit
// FORMAT.md; encoding auto, utf-8 or gb18030) and keeps them in the
// learners' accounts (made as needed). Every row must name the school
// given, a school the catalogue's sites name. A file with any problem is a
// *credit.FileError naming file, line and column (errors.Is ErrInput) and
// changes nothing. Audited.
func (c *Central) ImportCourses(ctx context.Context, school, name string, r io.Reader, encoding, actor string) (CourseImport, error) {
	school = strings.TrimSpace(school)
	cat, err := c.db.Catalogue(ctx)
	if err != nil {
		return CourseImport{}, err
	}
	if school == "" || !slices.ContainsFunc(cat.Sites, func(s exam.Site) bool { return s.School == school }) {
		return CourseImport{}, inputf("school %q: no site of the catalogue names it", school)
	}
	if encoding == "" {
		encoding = credit.EncodingAuto
	}
	outs, err := credit.ReadCourses(name, r, encoding)
	if err != nil {
		var fe *credit.FileError
		if errors.As(err, &fe) {
			return CourseImport{}, AsInput(err)
		}
		return CourseImport{}, err
	}
	var bad []credit.Problem
	for _, o := range outs {
		if o.School != school {
			bad = append(bad, credit.Problem{File: name, Line: o.Line, Field: credit.ColSchool,
				Reason: fmt.Sprintf("%q is not the school importing, %s", o.School, school)})
		}
	}
	if len(bad) > 0 {
		return CourseImport{}, AsInput(&credit.FileError{File: name, Problems: bad})
	}
	names := map[string]string{}
	courses := make([]store.CreditCourse, len(outs))
	for i, o := range outs {
		acc := c.AccountID(o.Learner)
		names[acc] = o.Name
		courses[i] = store.CreditCourse{Account: acc, School: o.School, Course: o.Course, CourseName: o.CourseName,
			Credits: int64(o.Credits), Score: int64(o.Score), Passed: int64(o.Date)}
	}
	id, err := c.db.ImportCreditCourses(ctx, school, name, names, courses, actor, c.now(), func(id int64) store.AuditLine {
		return store.AuditLine{Actor: actor, Action: "import courses", Detail: fmt.Sprintf("course import %d: school %s, %s: %d courses of %d learners", id, school, name, len(courses), len(names))}
	})
	if err != nil {
		return CourseImport{}, err
	}
	c.log.Info("courses imported", "school", school, "courses", len(courses), "learners", len(names))
	return CourseImport{ID: id, School: school, File: name, Courses: len(courses), Learners: len(names)}, nil
}

// today is the day of a conversion: central's clock in Beijing.
func (c *Central) today() credit.Date { return credit.DateOf(c.now().In(CST)) }

// learnerInput is the conversion input of one account as the store read
// it: valid certificates and courses as outcomes, the approved
// applications as granted, the newest rules.
type learnerInput struct {
	in      credit.Input
	apps    []credit.Application
	account LearnerAccount
}

func (c *Central) learnerInput(l store.CreditLearner) (learnerInput, error) {
	rs, err := ruleSetOf(l.Rules)
	if err != nil {
		return learnerInput{}, err
	}
	acc := LearnerAccount{ID: l.Account.ID, Name: l.Account.Name, RuleSet: l.Rules.Version, AsOf: c.today()}
	var outs []credit.Outcome
	for _, sc := range l.Certificates {
		st, err := statusOf(sc.Status)
		if err != nil {
			return learnerInput{}, err
		}
		acc.Certificates = append(acc.Certificates, AccountCertificate{Number: sc.Number, CertCode: sc.CertCode, CertName: sc.CertName, Level: sc.Level,
			OrgName: sc.OrgName, SiteName: sc.SiteName, Score: credit.Score(sc.Score), Issued: sc.Issued, Status: st})
		if st == credential.Valid && sc.Score >= 0 {
			outs = append(outs, certificateOutcome(l.Account.ID, sc))
		}
	}
	for _, co := range l.Courses {
		o := courseOutcome(co)
		acc.Courses = append(acc.Courses, o)
		acc.CourseCredits += o.Credits
		outs = append(outs, o)
	}
	var apps []credit.Application
	for _, sa := range l.Applications {
		a, err := applicationOf(sa)
		if err != nil {
			return learnerInput{}, err
		}
		a.Name = l.Account.Name
		acc.Applications = append(acc.Applications, a)
		apps = append(apps, a.Application)
	}
	return learnerInput{in: credit.Input{Rules: rs.Rules, Outcomes: outs, Granted: credit.Granted(apps), AsOf: acc.AsOf}, apps: apps, account: acc}, nil
}

func certificateOutcome(account string, sc store.Certificate) credit.Outcome {
	return credit.Outcome{Learner: account, Kind: credit.KindCertificate, Number: sc.Number, Certificate: sc.CertCode, Level: sc.Level,
		Score: credit.Score(sc.Score), Date: credit.DateOf(sc.Issued.In(CST))}
}

func courseOutcome(co store.CreditCourse) credit.Outcome {
	return credit.Outcome{Learner: co.Account, Kind: credit.KindCourse, School: co.School, Course: co.Course, CourseName: co.CourseName,
		Credits: credit.Credits(co.Credits), Score: credit.Score(co.Score), Date: credit.Date(co.Passed)}
}

func applicationOf(s store.CreditApplication) (CreditApplication, error) {
	a := CreditApplication{Application: credit.Application{ID: s.ID, State: credit.State(s.State)}, Account: s.Account, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
	if err := json.Unmarshal([]byte(s.Conversion), &a.Conversion); err != nil {
		return a, fmt.Errorf("application %s: conversion: %w", s.ID, err)
	}
	if err := json.Unmarshal([]byte(s.Events), &a.Events); err != nil {
		return a, fmt.Errorf("application %s: events: %w", s.ID, err)
	}
	return a, nil
}

func storeApplication(a credit.Application) (store.CreditApplication, error) {
	conv, err := json.Marshal(a.Conversion)
	if err != nil {
		return store.CreditApplication{}, err
	}
	ev, err := json.Marshal(a.Events)
	if err != nil {
		return store.CreditApplication{}, err
	}
	return store.CreditApplication{ID: a.ID, School: a.Conversion.School, State: string(a.State), Conversion: string(conv), Events: string(ev)}, nil
}

// LearnerAccount is the account of a resident ID number: its certificates
// (with their status: only valid ones convert) and courses, the
// conversions in force and offered now under the newest rules, its
// applications and credits. ErrNotFound when the number has no account.
func (c *Central) LearnerAccount(ctx context.Context, idNumber string) (LearnerAccount, error) {
	if credential.NormaliseID(idNumber) == "" {
		return LearnerAccount{}, inputf("an ID number is required")
	}
	return c.LearnerAccountByID(ctx, c.AccountID(idNumber))
}

// LearnerAccountByID is LearnerAccount by the account's id (the office's
// pages name accounts by id).
func (c *Central) LearnerAccountByID(ctx context.Context, account string) (LearnerAccount, error) {
	l, err := c.db.CreditLearner(ctx, account)
	if err != nil {
		return LearnerAccount{}, err
	}
	li, err := c.learnerInput(l)
	if err != nil {
		return LearnerAccount{}, err
	}
	acc := li.account
	acc.Preview = credit.PreviewLearner(li.in, account)
	return acc, nil
}

// LearnerAccountByCertificate is the learner's public page: a certificate's
// number, its holder's name and the holder's ID number, as typed, must all
// match central's record of the certificate (the ID number against the
// certificate's salted hash), or it is ErrNotFound, which never says which
// did not. A lookup that finds nothing strikes the address; while it must
// wait every lookup from it is a *ThrottledError, unchecked.
func (c *Central) LearnerAccountByCertificate(ctx context.Context, number, name, idNumber, from string) (LearnerAccount, error) {
	number, name, idNumber = normaliseNumber(number), normaliseName(name), credential.NormaliseID(idNumber)
	if number == "" || name == "" || idNumber == "" {
		return LearnerAccount{}, AsInput(ErrCreditLookup)
	}
	addr := creditKey(from)
	if err := c.checkThrottles(ctx, addr); err != nil {
		return LearnerAccount{}, err
	}
	account := c.AccountID(idNumber)
	cert, err := c.db.Certificate(ctx, number)
	if err == nil {
		nameOK := subtle.ConstantTimeCompare([]byte(normaliseName(cert.HolderName)), []byte(name))
		idOK := subtle.ConstantTimeCompare(credential.HashID(cert.IDSalt, idNumber), cert.IDHash)
		accOK := subtle.ConstantTimeCompare([]byte(cert.Account), []byte(account))
		if nameOK&idOK&accOK != 1 {
			err = fmt.Errorf("certificate %s with another holder: %w", number, ErrNotFound)
		}
	}
	var acc LearnerAccount
	if err == nil {
		acc, err = c.LearnerAccountByID(ctx, account)
	}
	if errors.Is(err, ErrNotFound) {
		if serr := c.strike(ctx, addr); serr != nil {
			return LearnerAccount{}, serr
		}
		return LearnerAccount{}, fmt.Errorf("no learner account of that certificate, name and ID number: %w", ErrNotFound)
	}
	if err != nil {
		return LearnerAccount{}, fmt.Errorf("learner account: %w", err)
	}
	return acc, nil
}

// PreviewSchool is what would convert at a school, over every learner:
// per course the learners it would be credited to now and is credited to,
// under the newest rules.
func (c *Central) PreviewSchool(ctx context.Context, school string) (credit.SchoolPreview, error) {
	ls, err := c.db.LatestCreditRuleSet(ctx)
	if err != nil {
		return credit.SchoolPreview{}, err
	}
	rs, err := ruleSetOf(ls)
	if err != nil {
		return credit.SchoolPreview{}, err
	}
	certs, err := c.db.DepositedCertificates(ctx)
	if err != nil {
		return credit.SchoolPreview{}, err
	}
	courses, err := c.db.CreditCourses(ctx, school)
	if err != nil {
		return credit.SchoolPreview{}, err
	}
	sas, err := c.db.CreditApplications(ctx, store.CreditApplicationFilter{School: school, State: string(credit.Approved)})
	if err != nil {
		return credit.SchoolPreview{}, err
	}
	in := credit.Input{Rules: rs.Rules, AsOf: c.today()}
	for _, sc := range certs {
		if sc.Status == store.CertValid && sc.Score >= 0 {
			in.Outcomes = append(in.Outcomes, certificateOutcome(sc.Account, sc))
		}
	}
	for _, co := range courses {
		in.Outcomes = append(in.Outcomes, courseOutcome(co))
	}
	var apps []credit.Application
	for _, sa := range sas {
		a, err := applicationOf(sa)
		if err != nil {
			return credit.SchoolPreview{}, err
		}
		apps = append(apps, a.Application)
	}
	in.Granted = credit.Granted(apps)
	return credit.PreviewSchool(in, school), nil
}

// ApplyCredit applies, for the account, for a conversion its account offers
// now (as LearnerAccount's Preview shows it: learner, outcome, school,
// course and credits compared); one no longer offered is credit.ErrStale
// (errors.Is ErrInput too). Audited. actor is the office user, or
// "learner" when the learner applies.
func (c *Central) ApplyCredit(ctx context.Context, account string, conv credit.Conversion, actor string) (CreditApplication, error) {
	at := c.now()
	conv.Learner, conv.Granted = account, false
	sa, err := c.db.AddCreditApplication(ctx, account, at, func(n int64, l store.CreditLearner) (store.CreditApplication, store.AuditLine, error) {
		li, err := c.learnerInput(l)
		if err != nil {
			return store.CreditApplication{}, store.AuditLine{}, err
		}
		a, err := credit.NewApplication(fmt.Sprintf("A%06d", n), conv, credit.Convert(li.in), actor, fromStore(at))
		if err != nil {
			return store.CreditApplication{}, store.AuditLine{}, creditInput(err)
		}
		s, err := storeApplication(a)
		return s, store.AuditLine{Actor: actor, Action: "apply credit conversion", Detail: "application " + a.ID + ": " + describeConversion(conv)}, err
	})
	if err != nil {
		return CreditApplication{}, err
	}
	c.log.Info("credit application", "id", sa.ID, "school", sa.School)
	return applicationOf(sa)
}

// describeConversion names a conversion for the audit log: the account by
// its id's first 12 characters, never a name or an ID number.
func describeConversion(cv credit.Conversion) string {
	return fmt.Sprintf("account %s, %s to %s/%s, %s credits (rule %s of set %d)", cv.Learner[:min(len(cv.Learner), 12)], cv.Outcome, cv.School, cv.Course,
		cv.Credits, cv.Rule, cv.RuleSet)
}

// creditInput marks the state machine's refusals as the caller's.
func creditInput(err error) error {
	var te *credit.TransitionError
	if errors.Is(err, credit.ErrStale) || errors.Is(err, credit.ErrReason) || errors.As(err, &te) {
		return AsInput(err)
	}
	return err
}

// DecideCredit approves or refuses an application, with who and why (why is
// required to refuse). An approval re-checks the conversion against the
// account now, with every other approved application granted: one no
// longer offered is credit.ErrStale and the application stays applied.
// Two decisions on one learner take turns. Audited.
func (c *Central) DecideCredit(ctx context.Context, applicationID string, approve bool, reason, actor string) (CreditApplication, error) {
	return c.moveApplication(ctx, applicationID, func(a credit.Application, li learnerInput, at time.Time) (credit.Application, string, error) {
		if !approve {
			n, err := a.Refuse(actor, at, strings.TrimSpace(reason))
			return n, "refuse credit conversion", err
		}
		others := slices.DeleteFunc(slices.Clone(li.apps), func(o credit.Application) bool { return o.ID == a.ID })
		in := li.in
		in.Granted = credit.Granted(others)
		n, err := a.Approve(actor, at, strings.TrimSpace(reason), credit.Convert(in))
		return n, "approve credit conversion", err
	})
}

// WithdrawCredit withdraws an application before its decision. Audited.
func (c *Central) WithdrawCredit(ctx context.Context, applicationID, reason, actor string) (CreditApplication, error) {
	return c.moveApplication(ctx, applicationID, func(a credit.Application, _ learnerInput, at time.Time) (credit.Application, string, error) {
		n, err := a.Withdraw(actor, at, strings.TrimSpace(reason))
		return n, "withdraw credit application", err
	})
}

// RevokeCredit takes an approval back, with why (a certificate
// revoked). Audited.
func (c *Central) RevokeCredit(ctx context.Context, applicationID, reason, actor string) (CreditApplication, error) {
	return c.moveApplication(ctx, applicationID, func(a credit.Application, _ learnerInput, at time.Time) (credit.Application, string, error) {
		n, err := a.Revoke(actor, at, strings.TrimSpace(reason))
		return n, "revoke credit conversion", err
	})
}

func (c *Central) moveApplication(ctx context.Context, id string, move func(a credit.Application, li learnerInput, at time.Time) (credit.Application, string, error)) (CreditApplication, error) {
	at := c.now()
	sa, err := c.db.UpdateCreditApplication(ctx, id, at, func(s store.CreditApplication, l store.CreditLearner) (store.CreditApplication, store.AuditLine, error) {
		a, err := applicationOf(s)
		if err != nil {
			return s, store.AuditLine{}, err
		}
		li, err := c.learnerInput(l)
		if err != nil {
			return s, store.AuditLine{}, err
		}
		n, action, err := move(a.Application, li, fromStore(at))
		if err != nil {
			return s, store.AuditLine{}, creditInput(err)
		}
		ns, err := storeApplication(n)
		ns.Account, ns.CreatedAt = s.Account, s.CreatedAt
		last := n.Events[len(n.Events)-1]
		detail := fmt.Sprintf("application %s: %s: %s", n.ID, describeConversion(n.Conversion), n.State)
		if last.Why != "" {
			detail += ": " + last.Why
		}
		return ns, store.AuditLine{Actor: last.By, Action: action, Detail: detail}, err
	})
	if err != nil {
		return CreditApplication{}, err
	}
	c.log.Info("credit application moved", "id", sa.ID, "state", sa.State)
	return applicationOf(sa)
}

// CreditApplications lists the applications the filter chooses, oldest first,
// each with its learner's name.
func (c *Central) CreditApplications(ctx context.Context, f ApplicationFilter) ([]CreditApplication, error) {
	sas, err := c.db.CreditApplications(ctx, store.CreditApplicationFilter{Account: f.Account, School: f.School, State: string(f.State)})
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	out := make([]CreditApplication, len(sas))
	for i, sa := range sas {
		if out[i], err = applicationOf(sa); err != nil {
			return nil, err
		}
		n, ok := names[sa.Account]
		if !ok {
			l, err := c.db.CreditAccount(ctx, sa.Account)
			if err != nil {
				return nil, err
			}
			n, names[sa.Account] = l.Name, l.Name
		}
		out[i].Name = n
	}
	return out, nil
}

// CreditApplication returns one application, or ErrNotFound.
func (c *Central) CreditApplication(ctx context.Context, id string) (CreditApplication, error) {
	sa, err := c.db.CreditApplication(ctx, id)
	if err != nil {
		return CreditApplication{}, err
	}
	a, err := applicationOf(sa)
	if err != nil {
		return CreditApplication{}, err
	}
	l, err := c.db.CreditAccount(ctx, sa.Account)
	a.Name = l.Name
	return a, err
}

// depositOldCertificates puts the certificates issued before the credit
// bank into their holders' accounts, from the sessions' rosters and
// results (done once, when central opens; audited).
func (c *Central) depositOldCertificates(ctx context.Context) error {
	sessions, err := c.db.Undeposited(ctx)
	if err != nil || len(sessions) == 0 {
		return err
	}
	var ds []store.Deposit
	for _, sid := range sessions {
		roster, err := c.db.Roster(ctx, sid)
		if err != nil {
			return err
		}
		ids := keyed(roster, func(cand exam.Candidate) (string, string) { return cand.Ticket, cand.IDNumber })
		results, err := c.SessionResults(ctx, sid)
		if err != nil {
			return err
		}
		scores := map[string]int64{}
		for _, r := range results {
			scores[r.Ticket] = scoreOf(r.Total, r.Max)
		}
		certs, err := c.db.Certificates(ctx, sid)
		if err != nil {
			return err
		}
		for _, sc := range certs {
			id := ids[sc.Ticket]
			if sc.Account != "" || id == "" || !bytes.Equal(credential.HashID(sc.IDSalt, id), sc.IDHash) {
				continue
			}
			score, ok := scores[sc.Ticket]
			if !ok {
				score = -1
			}
			ds = append(ds, store.Deposit{Number: sc.Number, Account: c.AccountID(id), Name: sc.HolderName, Score: score, At: sc.Issued})
		}
	}
	if len(ds) == 0 {
		return nil
	}
	c.log.Info("certificates deposited in learner accounts", "certificates", len(ds))
	return c.db.DepositCertificates(ctx, ds, store.AuditLine{Actor: "central", Action: "deposit certificates",
		Detail: fmt.Sprintf("%d certificates issued before the credit bank deposited in their holders' accounts", len(ds))})
}
