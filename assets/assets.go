// Package assets owns the files OneX ships inside its binaries: the sample
// catalogue, paper and roster that the demo (`make run`) loads and the tests
// use as fixtures, and the app icon.
package assets

import "embed"

// Samples holds samples/catalogue.json, samples/paper-web-elementary.json and
// samples/roster-web-elementary.csv.
//
//go:embed samples
var Samples embed.FS
