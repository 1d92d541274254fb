// Command onex-central is the central office's server.
//
//	onex-central serve [--addr 127.0.0.1:8080]
//
// serve loads the embedded sample catalogue and paper and serves the office
// pages under /office/ and /healthz.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"onex/assets"
	"onex/exam"
	"onex/server"
)

const usage = `usage: onex-central <command> [flags]

commands:
  serve   serve the office pages and API (--addr, default 127.0.0.1:8080)

Run "onex-central <command> --help" for a command's flags.
`

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(context.Background(), os.Args[1:], log); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "onex-central:", err)
		}
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, log *slog.Logger) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(os.Stderr, usage)
		if len(args) == 0 {
			return errors.New("no command")
		}
		return nil
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], log)
	}
	return fmt.Errorf("unknown command %q (try --help)", args[0])
}

func serve(ctx context.Context, args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	srv, err := sampleServer(log)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	hs := &http.Server{Addr: *addr, Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.ListenAndServe() }()
	log.Info("central listening", "addr", "http://"+*addr+"/office/")
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return hs.Shutdown(shut)
	}
}

// sampleServer is central over the embedded sample catalogue and paper.
func sampleServer(log *slog.Logger) (*server.Server, error) {
	open := func(name string) (io.ReadCloser, error) { return assets.Samples.Open("samples/" + name) }
	f, err := open("catalogue.json")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cat, err := exam.ReadCatalogue(f)
	if err != nil {
		return nil, fmt.Errorf("samples/catalogue.json: %w", err)
	}
	g, err := open("paper-web-elementary.json")
	if err != nil {
		return nil, err
	}
	defer g.Close()
	paper, err := exam.ReadPaper(g)
	if err != nil {
		return nil, fmt.Errorf("samples/paper-web-elementary.json: %w", err)
	}
	return &server.Server{Catalogue: cat, Papers: []*exam.Paper{paper}, Log: log}, nil
}
