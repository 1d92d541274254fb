package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"onex/server"
)

// cmdUser adds an office user, or sets an existing user's password and
// role (audited): how the office gets its markers and lead markers.
func cmdUser(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New(`user: the subcommand is "add"`)
	}
	f := newFlags("user add", "user add --data DIR --name NAME --role "+strings.Join(server.Roles, "|")+" --password-file F")
	name := f.String("name", "", "the user's name, which they sign in with")
	role := f.String("role", "", "the user's role: "+strings.Join(server.Roles, ", ")+" (lead: 题组长, marks and arbitrates)")
	pwFile := f.String("password-file", "", "file holding the user's password (at least 10 characters)")
	if err := f.parse(args[1:], 0, "name", "role", "password-file"); err != nil {
		return err
	}
	b, err := os.ReadFile(*pwFile)
	if err != nil {
		return err
	}
	password := strings.TrimRight(string(b), "\r\n")
	return f.print(ctx, log, stdout, func(c *server.Central) (string, error) {
		return fmt.Sprintf("user %s, role %s", *name, *role), c.PutUser(ctx, *name, password, *role, actor)
	})
}
