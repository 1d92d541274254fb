// Package exam is the domain of OneX, shared by central and the site: the
// catalogue (organisations, certificates and their levels, sites and rooms),
// papers and their items, validation that names the item and field at fault,
// the per-candidate order of a paper, scoring, and the candidates of a roster
// with their resident ID checks.
//
// It knows nothing of storage, HTTP, cryptography or Fyne, and imports only
// the standard library. The paper format is documented in docs/paper-format.md.
//
// Errors that reject outside input wrap ErrInvalid; a document with several
// problems returns an *InvalidError listing each one.
package exam
