package server

// Random inspections (双随机一公开) at central [added: issue 17]: the
// registers of sites and inspectors, the commitment published before the
// draw, the public values typed in, the draw and its transcript (package
// exam/inspect does every byte of these), then findings per drawn site
// against the checklist, rectification deadlines and their closing, and
// what the public page shows. Everything a person changes is audited.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"onex/exam/inspect"
	"onex/server/store"
)

// What central keeps of inspections, as the transports see it.
type (
	InspectedSite = store.InspectedSite // the inspection of one drawn site, with its findings
	Finding       = store.Finding       // one checklist item's result at a site (Item is an inspect.Checklist code)
)

// Inspection statuses of a drawn site.
const (
	InspectionDrawn      = store.InspectionDrawn
	InspectionPassed     = store.InspectionPassed
	InspectionRectifying = store.InspectionRectifying
	InspectionRectified  = store.InspectionRectified
)

// ErrInspectionState is a change an inspection's state does not allow now:
// a second draw, findings recorded twice, closing a rectification that is
// not open. It is also ErrInput.
var ErrInspectionState = store.ErrInspectionState

// MaxFindingNote bounds a finding's note and a closing note, in characters.
const MaxFindingNote = 1000

// RegisterFile is a register CSV file as given: its name (for errors) and bytes.
type RegisterFile struct {
	Name string
	Data []byte
}

// RegistersSnapshot is a registers snapshot as imported: Canonical is the
// registers' canonical JSON exactly as exam/inspect wrote it on parsing
// (never re-serialised), SHA256 its hash (the commitment's
// registers_sha256); the CSV files are kept as they came.
type RegistersSnapshot struct {
	ID                int64
	SHA256            string
	Canonical         []byte
	Registers         inspect.Registers // parsed from Canonical
	SitesCSV          []byte
	InspectorsCSV     []byte
	ImportedAt        time.Time
	ImportedBy        string
	Sites, Inspectors int
}

// Inspection is one random inspection: its commitment (published first),
// and once drawn the values typed, the transcript and each drawn site.
type Inspection struct {
	ID               int64
	RegistersID      int64
	RegistersSHA256  string
	Commitment       inspect.Commitment
	CommitmentJSON   []byte // the canonical bytes published
	CommitmentSHA256 string
	Description      string // the public values as described (inspect.ParseSources reads it)
	PublishedAt      time.Time
	CommittedBy      string
	// The draw: zero until drawn.
	Drawn          bool
	Typed          []string // the values as typed
	TypedBy        string
	TypedAt        time.Time
	TranscriptJSON []byte // canonical bytes
	Transcript     *inspect.Transcript
	Sites          []InspectedSite // in the draw order
}

// PublicInspection is what the public page (一公开) shows of an inspection:
// the commitment (before its draw as after), the registers it commits to
// (the canonical JSON and the CSV files, to re-run the draw), and once drawn
// the transcript and each drawn site's outcome. Finding notes, who typed or
// recorded what, and closing notes are the office's.
type PublicInspection struct {
	ID               int64
	CommitmentJSON   []byte
	CommitmentSHA256 string
	Commitment       inspect.Commitment
	Description      string
	PublishedAt      time.Time
	RegistersID      int64
	RegistersSHA256  string
	RegistersJSON    []byte
	SitesCSV         []byte
	InspectorsCSV    []byte
	Drawn            bool
	DrawnAt          time.Time
	TranscriptJSON   []byte
	Outcomes         []PublicOutcome // in the draw order
}

// PublicOutcome is a drawn site's outcome as published.
type PublicOutcome struct {
	Site        string
	SiteName    string
	Inspectors  []string // ids, as the transcript has them
	Status      string   // InspectionDrawn, …
	Items       []PublicItem
	RectifyBy   time.Time // zero: none
	RectifiedAt time.Time // zero: not (yet)
	Overdue     bool      // being rectified, and the deadline has passed
}

// PublicItem is a checklist item's result as published.
type PublicItem struct {
	Item  inspect.ChecklistItem
	Issue bool
}

func snapshotOf(r store.InspectionRegisters) (RegistersSnapshot, error) {
	regs, err := inspect.ParseRegistersJSON(r.Canonical)
	if err != nil {
		return RegistersSnapshot{}, fmt.Errorf("inspection registers %d as kept: %w", r.ID, err)
	}
	return RegistersSnapshot{ID: r.ID, SHA256: r.SHA256, Canonical: r.Canonical, Registers: regs, SitesCSV: r.SitesCSV, InspectorsCSV: r.InspectorsCSV,
		ImportedAt: r.ImportedAt, ImportedBy: r.ImportedBy, Sites: r.Sites, Inspectors: r.Inspectors}, nil
}

// ImportRegisters parses the two register files (exam/inspect FORMAT.md,
// "Register files") and keeps them as a new snapshot, the one the next
// commitment is made on. A bad file changes nothing; its error names the
// file, row and field. Audited.
func (c *Central) ImportRegisters(ctx context.Context, sites, inspectors RegisterFile, actor string) (RegistersSnapshot, error) {
	for _, f := range []RegisterFile{sites, inspectors} {
		if len(f.Data) > inspect.MaxFileSize {
			return RegistersSnapshot{}, inputf("%s is larger than %d MiB", f.Name, inspect.MaxFileSize>>20)
		}
	}
	regs, err := inspect.ParseRegisters(sites.Name, sites.Data, inspectors.Name, inspectors.Data)
	if err != nil {
		return RegistersSnapshot{}, AsInput(err)
	}
	canon, err := regs.Canonical()
	if err != nil {
		return RegistersSnapshot{}, AsInput(err)
	}
	sum := sha256.Sum256(canon)
	r := store.InspectionRegisters{Canonical: canon, SHA256: hex.EncodeToString(sum[:]), Sites: len(regs.Sites), Inspectors: len(regs.Inspectors),
		SitesCSV: sites.Data, InspectorsCSV: inspectors.Data, ImportedAt: c.now().UTC(), ImportedBy: actor}
	r.ID, err = c.db.AddInspectionRegisters(ctx, r, func(id int64) store.AuditLine {
		return store.AuditLine{Actor: actor, Action: "import inspection registers",
			Detail: fmt.Sprintf("registers %d: %d sites, %d inspectors, sha256 %s", id, r.Sites, r.Inspectors, r.SHA256)}
	})
	if err != nil {
		return RegistersSnapshot{}, err
	}
	c.log.Info("inspection registers imported", "id", r.ID, "sites", r.Sites, "inspectors", r.Inspectors)
	return snapshotOf(r)
}

// InspectionRegisters returns the registers snapshot imported last, or ErrNotFound.
func (c *Central) InspectionRegisters(ctx context.Context) (RegistersSnapshot, error) {
	r, err := c.db.LatestInspectionRegisters(ctx)
	if err != nil {
		return RegistersSnapshot{}, err
	}
	return snapshotOf(r)
}

// CommitInspection makes and keeps the commitment of a draw on the last
// registers snapshot with the plan, seeded by the public values described
// (inspect.ParseSources: "6: 双色球第2026140期红球; 1: 双色球第2026140期蓝球").
// A plan the registers cannot satisfy (too many sites, a site short of
// unconflicted inspectors) is refused, so a committed draw always completes.
// The commitment is published from now on. Audited.
func (c *Central) CommitInspection(ctx context.Context, plan inspect.Plan, valuesDescription, actor string) (Inspection, error) {
	snap, err := c.InspectionRegisters(ctx)
	if errors.Is(err, ErrNotFound) {
		return Inspection{}, inputf("no inspection registers: import them first")
	}
	if err != nil {
		return Inspection{}, err
	}
	sources, err := inspect.ParseSources(valuesDescription)
	if err != nil {
		return Inspection{}, AsInput(err)
	}
	com, err := inspect.Commit(snap.Registers, plan, sources, c.now())
	if err != nil {
		return Inspection{}, AsInput(err)
	}
	canon := com.Canonical()
	sum := com.Hash()
	sc := store.InspectionCommitment{RegistersID: snap.ID, Canonical: canon, SHA256: hex.EncodeToString(sum[:]),
		SharePercent: plan.SharePercent, MinSites: plan.MinSites, InspectorsPerSite: plan.InspectorsPerSite,
		Description: inspect.DescribeSources(sources), PublishedAt: c.now().UTC(), CommittedBy: actor}
	sc.ID, err = c.db.AddInspectionCommitment(ctx, sc, func(id int64) store.AuditLine {
		return store.AuditLine{Actor: actor, Action: "commit inspection",
			Detail: fmt.Sprintf("inspection %d: registers %d, plan %d%% at least %d sites, %d inspectors each, sha256 %s, values: %s",
				id, snap.ID, plan.SharePercent, plan.MinSites, plan.InspectorsPerSite, sc.SHA256, sc.Description)}
	})
	if errors.Is(err, store.ErrExists) {
		return Inspection{}, AsInput(err)
	}
	if err != nil {
		return Inspection{}, err
	}
	c.log.Info("inspection committed", "id", sc.ID)
	return inspectionOf(sc, snap.SHA256, nil)
}

// DrawInspection types in the public values of a commitment (one per
// source, in its order, as published: "07 12 19 23 28 33") and makes its
// draw, once: the transcript is kept and published, and each drawn site gets
// an inspection. Values that do not fit the sources change nothing. Audited
// (the values and the result).
func (c *Central) DrawInspection(ctx context.Context, commitmentID int64, values []string, actor string) (Inspection, error) {
	sc, err := c.db.InspectionCommitment(ctx, commitmentID)
	if err != nil {
		return Inspection{}, err
	}
	if sc.Draw != nil {
		return Inspection{}, AsInput(fmt.Errorf("inspection %d is drawn already: %w", commitmentID, ErrInspectionState))
	}
	r, err := c.db.InspectionRegistersByID(ctx, sc.RegistersID)
	if err != nil {
		return Inspection{}, err
	}
	snap, err := snapshotOf(r)
	if err != nil {
		return Inspection{}, err
	}
	com, err := inspect.ParseCommitment(sc.Canonical)
	if err != nil {
		return Inspection{}, fmt.Errorf("inspection %d: commitment as kept: %w", commitmentID, err)
	}
	t, err := inspect.Draw(snap.Registers, com, values)
	if err != nil {
		return Inspection{}, AsInput(fmt.Errorf("inspection %d: %w", commitmentID, err))
	}
	tb := t.Canonical()
	sum := sha256.Sum256(tb)
	names := map[string]string{}
	for _, s := range snap.Registers.Sites {
		names[s.Code] = s.Name
	}
	sites := make([]store.InspectedSite, len(t.Draw))
	var res []string
	for i, a := range t.Draw {
		sites[i] = store.InspectedSite{SiteCode: a.Site, SiteName: names[a.Site], Position: i, Inspectors: a.Inspectors}
		res = append(res, a.String())
	}
	d := store.InspectionDraw{Typed: values, TypedBy: actor, TypedAt: c.now().UTC(), Transcript: tb, SHA256: hex.EncodeToString(sum[:])}
	err = c.db.AddInspectionDraw(ctx, commitmentID, d, sites, store.AuditLine{Actor: actor, Action: "draw inspection",
		Detail: fmt.Sprintf("inspection %d: values %q, key %s, transcript sha256 %s: %s", commitmentID, t.Values, t.Key, d.SHA256, strings.Join(res, "; "))})
	if errors.Is(err, ErrInspectionState) {
		return Inspection{}, AsInput(err)
	}
	if err != nil {
		return Inspection{}, err
	}
	c.log.Info("inspection drawn", "id", commitmentID, "sites", len(sites))
	return c.Inspection(ctx, commitmentID)
}

func inspectionOf(sc store.InspectionCommitment, registersSHA string, sites []InspectedSite) (Inspection, error) {
	com, err := inspect.ParseCommitment(sc.Canonical)
	if err != nil {
		return Inspection{}, fmt.Errorf("inspection %d: commitment as kept: %w", sc.ID, err)
	}
	in := Inspection{ID: sc.ID, RegistersID: sc.RegistersID, RegistersSHA256: registersSHA, Commitment: com, CommitmentJSON: sc.Canonical,
		CommitmentSHA256: sc.SHA256, Description: sc.Description, PublishedAt: sc.PublishedAt, CommittedBy: sc.CommittedBy, Sites: sites}
	if d := sc.Draw; d != nil {
		t, err := inspect.ParseTranscript(d.Transcript)
		if err != nil {
			return Inspection{}, fmt.Errorf("inspection %d: transcript as kept: %w", sc.ID, err)
		}
		in.Drawn, in.Typed, in.TypedBy, in.TypedAt, in.TranscriptJSON, in.Transcript = true, d.Typed, d.TypedBy, d.TypedAt, d.Transcript, t
	}
	return in, nil
}

// Inspections lists every inspection, newest first, without their sites.
func (c *Central) Inspections(ctx context.Context) ([]Inspection, error) {
	scs, err := c.db.InspectionCommitments(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Inspection, 0, len(scs))
	for _, sc := range scs {
		in, err := inspectionOf(sc, "", nil)
		if err != nil {
			return nil, err
		}
		in.RegistersSHA256 = in.Commitment.RegistersSHA256
		out = append(out, in)
	}
	return out, nil
}

// Inspection returns one inspection with its drawn sites and their
// findings, or ErrNotFound.
func (c *Central) Inspection(ctx context.Context, id int64) (Inspection, error) {
	sc, err := c.db.InspectionCommitment(ctx, id)
	if err != nil {
		return Inspection{}, err
	}
	sites, err := c.inspectedSites(ctx, id)
	if err != nil {
		return Inspection{}, err
	}
	in, err := inspectionOf(sc, "", sites)
	in.RegistersSHA256 = in.Commitment.RegistersSHA256
	return in, err
}

// InspectionRegistersOf returns the registers snapshot an inspection commits to.
func (c *Central) InspectionRegistersOf(ctx context.Context, id int64) (RegistersSnapshot, error) {
	sc, err := c.db.InspectionCommitment(ctx, id)
	if err != nil {
		return RegistersSnapshot{}, err
	}
	r, err := c.db.InspectionRegistersByID(ctx, sc.RegistersID)
	if err != nil {
		return RegistersSnapshot{}, err
	}
	return snapshotOf(r)
}

func noteProblem(note string) string {
	switch {
	case !utf8.ValidString(note):
		return "is not UTF-8"
	case utf8.RuneCountInString(note) > MaxFindingNote:
		return fmt.Sprintf("is longer than %d characters", MaxFindingNote)
	}
	return ""
}

// RecordFindings records the findings of an inspected site, once: one
// finding for every item of inspect.Checklist (in any order), each passed or
// an issue found, an issue with a note saying what. When an issue is found
// the site must rectify by deadline (after now; required), else deadline
// must be zero. Audited (each item, its note and the deadline).
func (c *Central) RecordFindings(ctx context.Context, inspectionID int64, site string, findings []Finding, deadline time.Time, actor string) (InspectedSite, error) {
	where := fmt.Sprintf("inspection %d, site %s", inspectionID, site)
	byItem := map[string]Finding{}
	for _, f := range findings {
		if _, ok := inspect.ChecklistItemOf(f.Item); !ok {
			return InspectedSite{}, inputf("%s: checklist item %q unknown", where, f.Item)
		}
		if _, dup := byItem[f.Item]; dup {
			return InspectedSite{}, inputf("%s: checklist item %s given twice", where, f.Item)
		}
		f.Note = strings.TrimSpace(f.Note)
		if p := noteProblem(f.Note); p != "" {
			return InspectedSite{}, inputf("%s: the note of %s %s", where, f.Item, p)
		}
		if f.Issue && f.Note == "" {
			return InspectedSite{}, inputf("%s: an issue found at %s needs a note saying what", where, f.Item)
		}
		byItem[f.Item] = f
	}
	ordered := make([]Finding, 0, len(inspect.Checklist))
	issues := 0
	var detail []string
	for _, it := range inspect.Checklist {
		f, ok := byItem[it.Code]
		if !ok {
			return InspectedSite{}, inputf("%s: no finding for checklist item %s (%s)", where, it.Code, it.En)
		}
		res := "pass"
		if f.Issue {
			issues++
			res = "issue"
		}
		detail = append(detail, fmt.Sprintf("%s %s %q", it.Code, res, f.Note))
		ordered = append(ordered, f)
	}
	now := c.now().UTC()
	status := InspectionPassed
	switch {
	case issues > 0 && deadline.IsZero():
		return InspectedSite{}, inputf("%s: an issue was found: a rectification deadline is required", where)
	case issues > 0 && !deadline.After(now):
		return InspectedSite{}, inputf("%s: the rectification deadline %s is not after now", where, deadline.UTC().Format(time.RFC3339))
	case issues == 0 && !deadline.IsZero():
		return InspectedSite{}, inputf("%s: no issue was found: no rectification deadline may be set", where)
	case issues > 0:
		status = InspectionRectifying
		deadline = deadline.UTC()
		detail = append(detail, "rectify by "+deadline.Format(time.RFC3339))
	}
	err := c.db.RecordInspectionFindings(ctx, inspectionID, site, ordered, status, deadline, now, actor, store.AuditLine{Actor: actor, Action: "record inspection findings",
		Detail: where + ": " + strings.Join(detail, "; ")})
	if errors.Is(err, ErrInspectionState) {
		return InspectedSite{}, AsInput(err)
	}
	if err != nil {
		return InspectedSite{}, err
	}
	c.log.Info("inspection findings recorded", "inspection", inspectionID, "status", status)
	return c.inspectedSite(ctx, inspectionID, site)
}

// CloseRectification closes the rectification of a site with an issue found:
// the office has checked that it is rectified (note says how). Only a site
// being rectified can be closed. Audited.
func (c *Central) CloseRectification(ctx context.Context, inspectionID int64, site, note, actor string) (InspectedSite, error) {
	where := fmt.Sprintf("inspection %d, site %s", inspectionID, site)
	note = strings.TrimSpace(note)
	if note == "" {
		return InspectedSite{}, inputf("%s: say how the rectification was checked", where)
	}
	if p := noteProblem(note); p != "" {
		return InspectedSite{}, inputf("%s: the note %s", where, p)
	}
	err := c.db.CloseInspectionRectification(ctx, inspectionID, site, note, c.now().UTC(), actor, store.AuditLine{Actor: actor, Action: "close inspection rectification",
		Detail: fmt.Sprintf("%s: %q", where, note)})
	if errors.Is(err, ErrInspectionState) {
		return InspectedSite{}, AsInput(err)
	}
	if err != nil {
		return InspectedSite{}, err
	}
	c.log.Info("inspection rectification closed", "inspection", inspectionID)
	return c.inspectedSite(ctx, inspectionID, site)
}

// inspectedSites lists a draw's inspected sites, each site's findings in
// the checklist's order.
func (c *Central) inspectedSites(ctx context.Context, id int64) ([]InspectedSite, error) {
	sites, err := c.db.InspectedSites(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, s := range sites {
		slices.SortFunc(s.Findings, func(a, b Finding) int { return checklistPos(a.Item) - checklistPos(b.Item) })
	}
	return sites, nil
}

func checklistPos(code string) int {
	for i, it := range inspect.Checklist {
		if it.Code == code {
			return i
		}
	}
	return len(inspect.Checklist)
}

func (c *Central) inspectedSite(ctx context.Context, id int64, code string) (InspectedSite, error) {
	sites, err := c.inspectedSites(ctx, id)
	if err != nil {
		return InspectedSite{}, err
	}
	for _, s := range sites {
		if s.SiteCode == code {
			return s, nil
		}
	}
	return InspectedSite{}, fmt.Errorf("inspection %d, site %s: %w", id, code, ErrNotFound)
}

// PublicInspections is what the public page shows, newest first: every
// commitment (before its draw too), the registers it commits to, and once
// drawn the transcript and each drawn site's outcome.
func (c *Central) PublicInspections(ctx context.Context) ([]PublicInspection, error) {
	scs, err := c.db.InspectionCommitments(ctx)
	if err != nil {
		return nil, err
	}
	regs := map[int64]store.InspectionRegisters{}
	out := make([]PublicInspection, 0, len(scs))
	for _, sc := range scs {
		r, ok := regs[sc.RegistersID]
		if !ok {
			if r, err = c.db.InspectionRegistersByID(ctx, sc.RegistersID); err != nil {
				return nil, err
			}
			regs[sc.RegistersID] = r
		}
		com, err := inspect.ParseCommitment(sc.Canonical)
		if err != nil {
			return nil, fmt.Errorf("inspection %d: commitment as kept: %w", sc.ID, err)
		}
		p := PublicInspection{ID: sc.ID, CommitmentJSON: sc.Canonical, CommitmentSHA256: sc.SHA256, Commitment: com, Description: sc.Description,
			PublishedAt: sc.PublishedAt, RegistersID: r.ID, RegistersSHA256: r.SHA256, RegistersJSON: r.Canonical, SitesCSV: r.SitesCSV, InspectorsCSV: r.InspectorsCSV}
		if sc.Draw != nil {
			p.Drawn, p.DrawnAt, p.TranscriptJSON = true, sc.Draw.TypedAt, sc.Draw.Transcript
			sites, err := c.inspectedSites(ctx, sc.ID)
			if err != nil {
				return nil, err
			}
			for _, s := range sites {
				o := PublicOutcome{Site: s.SiteCode, SiteName: s.SiteName, Inspectors: s.Inspectors, Status: s.Status, RectifyBy: s.RectifyBy, RectifiedAt: s.ClosedAt,
					Overdue: s.Status == InspectionRectifying && c.now().After(s.RectifyBy)}
				for _, f := range s.Findings {
					it, _ := inspect.ChecklistItemOf(f.Item)
					o.Items = append(o.Items, PublicItem{Item: it, Issue: f.Issue})
				}
				p.Outcomes = append(p.Outcomes, o)
			}
		}
		out = append(out, p)
	}
	return out, nil
}
