package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"onex/exam"
	"onex/exam/seal"
	"onex/server/store"
	osync "onex/sync"
)

// MaxImport bounds every imported file, in bytes.
const MaxImport = 32 << 20

func readAll(r io.Reader, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxImport+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	if len(b) > MaxImport {
		return nil, inputf("%s is larger than %d MiB", what, MaxImport>>20)
	}
	return b, nil
}

// ImportCatalogue validates and stores a catalogue; a bad one changes nothing.
func (c *Central) ImportCatalogue(ctx context.Context, r io.Reader, actor string) (*exam.Catalogue, error) {
	b, err := readAll(r, "catalogue")
	if err != nil {
		return nil, err
	}
	cat, err := exam.ReadCatalogue(bytes.NewReader(b))
	if err != nil {
		return nil, AsInput(err)
	}
	if err := c.db.PutCatalogue(ctx, cat); err != nil {
		return nil, err
	}
	return cat, c.db.Audit(ctx, actor, "import catalogue", fmt.Sprintf("%d organisations, %d certificates, %d sites", len(cat.Organisations), len(cat.Certificates), len(cat.Sites)))
}

// ImportPaper validates and stores a paper. Its certificate and level must be
// in the catalogue. A bad paper is refused whole, naming the item and field.
func (c *Central) ImportPaper(ctx context.Context, r io.Reader, actor string) (*exam.Paper, error) {
	b, err := readAll(r, "paper")
	if err != nil {
		return nil, err
	}
	p, err := exam.ReadPaper(bytes.NewReader(b))
	if err != nil {
		return nil, AsInput(err)
	}
	cat, err := c.db.Catalogue(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := cat.Rule(p.Certificate, p.Level); err != nil {
		return nil, inputf("paper %s: %w (import the catalogue first)", p.ID, err)
	}
	sealed, err := c.sealPaper(p.ID, p.Version, b)
	if err != nil {
		return nil, err
	}
	same := func(stored []byte) bool {
		old, err := c.openPaper(p.ID, p.Version, stored)
		return err == nil && bytes.Equal(old, b)
	}
	if err := c.db.PutPaper(ctx, p, sealed, same); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, AsInput(err)
		}
		return nil, err
	}
	return p, c.db.Audit(ctx, actor, "import paper", fmt.Sprintf("%s v%d, %d items", p.ID, p.Version, len(p.Items())))
}

// paperRow names a paper's row for its sealed body.
func paperRow(id string, version int) string { return fmt.Sprintf("%s\x1f%d", id, version) }

// sealPaper seals a paper's JSON under central's secrets key.
func (c *Central) sealPaper(id string, version int, raw []byte) ([]byte, error) {
	return seal.SealField(c.keys.SecretsKey(), "papers", "body", paperRow(id, version), raw)
}

// openPaper opens a paper's JSON sealed by sealPaper.
func (c *Central) openPaper(id string, version int, sealed []byte) ([]byte, error) {
	raw, err := seal.OpenField(c.keys.SecretsKey(), "papers", "body", paperRow(id, version), sealed)
	if err != nil {
		return nil, fmt.Errorf("paper %s version %d: sealed body: %w", id, version, err)
	}
	return raw, nil
}

// paperJSON returns a stored paper's JSON as imported.
func (c *Central) paperJSON(ctx context.Context, id string, version int) ([]byte, error) {
	sealed, err := c.db.Paper(ctx, id, version)
	if err != nil {
		return nil, err
	}
	return c.openPaper(id, version, sealed)
}

// paper returns a stored paper.
func (c *Central) paper(ctx context.Context, id string, version int) (*exam.Paper, error) {
	raw, err := c.paperJSON(ctx, id, version)
	if err != nil {
		return nil, err
	}
	p, err := exam.ReadPaper(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("stored paper %s version %d: %w", id, version, err)
	}
	return p, nil
}

// sealPlainPapers seals the papers a database from before they were sealed
// still holds in the clear.
func (c *Central) sealPlainPapers(ctx context.Context) error {
	plain, err := c.db.PlainPapers(ctx)
	if err != nil {
		return err
	}
	for _, p := range plain {
		sealed, err := c.sealPaper(p.ID, p.Version, p.Body)
		if err != nil {
			return err
		}
		if err := c.db.SealPaper(ctx, p.ID, p.Version, sealed); err != nil {
			return fmt.Errorf("seal paper %s version %d: %w", p.ID, p.Version, err)
		}
	}
	return nil
}

// Encodings of roster files.
const (
	EncodingAuto    = "auto"    // UTF-8 if the bytes are valid UTF-8, else GB18030
	EncodingUTF8    = "utf-8"   // with or without a byte-order mark
	EncodingGB18030 = "gb18030" // also reads GBK and GB2312, as Excel saves them
)

// DecodeRoster turns a roster file's bytes into UTF-8.
func DecodeRoster(b []byte, encoding string) ([]byte, error) {
	switch encoding {
	case EncodingAuto, "":
		if bytes.HasPrefix(b, []byte("\ufeff")) || utf8.Valid(b) {
			return b, nil
		}
		fallthrough
	case EncodingGB18030, "gbk":
		out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
		if err != nil {
			return nil, inputf("roster is not GB18030: %v", err)
		}
		return out, nil
	case EncodingUTF8, "utf8":
		if !utf8.Valid(b) {
			return nil, inputf("roster is not UTF-8 (try --encoding gb18030)")
		}
		return b, nil
	}
	return nil, inputf("encoding %q is not auto, utf-8 or gb18030", encoding)
}

// RosterClosedError refuses a roster for a session released already: its
// site may hold the paper and the roster it was released with, and
// candidates added now would never reach it.
type RosterClosedError struct {
	SessionID string
	ReleaseAt time.Time
}

func (e *RosterClosedError) Error() string {
	return fmt.Sprintf("session %s was released at %s (Beijing time), and a roster can change only before its session's release: schedule another session for these candidates, with a release time still ahead (a new version of the paper if this one's release has passed), and import the roster there",
		e.SessionID, e.ReleaseAt.In(CST).Format("2006-01-02 15:04"))
}

// Is makes errors.Is(err, ErrInput) true.
func (e *RosterClosedError) Is(target error) bool { return target == ErrInput }

// ImportRoster validates a roster file and attaches it to a session, replacing
// the session's roster, and refreshes the session's package. A roster with any
// bad row is refused whole with every bad row named.
func (c *Central) ImportRoster(ctx context.Context, sessionID string, r io.Reader, encoding, actor string) ([]exam.Candidate, error) {
	s, err := c.db.Session(ctx, sessionID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, inputf("session %s does not exist", sessionID)
		}
		return nil, err
	}
	if c.now().After(s.ReleaseAt) {
		return nil, &RosterClosedError{SessionID: s.ID, ReleaseAt: s.ReleaseAt}
	}
	b, err := readAll(r, "roster")
	if err != nil {
		return nil, err
	}
	if b, err = DecodeRoster(b, encoding); err != nil {
		return nil, err
	}
	cands, err := exam.ReadRoster(bytes.NewReader(b))
	if err != nil {
		return nil, AsInput(err)
	}
	pkg, err := c.rebuildPackage(ctx, s, cands)
	if err != nil {
		return nil, err
	}
	if err := c.db.PutRoster(ctx, s.ID, cands, pkg); err != nil {
		return nil, err
	}
	return cands, c.db.Audit(ctx, actor, "import roster", fmt.Sprintf("session %s, %d candidates", s.ID, len(cands)))
}

// Catalogue is the catalogue of organisations, certificates and sites.
func (c *Central) Catalogue(ctx context.Context) (*exam.Catalogue, error) { return c.db.Catalogue(ctx) }

// Papers lists the imported papers: ids, versions and titles, never their questions.
func (c *Central) Papers(ctx context.Context) ([]PaperInfo, error) { return c.db.Papers(ctx) }

// RecordsImport is what became of the records of an export file.
type RecordsImport struct {
	Records                                 int // envelopes in the file
	Accepted, Duplicate, Conflict, Rejected int
	Problems                                []RecordProblem // every conflict and rejection, in file order
}

// RecordProblem is a record of an export file central did not accept.
type RecordProblem struct {
	Envelope int // 1-based, in file order
	RecordID string
	Outcome  string // conflict or rejected
	Reason   string
}

// ImportRecords ingests an export file (onex-export/1) a site carried by
// hand, in batches of the devices' size, exactly as if the site had sent
// it: records central holds already are duplicates, and the site gets the
// receipts at its next sync. A file that is not an export is refused whole
// and changes nothing; each record is then accepted, a duplicate, a
// conflict or rejected on its own. The import is audited.
func (c *Central) ImportRecords(ctx context.Context, r io.Reader, actor string) (RecordsImport, error) {
	exp, err := osync.ReadExport(r) // at most sync.MaxExportBytes; the office's upload limit is lower
	if err != nil {
		return RecordsImport{}, AsInput(err)
	}
	rep := RecordsImport{Records: len(exp.Envelopes)}
	per := c.limits.MaxRecords
	for start := 0; start < len(exp.Envelopes); start += per {
		resp, err := c.Ingest(ctx, osync.Batch{Envelopes: exp.Envelopes[start:min(start+per, len(exp.Envelopes))]})
		if err != nil {
			return rep, err
		}
		for i, res := range resp.Results {
			switch res.Outcome {
			case osync.Accepted:
				rep.Accepted++
			case osync.Duplicate:
				rep.Duplicate++
			case osync.Conflict:
				rep.Conflict++
			default:
				rep.Rejected++
			}
			if res.Outcome == osync.Conflict || res.Outcome == osync.Rejected {
				rep.Problems = append(rep.Problems, RecordProblem{Envelope: start + i + 1, RecordID: res.RecordID, Outcome: string(res.Outcome), Reason: res.Reason})
			}
		}
	}
	return rep, c.db.Audit(ctx, actor, "import records", fmt.Sprintf("export file naming device %q: %d records: %d accepted, %d duplicate, %d conflict, %d rejected",
		exp.DeviceID, rep.Records, rep.Accepted, rep.Duplicate, rep.Conflict, rep.Rejected))
}
