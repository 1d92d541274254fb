package main

// Certificates (issue 16): certify, certificates, revoke, suspend,
// reinstate, issuer rotate, certificate-pdf.

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"onex/server"
)

// publicURLFlag adds --public-url: central's public https address, the
// issuer of certificates' verifiable credentials and the base of the
// /verify address they print. Its default is $ONEX_PUBLIC_URL, else
// server.DefaultPublicURL: set it once in the environment so that serve and
// the commands agree.
func publicURLFlag(f *flags) *string {
	def := os.Getenv("ONEX_PUBLIC_URL")
	if def == "" {
		def = server.DefaultPublicURL
	}
	return f.String("public-url", def, "central's public https address: the issuer of certificates' verifiable credentials and the base of the /verify address printed on them (default $ONEX_PUBLIC_URL, else "+server.DefaultPublicURL+")")
}

// certConfig is the Config of a command that signs or prints certificates.
func certConfig(log *slog.Logger, publicURL string) (server.Config, error) {
	if err := server.CheckPublicURL(publicURL); err != nil {
		return server.Config{}, fmt.Errorf("--public-url: %w", err)
	}
	return server.Config{Log: log, PublicURL: publicURL}, nil
}

// cmdCertify issues the certificates of a session's approved, passing
// results, printing each issued and, on stderr, each result skipped with why.
func cmdCertify(ctx context.Context, args []string, stdout, stderr io.Writer, log *slog.Logger) error {
	f := newFlags("certify", "certify --data DIR --session ID [--public-url URL]")
	session := f.String("session", "", "session id")
	publicURL := publicURLFlag(f)
	if err := f.parse(args, 0, "session"); err != nil {
		return err
	}
	cfg, err := certConfig(log, *publicURL)
	if err != nil {
		return err
	}
	return f.with(ctx, cfg, func(c *server.Central) error {
		rep, err := c.Certify(ctx, *session, actor)
		if err != nil {
			return err
		}
		for _, s := range rep.Skipped {
			fmt.Fprintf(stderr, "no certificate: ticket %s: %s\n", s.Ticket, s.Why)
		}
		for _, ce := range rep.Issued {
			fmt.Fprintf(stdout, "%s\t%s\n", ce.Number, ce.Ticket)
		}
		fmt.Fprintf(stdout, "session %s: %d certificates issued, %d results without one\n", *session, len(rep.Issued), len(rep.Skipped))
		return nil
	})
}

// cmdCertificates lists a session's certificates as CSV or JSON.
func cmdCertificates(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	f, session, format, err := sessionListing("certificates", "json (with each certificate's QR text and verifiable credential)", args)
	if err != nil {
		return err
	}
	return f.with(ctx, server.Config{Log: log}, func(c *server.Central) error {
		certs, err := c.Certificates(ctx, session)
		if err != nil {
			return err
		}
		if format == "json" {
			return server.WriteCertificatesJSON(stdout, certs)
		}
		return server.WriteCertificatesCSV(stdout, certs)
	})
}

// sessionListing parses the flags of a command that prints a session's
// list as CSV or JSON (json says what the JSON holds): --session and
// --format csv|json.
func sessionListing(name, json string, args []string) (f *flags, session, format string, err error) {
	f = newFlags(name, name+" --data DIR --session ID --format csv|json")
	s := f.String("session", "", "session id")
	fm := f.String("format", "csv", "csv (UTF-8 with BOM, for Excel) or "+json)
	if err := f.parse(args, 0, "session"); err != nil {
		return nil, "", "", err
	}
	if *fm != "csv" && *fm != "json" {
		return nil, "", "", fmt.Errorf("--format %q is not csv or json", *fm)
	}
	return f, *s, *fm, nil
}

// cmdCertificateStatus revokes, suspends or reinstates a certificate.
func cmdCertificateStatus(ctx context.Context, cmd string, args []string, stdout io.Writer, log *slog.Logger) error {
	f := newFlags(cmd, cmd+" --data DIR --number N --reason TEXT")
	number := f.String("number", "", "certificate number")
	reason := f.String("reason", "", "why (kept with the certificate and in the audit log)")
	if err := f.parse(args, 0, "number", "reason"); err != nil {
		return err
	}
	return f.with(ctx, server.Config{Log: log}, func(c *server.Central) error {
		ce, err := c.SetCertificateStatus(ctx, *number, server.StatusVerbs[cmd], *reason, actor)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "certificate %s: %s\n", ce.Number, ce.Status)
		return nil
	})
}

// cmdIssuer runs "issuer rotate": a new issuer key from now.
func cmdIssuer(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	if len(args) == 0 || args[0] != "rotate" {
		return errors.New(`issuer: the subcommand is "rotate"`)
	}
	f := newFlags("issuer rotate", "issuer rotate --data DIR")
	if err := f.parse(args[1:], 0); err != nil {
		return err
	}
	return f.with(ctx, server.Config{Log: log}, func(c *server.Central) error {
		kid, err := c.RotateIssuerKey(ctx, actor)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "issuer key %s signs from now; the key before verifies what it signed until now\n", hex.EncodeToString(kid))
		return nil
	})
}

// cmdCertificatePDF writes a certificate's PDF to a file.
func cmdCertificatePDF(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	f := newFlags("certificate-pdf", "certificate-pdf --data DIR --number N --out FILE [--public-url URL]")
	number := f.String("number", "", "certificate number")
	out := f.String("out", "", "the PDF file to write")
	publicURL := publicURLFlag(f)
	if err := f.parse(args, 0, "number", "out"); err != nil {
		return err
	}
	cfg, err := certConfig(log, *publicURL)
	if err != nil {
		return err
	}
	return f.with(ctx, cfg, func(c *server.Central) error {
		tmp, err := os.CreateTemp(filepath.Dir(*out), ".certificate-*.pdf")
		if err != nil {
			return err
		}
		defer os.Remove(tmp.Name())
		if err := c.CertificatePDF(ctx, *number, tmp); err != nil {
			tmp.Close()
			return err
		}
		if err := tmp.Close(); err != nil {
			return err
		}
		if err := os.Rename(tmp.Name(), *out); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "certificate %s: %s\n", *number, *out)
		return nil
	})
}
