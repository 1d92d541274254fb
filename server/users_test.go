package server_test

import (
	"testing"

	"onex/server"
)

// TestAllows is the whole table of roles and accesses: Allows is the one
// rule the office pages and the marking service ask.
func TestAllows(t *testing.T) {
	accesses := []server.Access{server.Read, server.Oversee, server.Rosters, server.Write, server.Admin, server.Mark, server.Lead}
	names := []string{"Read", "Oversee", "Rosters", "Write", "Admin", "Mark", "Lead"}
	want := map[string][]bool{
		//                       Read  Oversee Rosters Write  Admin  Mark   Lead
		server.RoleAdmin:     {true, true, true, true, true, true, true},
		server.RoleStaff:     {true, true, true, true, false, false, false},
		server.RoleInspector: {true, true, false, false, false, false, false},
		server.RoleMarker:    {true, false, false, false, false, true, false},
		server.RoleLead:      {true, false, false, false, false, true, true},
		"":                   {false, false, false, false, false, false, false},
		"root":               {false, false, false, false, false, false, false},
	}
	for _, role := range server.Roles {
		if _, ok := want[role]; !ok {
			t.Errorf("role %s has no row in the table", role)
		}
	}
	for role, row := range want {
		for i, a := range accesses {
			if got := server.Allows(role, a); got != row[i] {
				t.Errorf("Allows(%q, %s) = %v, want %v", role, names[i], got, row[i])
			}
		}
	}
}
