package server_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"io"
	"testing"
	"time"

	"onex/exam/credential"
	"onex/server/servertest"
)

// signFloor is the time of a bare ed25519.Sign of a message the size of a
// credential's claims, measured in the same run: the floor the figures are
// reported against.
func signFloor() time.Duration {
	_, key, _ := ed25519.GenerateKey(nil)
	msg := make([]byte, 200)
	const n = 2000
	start := time.Now()
	for range n {
		ed25519.Sign(key, msg)
	}
	return time.Since(start) / n
}

// BenchmarkCertify10000 issues 10,000 certificates on SQLite through
// Certify: reading and scoring the session's results, then for each the
// claims, the COSE signature, the VC signature and the row, in one
// transaction. Reported: seconds for the 10,000 (and of them the scoring,
// timed apart), microseconds a certificate, and as ratios to a bare
// ed25519.Sign (the floor): the whole, and without the scoring (claims,
// COSE, VC and store).
func BenchmarkCertify10000(b *testing.B) {
	const n = 10000
	for range b.N {
		b.StopTimer()
		c := servertest.AllPassed(b, n)
		before := signFloor()
		start := time.Now()
		if _, err := c.SessionResults(context.Background(), c.Session.ID); err != nil { // the scoring Certify starts with, timed apart
			b.Fatal(err)
		}
		scoring := time.Since(start)
		b.StartTimer()
		start = time.Now()
		rep, err := c.Certify(context.Background(), c.Session.ID, "office ann")
		took := time.Since(start)
		b.StopTimer()
		floor := (before + signFloor()) / 2 // before and after, as the load may change
		b.StartTimer()
		if err != nil || len(rep.Issued) != n {
			b.Fatalf("certify: %d, %v", len(rep.Issued), err)
		}
		per, sign := took/n, (took-scoring)/n
		b.ReportMetric(took.Seconds(), "s/10k-certs")
		b.ReportMetric(scoring.Seconds(), "s-scoring")
		b.ReportMetric(float64(per.Microseconds()), "µs/cert")
		b.ReportMetric(float64(per)/float64(floor), "cert/ed25519-sign")
		b.ReportMetric(float64(sign)/float64(floor), "sign+store/ed25519-sign")
		b.ReportMetric(float64(floor.Nanoseconds()), "floor-ns")
	}
}

// BenchmarkCertificatePDF renders one certificate's PDF per iteration
// (fonts read once): reported per certificate, times 10,000, and as a
// ratio to the floor.
func BenchmarkCertificatePDF(b *testing.B) {
	c, cert := certifiedOne(b)
	ctx := context.Background()
	number := cert.Number
	if err := c.CertificatePDF(ctx, number, io.Discard); err != nil {
		b.Fatal(err)
	}
	_, key, _ := ed25519.GenerateKey(nil)
	msg := make([]byte, 200)
	var size, runs int
	var took, floorTook time.Duration
	for b.Loop() {
		var buf bytes.Buffer
		start := time.Now()
		ed25519.Sign(key, msg) // the floor, interleaved
		floorTook += time.Since(start)
		start = time.Now()
		if err := c.CertificatePDF(ctx, number, &buf); err != nil {
			b.Fatal(err)
		}
		took += time.Since(start)
		size, runs = buf.Len(), runs+1
	}
	per, floor := took/time.Duration(runs), floorTook/time.Duration(runs)
	b.ReportMetric(per.Seconds()*10000, "s/10k-pdfs")
	b.ReportMetric(float64(per)/float64(floor), "pdf/ed25519-sign")
	b.ReportMetric(float64(size), "pdf-bytes")
}

// BenchmarkVerifyOffline verifies one certificate as a site does offline:
// the QR text against the trust list, then its status in the status list
// opened beforehand. Reported as a ratio to a bare ed25519.Verify.
func BenchmarkVerifyOffline(b *testing.B) {
	c, cert := certifiedOne(b)
	tl, sl, _ := trustOf(b, c)
	qr := cert.QR
	pub, key, _ := ed25519.GenerateKey(nil)
	msg := make([]byte, 200)
	sig := ed25519.Sign(key, msg)
	var runs int
	var took, floorTook time.Duration
	for b.Loop() {
		start := time.Now()
		ed25519.Verify(pub, msg, sig) // the floor, interleaved so that both meet the same load
		floorTook += time.Since(start)
		start = time.Now()
		cl, err := credential.VerifyText(qr, tl)
		if err != nil {
			b.Fatal(err)
		}
		if st, err := sl.Status(cl.StatusIndex); err != nil || st != credential.Valid {
			b.Fatal(st, err)
		}
		took += time.Since(start)
		runs++
	}
	per, floor := took/time.Duration(runs), floorTook/time.Duration(runs)
	b.ReportMetric(float64(floor.Nanoseconds()), "floor-ns")
	b.ReportMetric(float64(per)/float64(floor), "verify/ed25519-verify")
}
