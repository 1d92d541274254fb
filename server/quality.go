package server

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"onex/exam"
	"onex/server/store"
)

// Quality control of marking (质检, docs/central.md "Quality control"):
// control responses with known marks and re-marks of a marker's own work
// (回评) seeded into the marker's queue at set rates, per-marker figures,
// pausing a marker and sending their marks back; and near-identical essay
// answers listed for the lead.

// QualitySettings are a session's quality-control settings for one item
// ("" for every item without its own).
type QualitySettings = store.QualitySettings

// Limits of the quality settings.
const (
	MaxControlEvery = 1000
	remarkSkip      = 3 // a re-mark is of a script the marker marked at least this many marks ago
)

// SetQuality sets a session's quality control for an item ("" for every
// item marked at central without settings of its own): one control
// response in every controlEvery hand-outs of a marker (0: none) and the
// share of each marker's scripts handed back to them for a re-mark (0..1).
// A setting's seed (which hand-outs are controls) is drawn once and kept.
// Audited.
func (c *Central) SetQuality(ctx context.Context, sessionID, itemID string, controlEvery int, remarkShare float64, actor string) error {
	s, err := c.db.Session(ctx, sessionID)
	if errors.Is(err, store.ErrNotFound) {
		return inputf("session %s does not exist", sessionID)
	}
	if err != nil {
		return err
	}
	if itemID != "" {
		p, err := c.markingPaper(ctx, s.PaperID, s.PaperVersion)
		if err != nil {
			return err
		}
		if it, ok := p.Item(itemID); !ok || !it.Type.MarkedCentrally() {
			return inputf("paper %s has no item %s marked at central", p.ID, itemID)
		}
	}
	if controlEvery < 0 || controlEvery > MaxControlEvery {
		return inputf("one control in every %d: want 0 (none) to %d", controlEvery, MaxControlEvery)
	}
	if !(remarkShare >= 0 && remarkShare <= 1) {
		return inputf("re-mark share %v is outside 0..1", remarkShare)
	}
	q := QualitySettings{SessionID: sessionID, ItemID: itemID, ControlEvery: controlEvery, RemarkShare: remarkShare, SetBy: actor, SetAt: c.now()}
	all, err := c.db.AllQualitySettings(ctx)
	if err != nil {
		return err
	}
	for _, old := range all {
		if old.SessionID == sessionID && old.ItemID == itemID {
			q.Seed = old.Seed
		}
	}
	if q.Seed == "" {
		seed := make([]byte, 16)
		rand.Read(seed)
		q.Seed = hex.EncodeToString(seed)
	}
	item := itemID
	if item == "" {
		item = "every item"
	}
	return c.db.PutQualitySettings(ctx, q, store.AuditIn(ctx, actor, "set quality control",
		fmt.Sprintf("session %s %s: one control in every %d, re-mark share %g", sessionID, item, controlEvery, remarkShare)))
}

// QualitySettingsList lists every quality setting.
func (c *Central) QualitySettingsList(ctx context.Context) ([]QualitySettings, error) {
	return c.db.AllQualitySettings(ctx)
}

// settingsFor are the settings that hold for a session's item.
func settingsFor(all []QualitySettings, sessionID, itemID string) (QualitySettings, bool) {
	var general *QualitySettings
	for i, q := range all {
		if q.SessionID != sessionID {
			continue
		}
		if q.ItemID == itemID {
			return q, true
		}
		if q.ItemID == "" {
			general = &all[i]
		}
	}
	if general != nil {
		return *general, true
	}
	return QualitySettings{}, false
}

// pick chooses one of n by SHA-256 of the parts: deterministic, spread.
func pick(n int, parts ...string) int {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return int(binary.BigEndian.Uint64(h[:8]) % uint64(n))
}

// seedQuality is called before a marker is handed a task (Next): it adds
// a control task (a control script of the item the marker marks, one they
// have not marked) when exam.ControlDue says the marker's next hand-out is
// one, and a re-mark task (one of the marker's own scripts marked some
// marks ago) at the re-mark share's rate. Both are the marker's alone and
// come before the live queue; the page shows them as any script. The
// session and item are those of the marker's latest live mark, so a
// marker's very first hand-out is live.
func (c *Central) seedQuality(ctx context.Context, marker string) error {
	all, err := c.db.AllQualitySettings(ctx)
	if err != nil || len(all) == 0 {
		return err
	}
	if paused, err := c.db.Paused(ctx, marker); err != nil || paused {
		return err
	}
	sd, err := c.db.QualitySeeding(ctx, marker)
	if err != nil || sd.Last.ID == "" || sd.OpenControl && sd.OpenRemark {
		return err
	}
	q, ok := settingsFor(all, sd.Last.SessionID, sd.Last.ItemID)
	if !ok {
		return nil
	}
	seed, err := hex.DecodeString(q.Seed)
	if err != nil {
		return fmt.Errorf("quality settings of session %s: seed: %w", q.SessionID, err)
	}
	ref := sd.Last.SessionID + "/" + sd.Last.ItemID
	if !sd.OpenControl && exam.ControlDue(seed, marker, sd.Handouts, q.ControlEvery) {
		ids, err := c.db.ControlScriptsFor(ctx, marker, sd.Last.PaperID, sd.Last.PaperVersion, sd.Last.ItemID)
		if err != nil {
			return err
		}
		if len(ids) > 0 {
			id := ids[pick(len(ids), q.Seed, marker, strconv.Itoa(sd.Handouts))]
			if _, err := c.db.AddTask(ctx, store.NewTask{ScriptID: id, Purpose: PurposeControl, OnlyMarker: marker, Fresh: true, Priority: 0, Ref: ref},
				store.AuditLine{Actor: "quality control", Action: "add marking task", Detail: fmt.Sprintf("script %s, %s for %s", id, PurposeControl, marker)}, c.now()); err != nil {
				return err
			}
		}
	}
	if every := remarkEvery(q.RemarkShare); !sd.OpenRemark && exam.ControlDue(append(seed, 'r'), marker, sd.Handouts, every) {
		ids, err := c.db.RemarkCandidates(ctx, marker, sd.Last.SessionID, sd.Last.ItemID, remarkSkip)
		if err != nil {
			return err
		}
		if len(ids) > 0 {
			id := ids[pick(len(ids), q.Seed, "remark", marker, strconv.Itoa(sd.Handouts))]
			if _, err := c.db.AddTask(ctx, store.NewTask{ScriptID: id, Purpose: PurposeRemark, OnlyMarker: marker, Priority: 1, Ref: ref},
				store.AuditLine{Actor: "quality control", Action: "add marking task", Detail: fmt.Sprintf("script %s, %s for %s", id, PurposeRemark, marker)}, c.now()); err != nil {
				return err
			}
		}
	}
	return nil
}

// remarkEvery is one re-mark in every n hand-outs for a share (0: never).
func remarkEvery(share float64) int {
	if share <= 0 {
		return 0
	}
	return max(int(math.Round(1/share)), 1)
}

// ImportControls reads a CSV of control responses for an item of a
// session's paper (UTF-8 or GB18030, as rosters: see DecodeRoster) — a
// header row, then one row per control: the response text, then the known
// mark of each rubric criterion in rubric order — and stores each as a
// control script (AddControlScript, audited). A file with any bad row is
// refused whole, every bad row named. It returns the new scripts' ids.
func (c *Central) ImportControls(ctx context.Context, sessionID, itemID string, r io.Reader, encoding, actor string) ([]string, error) {
	s, err := c.db.Session(ctx, sessionID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, inputf("session %s does not exist", sessionID)
	}
	if err != nil {
		return nil, err
	}
	p, err := c.markingPaper(ctx, s.PaperID, s.PaperVersion)
	if err != nil {
		return nil, err
	}
	it, ok := p.Item(itemID)
	if !ok || !it.Type.MarkedCentrally() {
		return nil, inputf("paper %s has no item %s marked at central", p.ID, itemID)
	}
	b, err := readAll(r, "controls")
	if err != nil {
		return nil, err
	}
	if b, err = DecodeRoster(b, encoding); err != nil {
		return nil, err
	}
	rows, err := readControls(b, it)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, row := range rows {
		id, err := c.AddControlScript(ctx, actor, ControlScript{PaperID: p.ID, PaperVersion: p.Version, ItemID: it.ID, Response: exam.Answer{Text: row.text}, Known: row.known})
		if err != nil {
			return ids, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

type controlRow struct {
	text  string
	known []float64
}

// readControls parses a controls CSV (UTF-8) for an item: every row is
// checked, and every bad one named.
func readControls(b []byte, it exam.Item) ([]controlRow, error) {
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff"))))
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, inputf("controls: %v", err)
	}
	if len(recs) < 2 {
		return nil, inputf("controls: a header row and at least one control are needed")
	}
	var problems []string
	var out []controlRow
	for i, rec := range recs[1:] {
		line := i + 2
		if len(rec) != 1+len(it.Rubric) {
			problems = append(problems, fmt.Sprintf("row %d: %d columns, want the response and %d marks", line, len(rec), len(it.Rubric)))
			continue
		}
		row := controlRow{text: rec[0]}
		if strings.TrimSpace(row.text) == "" {
			problems = append(problems, fmt.Sprintf("row %d: the response is empty", line))
		}
		bad := false
		for j, f := range rec[1:] {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil {
				problems = append(problems, fmt.Sprintf("row %d: mark %d %q is not a number", line, j+1, f))
				bad = true
			}
			row.known = append(row.known, v)
		}
		if !bad {
			if err := it.CheckCentralMarks(row.known); err != nil {
				problems = append(problems, fmt.Sprintf("row %d: %v", line, err))
			}
		}
		out = append(out, row)
	}
	if len(problems) > 0 {
		return nil, AsInput(&exam.InvalidError{Problems: problems})
	}
	return out, nil
}

// MarkerRow is one marker's line on the lead's quality page.
type MarkerRow struct {
	exam.MarkerFigures
	Paused bool
	Reason string // why paused
}

// MarkerFigures computes every marker's quality-control figures over the
// marks given (voided ones left out; exam.Figures), with whether each is
// paused. Each mark is weighed against its item's points and its marking
// rule's tolerance; marks for moderation and appeals are left out.
func (c *Central) MarkerFigures(ctx context.Context) ([]MarkerRow, error) {
	qm, err := c.db.QualityMarks(ctx)
	if err != nil {
		return nil, err
	}
	var given []exam.Given
	for _, m := range qm {
		kind := ""
		switch m.Purpose {
		case PurposeFirst, PurposeSecond, PurposeThird, PurposeArbitrate, PurposeProblem:
			kind = exam.GivenLive
		case PurposeControl:
			kind = exam.GivenControl
		case PurposeRemark:
			kind = exam.GivenRemark
		default:
			continue
		}
		p, err := c.markingPaper(ctx, m.PaperID, m.PaperVersion)
		if err != nil {
			return nil, err
		}
		it, _ := p.Item(m.ItemID)
		given = append(given, exam.Given{Marker: m.Marker, Script: m.ScriptID, Kind: kind, Total: m.Total, Max: it.Points,
			Tolerance: it.Rule().Tolerance, Seconds: float64(m.Seconds), Known: exam.Total(m.Known)})
	}
	paused, err := c.db.PausedMarkers(ctx)
	if err != nil {
		return nil, err
	}
	var out []MarkerRow
	seen := map[string]bool{}
	for _, f := range exam.Figures(given) {
		why, p := paused[f.Marker]
		out = append(out, MarkerRow{MarkerFigures: f, Paused: p, Reason: why})
		seen[f.Marker] = true
	}
	for m, why := range paused {
		if !seen[m] {
			out = append(out, MarkerRow{MarkerFigures: exam.MarkerFigures{Marker: m}, Paused: true, Reason: why})
		}
	}
	slices.SortFunc(out, func(a, b MarkerRow) int { return strings.Compare(a.Marker, b.Marker) })
	return out, nil
}

// PauseMarker pauses a marker (handed nothing more; their open claims go
// back to the queue) or resumes one, with a reason; audited.
func (c *Central) PauseMarker(ctx context.Context, actor, marker string, paused bool, reason string) error {
	if strings.TrimSpace(marker) == "" {
		return inputf("which marker?")
	}
	if paused && strings.TrimSpace(reason) == "" {
		return inputf("pausing a marker needs a reason")
	}
	return c.SetPaused(ctx, actor, marker, paused, strings.TrimSpace(reason))
}

// SentBack is what sending a marker's marks back did.
type SentBack struct {
	Marks   int // marks voided (the marker's, and third and arbitration marks that weighed them)
	Scripts int // scripts reopened
}

// SendBack sends a marker's live marks (all, or those given since a time)
// back for re-marking by others: each is voided (kept, never deleted), so
// are the third and arbitration marks given after it on the same script;
// the script's final mark is reopened and the marks it needs next under
// its item's rule are queued for other markers (never the one sent back),
// whose marks then resolve it again. Audited with the counts and reason.
// Marks already in final results change when the scripts resolve again.
func (c *Central) SendBack(ctx context.Context, actor, marker string, since time.Time, reason string) (SentBack, error) {
	if strings.TrimSpace(marker) == "" {
		return SentBack{}, inputf("which marker?")
	}
	if strings.TrimSpace(reason) == "" {
		return SentBack{}, inputf("sending marks back needs a reason")
	}
	var firstErr error
	n, s, err := c.db.SendBackMarks(ctx, store.SendBack{Marker: marker, Since: since, By: actor, Now: c.now(),
		Next: func(s store.Script, kept []store.Given, open []store.Task) (store.Outcome, error) {
			out, err := c.reopened(ctx, s, kept, open)
			if err != nil && firstErr == nil {
				firstErr = err
			}
			return out, err
		},
		Audit: func(marks, scripts int) store.AuditLine {
			when := "all"
			if !since.IsZero() {
				when = "since " + since.In(CST).Format("2006-01-02 15:04")
			}
			return store.AuditLine{Actor: actor, Action: "send marks back", Detail: fmt.Sprintf("%s, %s: %d marks voided, %d scripts reopened; why: %s", marker, when, marks, scripts, reason)}
		}})
	return SentBack{Marks: n, Scripts: s}, err
}

// markingOf is what the marks given on a script are to its item's rule
// (exam.Item.Resolve): the first and second marks, then the third, and the
// lead's arbitration; flags and marks of other purposes are left out. It
// also counts the first/second and third marks. (Shared by marking's
// resolveScript and quality's reopened.)
func markingOf(given []store.Given) (m exam.Marking, firsts, thirds int) {
	var ts [][]float64
	for _, g := range given {
		switch {
		case g.Marks == nil:
		case g.Purpose == PurposeFirst || g.Purpose == PurposeSecond:
			m.Marks = append(m.Marks, g.Marks)
		case g.Purpose == PurposeThird:
			ts = append(ts, g.Marks)
		case g.Purpose == PurposeArbitrate:
			m.Lead = g.Marks
		}
	}
	firsts, thirds = len(m.Marks), len(ts)
	m.Marks = append(m.Marks, ts...)
	return m, firsts, thirds
}

// reopened is what a script whose marks were voided needs: under its
// item's rule, the marks left resolve it, or it needs the marks the rule
// asks for next, less those already queued.
func (c *Central) reopened(ctx context.Context, s store.Script, kept []store.Given, open []store.Task) (store.Outcome, error) {
	p, err := c.markingPaper(ctx, s.PaperID, s.PaperVersion)
	if err != nil {
		return store.Outcome{}, err
	}
	it, ok := p.Item(s.ItemID)
	if !ok {
		return store.Outcome{}, fmt.Errorf("script %s: paper %s has no item %s", s.ID, p.ID, s.ItemID)
	}
	m, firsts, _ := markingOf(kept)
	queued := map[string]int{}
	for _, t := range open {
		queued[t.Purpose]++
	}
	r, err := it.Resolve(m)
	if err != nil {
		return store.Outcome{}, fmt.Errorf("script %s: %w", s.ID, err)
	}
	if r.Done() {
		return store.Outcome{Final: r.Final, How: r.How}, nil
	}
	var out store.Outcome
	switch r.Need {
	case exam.NeedFirst, exam.NeedSecond:
		want := 1
		if it.Rule().Double {
			want = 2
		}
		for i := firsts + queued[PurposeFirst] + queued[PurposeSecond]; i < want; i++ {
			purpose, prio := PurposeFirst, store.PriorityFirst
			if i == 1 {
				purpose, prio = PurposeSecond, store.PrioritySecond
			}
			out.Add = append(out.Add, store.NewTask{Purpose: purpose, Priority: prio, Note: "sent back"})
		}
	case exam.NeedThird:
		if queued[PurposeThird] == 0 {
			out.Add = append(out.Add, store.NewTask{Purpose: PurposeThird, Priority: store.PriorityThird, Note: "sent back"})
		}
	case exam.NeedArbitrate:
		if queued[PurposeArbitrate] == 0 {
			out.Add = append(out.Add, store.NewTask{Purpose: PurposeArbitrate, LeadOnly: true, Priority: store.PriorityArbitrate, Note: "sent back"})
		}
	}
	return out, nil
}

// Near-identical answers.

// Default thresholds of near-identical answers.
const (
	DefaultSimilarity = 0.8 // exam.Similarity at or above which a pair is listed
	SimilarMinChars   = 30  // answers shorter than this (folded) are not compared
)

// SimilarPair is a pair of a session's essay scripts with near-identical
// answers, by script ids only.
type SimilarPair struct {
	ItemID     string
	A, B       string // script ids, A < B
	Similarity float64
	Flagged    *store.SimilarFlag // the lead's flag, if any
}

// SimilarPairs lists the pairs of a session's scripts (per item marked at
// central) whose answers' similarity is at least threshold (0: the
// default), most similar first, with the lead's flags.
func (c *Central) SimilarPairs(ctx context.Context, sessionID string, threshold float64) ([]SimilarPair, error) {
	if threshold <= 0 {
		threshold = DefaultSimilarity
	}
	if threshold > 1 {
		return nil, inputf("similarity threshold %v is above 1", threshold)
	}
	if _, err := c.db.Session(ctx, sessionID); errors.Is(err, store.ErrNotFound) {
		return nil, inputf("session %s does not exist", sessionID)
	} else if err != nil {
		return nil, err
	}
	scripts, err := c.db.Scripts(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	byItem := map[string][]exam.Response{}
	for _, s := range scripts {
		byItem[s.ItemID] = append(byItem[s.ItemID], exam.Response{ID: s.ID, Text: s.Response.Text})
	}
	flags, err := c.db.SimilarFlags(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	flagged := map[[2]string]*store.SimilarFlag{}
	for i, f := range flags {
		flagged[[2]string{f.ScriptA, f.ScriptB}] = &flags[i]
	}
	var out []SimilarPair
	for item, rs := range byItem {
		for _, p := range exam.NearIdentical(rs, threshold, SimilarMinChars) {
			out = append(out, SimilarPair{ItemID: item, A: p.A, B: p.B, Similarity: p.Similarity, Flagged: flagged[[2]string{p.A, p.B}]})
		}
	}
	slices.SortFunc(out, func(x, y SimilarPair) int {
		return cmp.Or(cmp.Compare(y.Similarity, x.Similarity), strings.Compare(x.ItemID, y.ItemID), strings.Compare(x.A, y.A), strings.Compare(x.B, y.B))
	})
	return out, nil
}

// FlagSimilar records the lead's flag of a pair of a session's scripts as
// suspected misconduct, with a note; audited by script ids. The pair must
// be one SimilarPairs lists at the threshold given (its similarity is
// recomputed, not taken from the form).
func (c *Central) FlagSimilar(ctx context.Context, sessionID, a, b, note, actor string) error {
	note = strings.TrimSpace(note)
	if note == "" {
		return inputf("a flag needs a note")
	}
	if b < a {
		a, b = b, a
	}
	sa, errA := c.db.Script(ctx, a)
	sb, errB := c.db.Script(ctx, b)
	if errA != nil || errB != nil || sa.SessionID != sessionID || sb.SessionID != sessionID || sa.ItemID != sb.ItemID || a == b {
		return inputf("scripts %s and %s are not two scripts of one item of session %s", a, b, sessionID)
	}
	sim := exam.Similarity(sa.Response.Text, sb.Response.Text)
	err := c.db.PutSimilarFlag(ctx, store.SimilarFlag{SessionID: sessionID, ItemID: sa.ItemID, ScriptA: a, ScriptB: b, Similarity: sim, By: actor, At: c.now(), Note: note},
		store.AuditIn(ctx, actor, "flag similar answers", fmt.Sprintf("session %s item %s: scripts %s and %s, similarity %.2f, suspected misconduct; note: %s", sessionID, sa.ItemID, a, b, sim, note)))
	if errors.Is(err, store.ErrExists) {
		return inputf("scripts %s and %s are flagged already", a, b)
	}
	return err
}
