package policy

import "testing"

func TestEvaluateKey(t *testing.T) {
	const keyARN = "arn:aws:kms:us-east-1:" + acct + ":key/1234abcd-12ab-34cd-56ef-1234567890ab"
	keyPolicy := func(principal string) string {
		return `{"Version":"2012-10-17","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":` + principal + `,"Action":"kms:*","Resource":"*"}]}`
	}
	const allowKMS = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}`
	const denyKMS = `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}}`
	sess := roleSession("app", "s")
	root := Principal{Type: Root, ARN: "arn:aws:iam::" + acct + ":root", Account: acct}
	other := Principal{Type: AssumedRole, ARN: "arn:aws:sts::210987654321:assumed-role/x/y", Account: "210987654321", RoleARN: "arn:aws:iam::210987654321:role/x"}
	tests := []struct {
		name     string
		p        Principal
		identity []string
		key      string // "" means no key policy
		want     Effect
		wantText string
	}{
		{"delegated, identity allows", sess, []string{allowKMS}, keyPolicy(`{"AWS":"arn:aws:iam::` + acct + `:root"}`), Allow, ""},
		{"delegated by account ID, identity allows", sess, []string{allowKMS}, keyPolicy(`{"AWS":"` + acct + `"}`), Allow, ""},
		{"delegated, identity silent", sess, nil, keyPolicy(`{"AWS":"arn:aws:iam::` + acct + `:root"}`), ImplicitDeny, "because no identity-based policy allows the kms:Decrypt action"},
		{"not delegated, identity allows", sess, []string{allowKMS}, keyPolicy(`{"AWS":"arn:aws:iam::` + acct + `:role/admin"}`), ImplicitDeny, "because no resource-based policy allows the kms:Decrypt action"},
		{"not delegated, identity silent", sess, nil, keyPolicy(`{"AWS":"arn:aws:iam::` + acct + `:role/admin"}`), ImplicitDeny, "because no resource-based policy allows the kms:Decrypt action"},
		{"no key policy", sess, []string{allowKMS}, "", ImplicitDeny, "because no resource-based policy allows the kms:Decrypt action"},
		{"key names role", sess, nil, keyPolicy(`{"AWS":"` + sess.RoleARN + `"}`), Allow, ""},
		{"identity deny wins over key", sess, []string{denyKMS}, keyPolicy(`{"AWS":"` + sess.RoleARN + `"}`), ExplicitDeny, "with an explicit deny in an identity-based policy"},
		{"root delegated", root, nil, keyPolicy(`{"AWS":"arn:aws:iam::` + acct + `:root"}`), Allow, ""},
		{"root not named", root, nil, keyPolicy(`{"AWS":"arn:aws:iam::` + acct + `:role/admin"}`), ImplicitDeny, "because no resource-based policy allows the kms:Decrypt action"},
		{"other account not named", other, []string{allowKMS}, keyPolicy(`{"AWS":"arn:aws:iam::` + acct + `:root"}`), ImplicitDeny, "because no resource-based policy allows the kms:Decrypt action"},
		{"other account delegated", other, []string{allowKMS}, keyPolicy(`{"AWS":"arn:aws:iam::210987654321:root"}`), Allow, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var set *PolicySet
			if tt.p.Type != Root {
				set = identitySet(t, tt.identity...)
			}
			r := Request{Principal: tt.p, Action: "kms:Decrypt", Resource: keyARN, ResourceAccount: acct}
			if tt.key != "" {
				r.ResourcePolicy = mustParse(t, tt.key, Resource)
			}
			d := EvaluateKey(set, &r)
			if d.Effect != tt.want {
				t.Fatalf("effect = %v (source %v), want %v", d.Effect, d.Source, tt.want)
			}
			if tt.wantText != "" && d.Reason("kms:Decrypt") != tt.wantText {
				t.Fatalf("reason = %q, want %q", d.Reason("kms:Decrypt"), tt.wantText)
			}
		})
	}
}
