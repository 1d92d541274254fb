// Package public is central's pages for anyone, with no sign-in: what a
// candidate, an employer or the public may look up.
package public

import (
	"log/slog"
	"net/http"

	"onex/server"
)

// Routes adds the public pages to mux.
func Routes(mux *http.ServeMux, c *server.Central, log *slog.Logger) {}
