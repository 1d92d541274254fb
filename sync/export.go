package sync

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// ExportFormat is the format tag of an export file.
const ExportFormat = "onex-export/1"

// MaxExportBytes bounds an export file.
const MaxExportBytes = 1 << 30

// Export is a file of sealed records carried from a site to central when
// there is no network (a USB stick): the envelopes a batch would carry, as
// they are in the outbox. Central ingests them with the same idempotency as
// a batch; the site gets its receipts at its next sync, as duplicates.
type Export struct {
	Format    string    `json:"format"`
	DeviceID  string    `json:"device_id"`
	Created   time.Time `json:"created"`
	Envelopes [][]byte  `json:"envelopes"`
}

// ReadExport decodes an export file, refusing anything but onex-export/1.
func ReadExport(r io.Reader) (*Export, error) {
	dec := json.NewDecoder(io.LimitReader(r, MaxExportBytes))
	dec.DisallowUnknownFields()
	var e Export
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("export file: %w", err)
	}
	if e.Format != ExportFormat {
		return nil, fmt.Errorf("export file: format %q is not %q", e.Format, ExportFormat)
	}
	for i, env := range e.Envelopes {
		if len(env) == 0 {
			return nil, fmt.Errorf("export file: envelope %d is empty", i+1)
		}
	}
	return &e, nil
}
