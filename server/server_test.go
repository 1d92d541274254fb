package server_test

import (
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"onex/assets"
	"onex/exam"
	"onex/server"
)

func sampleServer(t *testing.T) *httptest.Server {
	t.Helper()
	f, err := assets.Samples.Open("samples/catalogue.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cat, err := exam.ReadCatalogue(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := fs.ReadFile(assets.Samples, "samples/paper-web-elementary.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := exam.ReadPaper(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	s := &server.Server{Catalogue: cat, Papers: []*exam.Paper{p}, Log: slog.New(slog.DiscardHandler)}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHealthz(t *testing.T) {
	ts := sampleServer(t)
	if code, body := get(t, ts.URL+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("healthz = %d %q", code, body)
	}
}

func TestOfficeCataloguePage(t *testing.T) {
	ts := sampleServer(t)
	code, body := get(t, ts.URL+"/office/")
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	for _, want := range []string{"Web前端开发职业技能等级证书", "初级 60% / 4", "高级 70% / 8", "SITE-001", "A102", "WEB-E-2026-A v1", "11 / 96"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// Central's overview lists papers but never their questions.
	if strings.Contains(body, "typeof null") {
		t.Error("the catalogue page shows a question")
	}
	if code, _ := get(t, ts.URL+"/office/nope"); code != http.StatusNotFound {
		t.Errorf("unknown page = %d", code)
	}
}
