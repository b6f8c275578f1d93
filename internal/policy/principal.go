package policy

import (
	"slices"
	"strings"
)

// principals is a compiled Principal or NotPrincipal element.
type principals struct {
	all       bool     // "*" or {"AWS": "*"}
	accounts  []string // account IDs, from account root ARNs or bare IDs
	users     []string // IAM user ARNs
	roles     []string // IAM role ARNs
	ids       []string // unique IDs of IAM users (AIDA...) and roles (AROA...)
	sessions  []string // assumed-role session ARNs
	fedUsers  []string // federated-user session ARNs
	services  []string // service principals, lower-cased
	federated []string // identity providers
	canonical []string // S3 canonical user IDs (never match a caller here)
	raw       Principals
}

// grant is how strongly a resource-based policy statement names a
// principal, which decides what else must allow the request.
type grant uint8

const (
	grantNone grant = iota
	// grantDelegate: the account is named; same-account principals still
	// need their own policies to allow.
	grantDelegate
	// grantCapped: the role is named; the grant stands on its own but is
	// limited by a permissions boundary and session policy.
	grantCapped
	// grantDirect: the user, session or service itself, or everyone ("*"),
	// is named; the grant stands on its own.
	grantDirect
)

// compilePrincipals compiles the value of a Principal element.
func compilePrincipals(v *jvalue) (*principals, error) {
	ps := &principals{raw: Principals{}}
	if v.kind == jString {
		if v.str != "*" {
			return nil, errSyntax
		}
		ps.all = true
		ps.raw["*"] = []string{"*"}
		return ps, nil
	}
	if v.kind != jObject {
		return nil, errSyntax
	}
	if len(v.keys) == 0 {
		return nil, errNoPrincipals
	}
	for i, typ := range v.keys {
		vals, ok := v.vals[i].strings()
		if !ok {
			return nil, errSyntax
		}
		if len(vals) == 0 {
			return nil, errNoPrincipals
		}
		ps.raw[typ] = vals
		for _, s := range vals {
			if err := ps.add(typ, s); err != nil {
				return nil, err
			}
		}
	}
	return ps, nil
}

func (ps *principals) add(typ, s string) error {
	switch typ {
	case "AWS":
		if s == "*" {
			ps.all = true
			return nil
		}
		if isAccountID(s) {
			ps.accounts = append(ps.accounts, s)
			return nil
		}
		if IsUniqueID(s) {
			ps.ids = append(ps.ids, s)
			return nil
		}
		parts, n := splitResource(s)
		if n != 6 || parts[0] != "arn" || !validPartition(parts[1]) || parts[3] != "" ||
			!isAccountID(parts[4]) || strings.ContainsAny(s, "*?") {
			return invalidPrincipal("AWS", s)
		}
		res := parts[5]
		switch {
		case parts[2] == "iam" && res == "root":
			ps.accounts = append(ps.accounts, parts[4])
		case parts[2] == "iam" && strings.HasPrefix(res, "user/") && len(res) > len("user/"):
			ps.users = append(ps.users, s)
		case parts[2] == "iam" && strings.HasPrefix(res, "role/") && len(res) > len("role/"):
			ps.roles = append(ps.roles, s)
		case parts[2] == "sts" && strings.HasPrefix(res, "assumed-role/") && strings.Count(res, "/") == 2:
			ps.sessions = append(ps.sessions, s)
		case parts[2] == "sts" && strings.HasPrefix(res, "federated-user/") && len(res) > len("federated-user/"):
			ps.fedUsers = append(ps.fedUsers, s)
		default:
			return invalidPrincipal("AWS", s)
		}
	case "Service":
		if s == "" || strings.ContainsAny(s, "*? \t\n") {
			return invalidPrincipal("SERVICE", s)
		}
		ps.services = append(ps.services, strings.ToLower(s))
	case "Federated":
		if s == "" || strings.ContainsAny(s, "*?") {
			return invalidPrincipal("FEDERATED", s)
		}
		ps.federated = append(ps.federated, s)
	case "CanonicalUser":
		if s == "" || strings.ContainsAny(s, "*?") {
			return invalidPrincipal("CANONICALUSER", s)
		}
		ps.canonical = append(ps.canonical, s)
	default:
		return errSyntax
	}
	return nil
}

func invalidPrincipal(typ, s string) error {
	return perr(`Invalid principal in policy: "` + typ + `":"` + s + `"`)
}

func isAccountID(s string) bool { return len(s) == 12 && isDigits(s, 0, 12) }

// IsUniqueID reports whether s is the unique ID of an IAM user (AIDA...)
// or role (AROA...): the prefix and 17 upper-case letters or digits. IAM
// keeps the users and roles a policy names by these IDs and shows the ID
// in place of the ARN once the entity is deleted ("Principal" element, IAM
// User Guide); such a principal names only the entity that had the ID.
func IsUniqueID(s string) bool {
	if len(s) != 21 || !strings.HasPrefix(s, "AIDA") && !strings.HasPrefix(s, "AROA") {
		return false
	}
	for i := 4; i < len(s); i++ {
		if c := s[i]; (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// namesID reports whether the element names the unique ID id.
func (ps *principals) namesID(id string) bool {
	return id != "" && slices.Contains(ps.ids, id)
}

// match reports how the element names p.
func (ps *principals) match(p *Principal) grant {
	best := grantNone
	if ps.all {
		best = grantDirect
	}
	up := func(g grant) {
		if g > best {
			best = g
		}
	}
	switch p.Type {
	case Root, User, Role, AssumedRole, FederatedUser:
		if p.Account != "" && slices.Contains(ps.accounts, p.Account) {
			up(grantDelegate)
		}
	}
	switch p.Type {
	case User:
		if slices.Contains(ps.users, p.ARN) || ps.namesID(p.ID) {
			up(grantDirect)
		}
	case Role:
		if slices.Contains(ps.roles, p.ARN) || ps.namesID(p.ID) {
			up(grantCapped)
		}
	case AssumedRole:
		if slices.Contains(ps.sessions, p.ARN) {
			up(grantDirect)
		} else if p.RoleARN != "" && slices.Contains(ps.roles, p.RoleARN) || ps.namesID(p.ID) {
			up(grantCapped)
		}
	case FederatedUser:
		if slices.Contains(ps.fedUsers, p.ARN) {
			up(grantDirect)
		}
	case Service:
		for _, s := range ps.services {
			if strings.EqualFold(s, p.ARN) {
				up(grantDirect)
			}
		}
	case WebIdentity:
		if slices.Contains(ps.federated, p.ARN) {
			up(grantDirect)
		}
	}
	return best
}

// names reports whether the role or session itself is named (not merely
// its account or everyone), as a role assuming itself requires.
func (ps *principals) names(p *Principal) bool {
	return p.Type == AssumedRole && (slices.Contains(ps.sessions, p.ARN) ||
		p.RoleARN != "" && slices.Contains(ps.roles, p.RoleARN) || ps.namesID(p.ID))
}

// excludes reports whether a NotPrincipal element exempts p. Every identity
// in p's chain must be listed: the account, and for a role session also the
// role and the session; for a user, the user.
func (ps *principals) excludes(p *Principal) bool {
	if ps.all {
		return true
	}
	acct := p.Account != "" && slices.Contains(ps.accounts, p.Account)
	switch p.Type {
	case Root:
		return acct
	case User:
		return acct && (slices.Contains(ps.users, p.ARN) || ps.namesID(p.ID))
	case Role:
		return acct && (slices.Contains(ps.roles, p.ARN) || ps.namesID(p.ID))
	case AssumedRole:
		return acct && (slices.Contains(ps.roles, p.RoleARN) || ps.namesID(p.ID)) && slices.Contains(ps.sessions, p.ARN)
	case FederatedUser:
		return acct && slices.Contains(ps.fedUsers, p.ARN)
	case Service:
		for _, s := range ps.services {
			if strings.EqualFold(s, p.ARN) {
				return true
			}
		}
	case WebIdentity:
		return slices.Contains(ps.federated, p.ARN)
	}
	return false
}
