package catalog

import "strings"

// Access is the access level the reference classifies an action under.
// A few actions are classified under two levels, such as sts:TagSession
// ("Tagging, Write"), so Access is a set.
type Access uint8

// The access levels, in the reference's own order of precedence for
// policy summaries.
const (
	List Access = 1 << iota
	Read
	Write
	PermissionsManagement
	Tagging
)

var accessNames = [...]struct {
	a    Access
	name string
}{ // alphabetical, the order the reference joins them in
	{List, "List"},
	{PermissionsManagement, "Permissions management"},
	{Read, "Read"},
	{Tagging, "Tagging"},
	{Write, "Write"},
}

// Has reports whether a includes every level of b.
func (a Access) Has(b Access) bool { return a&b == b }

// String returns the levels as the reference writes them: "Read",
// "Permissions management", "Tagging, Write".
func (a Access) String() string {
	var parts []string
	for _, n := range accessNames {
		if a&n.a != 0 {
			parts = append(parts, n.name)
		}
	}
	return strings.Join(parts, ", ")
}

// parseAccess parses the reference's access level column.
func parseAccess(s string) Access {
	var a Access
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		for _, n := range accessNames {
			if strings.EqualFold(part, n.name) {
				a |= n.a
			}
		}
	}
	return a
}
