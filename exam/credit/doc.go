// Package credit owns the credit bank's conversion rules (学分银行 学分转换):
// the learning outcomes a learner's account holds (certificates, and courses
// passed that a school imports from a CSV file), the conversion rules as
// versioned data read from a rule file, the conversion itself (which outcome
// converts to which course at which school for how many credits: pure,
// deterministic, never crediting one outcome twice at one school nor one
// course twice to one learner), the "what would convert" previews for a
// learner and for a school, and the application for a conversion with its
// decision (a pure state machine).
//
// It knows nothing of storage, HTTP, cryptography or accounts: a learner is
// the key the caller gives (central: the account's key), and imports only
// exam (certificate levels, resident ID checks, ErrInvalid) and
// golang.org/x/text (GB18030). The file formats and the conversion's rules
// are written down in FORMAT.md, with vectors in testdata checked by
// TestVectors.
//
// Errors that refuse outside input wrap exam.ErrInvalid; a file with
// problems returns a *FileError listing each Problem by file, line, record
// and field.
package credit
