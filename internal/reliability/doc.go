// Package reliability is the reliability suite that crosses packages (docs/reliability.md):
// central killed during ingest on both engines, 10,000 records through network faults and an
// outage, rosters fuzzed from Excel's encodings. It has tests only; make soak runs them long.
package reliability
