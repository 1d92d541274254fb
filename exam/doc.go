// Package exam is the domain of OneX, shared by central and the site: the
// catalogue (organisations, certificates and their levels, sites and rooms),
// papers and their items, validation that names the item and field at fault,
// the per-candidate order of a paper, candidates' answers and the rule they
// must pass, scoring, the candidates of a roster with their resident ID
// checks, attendance, and the rules of a session's timing (check-in and late
// entry, time remaining, stopwatches).
//
// It knows nothing of storage, HTTP, cryptography or Fyne, and imports only
// the standard library. The paper format is documented in docs/paper-format.md.
//
// Errors that reject outside input wrap ErrInvalid; a document with several
// problems returns an *InvalidError listing each one.
package exam
