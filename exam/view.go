package exam

import "time"

// View is what a candidate's screen shows: the paper in the candidate's
// order (Paper.Present), with the answers saved so far, but no answer key.
// The station builds it; the room's network carries it to a terminal as
// JSON.
type View struct {
	SessionID    string        `json:"session_id"`
	Ticket       string        `json:"ticket"`
	Title        string        `json:"title"`
	Instructions string        `json:"instructions,omitempty"`
	Sections     []ViewSection `json:"sections"`
	Remaining    time.Duration `json:"remaining_ns"`
	Paused       bool          `json:"paused,omitempty"` // by a proctor, for the candidate or the room
	Submitted    bool          `json:"submitted,omitempty"`
	Forced       bool          `json:"forced,omitempty"`
	ReceiptCode  string        `json:"receipt_code,omitempty"`
}

// ViewSection is a section as the candidate sees it.
type ViewSection struct {
	Title string     `json:"title"`
	Items []ViewItem `json:"items"`
}

// ViewItem is an item as the candidate sees it.
type ViewItem struct {
	ID       string      `json:"id"`
	Number   int         `json:"number"` // 1-based, in the candidate's order
	Type     ItemType    `json:"type"`
	Points   float64     `json:"points"`
	Stem     string      `json:"stem"`
	Options  []Option    `json:"options,omitempty"` // in the candidate's order
	MaxChars int         `json:"max_chars,omitempty"`
	Rubric   []Criterion `json:"rubric,omitempty"` // for essay and practical items
	Answer   Answer      `json:"answer,omitzero"`
	Answered bool        `json:"answered,omitempty"`
	Flagged  bool        `json:"flagged,omitempty"`
	// Examiner is true for practical items: the examiner scores them on
	// site, the candidate gives no answer.
	Examiner bool `json:"examiner,omitempty"`
	// Hand-in items: the item's limits (0: the defaults), for the screen.
	MaxFiles   int      `json:"max_files,omitempty"`
	MaxBytes   int64    `json:"max_bytes,omitempty"`
	Extensions []string `json:"extensions,omitempty"`
}

// Items returns the view's items in the candidate's order.
func (v *View) Items() []*ViewItem {
	var out []*ViewItem
	for si := range v.Sections {
		for ii := range v.Sections[si].Items {
			out = append(out, &v.Sections[si].Items[ii])
		}
	}
	return out
}
