package policy

import (
	"testing"
)

const acct = "123456789012"

func mustParse(t testing.TB, doc string, kind Kind) *Policy {
	t.Helper()
	p, err := Parse(doc, kind)
	if err != nil {
		t.Fatalf("Parse(%s): %v", doc, err)
	}
	return p
}

// roleSession is the principal of a Lambda function running as role.
func roleSession(role, session string) Principal {
	return Principal{
		Type:    AssumedRole,
		ARN:     "arn:aws:sts::" + acct + ":assumed-role/" + role + "/" + session,
		Account: acct,
		RoleARN: "arn:aws:iam::" + acct + ":role/" + role,
	}
}

func iamUser(name string) Principal {
	return Principal{Type: User, ARN: "arn:aws:iam::" + acct + ":user/" + name, Account: acct}
}

// ctxOf builds a Context from key/value pairs; a value slice of length
// other than one makes a multivalued key.
func ctxOf(kv map[string][]string) *Context {
	c := new(Context)
	for k, v := range kv {
		if len(v) == 1 {
			c.Set(k, v[0])
		} else {
			c.SetMulti(k, v...)
		}
	}
	return c
}

func identitySet(t testing.TB, docs ...string) *PolicySet {
	t.Helper()
	var in SetInput
	for i, d := range docs {
		in.Identity = append(in.Identity, Named{ID: "p" + string(rune('0'+i)), Policy: mustParse(t, d, Identity)})
	}
	return Compile(in)
}
