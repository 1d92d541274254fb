// Package inspect owns the random inspection draw of the "double random, one
// public" rule (双随机一公开) that anyone can re-run: the registers of sites
// that may be inspected and of inspectors (with their organisation and site
// ties), the plan (share of sites, inspectors per site, exclusion of
// conflicted inspectors), the commitment published before the draw (the
// registers' hash, the plan and the future public values that will seed it),
// the seed from those public values canonicalised as RFC 3797 does, the
// deterministic draw (a partial Fisher–Yates shuffle driven by SHA-256 in
// counter mode), the canonical JSON transcript, and Verify, which re-does the
// draw offline and confirms the transcript byte for byte. It also parses the
// registers from CSV files as Excel saves them (UTF-8 or GB18030).
//
// Every byte it writes or reads is defined in FORMAT.md, with test vectors in
// testdata/vectors.json.
package inspect
