package catalog

import (
	"slices"
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	c := Load()
	if c != Load() {
		t.Error("Load returned a different catalog on its second call")
	}
	if !strings.HasPrefix(c.Version(), "0.") {
		t.Errorf("Version() = %q", c.Version())
	}
	if n := len(c.Services()); n < 400 {
		t.Errorf("%d services, want hundreds", n)
	}
	if !slices.IsSortedFunc(c.Services(), func(a, b *Service) int { return strings.Compare(a.Prefix, b.Prefix) }) {
		t.Error("Services() not sorted by prefix")
	}
}

func TestService(t *testing.T) {
	for _, tt := range []struct{ prefix, name string }{
		{"lambda", "AWS Lambda"},
		{"LAMBDA", "AWS Lambda"},
		{"iam", "AWS Identity and Access Management (IAM)"},
		{"sts", "AWS Security Token Service"},
		{"logs", "Amazon CloudWatch Logs"},
		{"s3", "Amazon S3"},
	} {
		s := Load().Service(tt.prefix)
		if s == nil {
			t.Errorf("Service(%q) = nil", tt.prefix)
			continue
		}
		if s.Name != tt.name || !strings.EqualFold(s.Prefix, tt.prefix) {
			t.Errorf("Service(%q) = %q %q, want %q", tt.prefix, s.Prefix, s.Name, tt.name)
		}
	}
	if s := Load().Service("nosuchservice"); s != nil {
		t.Errorf("Service(nosuchservice) = %v", s.Prefix)
	}
}

func TestAction(t *testing.T) {
	type res struct {
		typ      string
		required bool
		arn      string
	}
	for _, tt := range []struct {
		name   string
		full   string
		access Access
		res    []res
		keys   []string // among SupportedKeys
	}{
		{
			name: "lambda:InvokeFunction", full: "lambda:InvokeFunction", access: Write,
			res:  []res{{"function", true, "arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}"}},
			keys: []string{"lambda:EventSourceToken", "aws:ResourceTag/${TagKey}"},
		},
		{
			name: "LAMBDA:invokefunction", full: "lambda:InvokeFunction", access: Write,
		},
		{
			name: "iam:PassRole", full: "iam:PassRole", access: Write,
			res:  []res{{"role", true, "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}"}},
			keys: []string{"iam:PassedToService", "iam:AssociatedResourceArn"},
		},
		{
			name: "s3:GetObject", full: "s3:GetObject", access: Read,
			res:  []res{{"object", false, "arn:${Partition}:s3:::${BucketName}/${ObjectName}"}},
			keys: []string{"s3:ExistingObjectTag/<key>"},
		},
		{
			name: "s3:ListBucket", full: "s3:ListBucket", access: List,
			keys: []string{"s3:prefix", "s3:delimiter"},
		},
		{name: "iam:PutRolePolicy", full: "iam:PutRolePolicy", access: PermissionsManagement},
		{name: "sts:TagSession", full: "sts:TagSession", access: Tagging},
		{name: "sts:AssumeRole", full: "sts:AssumeRole", access: Write, keys: []string{"sts:ExternalId", "sts:RoleSessionName"}},
		{
			name: "lambda:CreateFunction", full: "lambda:CreateFunction", access: Write,
			keys: []string{"lambda:Layer", "aws:RequestTag/${TagKey}", "aws:TagKeys"},
		},
		{name: "logs:PutLogEvents", full: "logs:PutLogEvents", access: Write},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := Load().Action(tt.name)
			if a == nil {
				t.Fatalf("Action(%q) = nil", tt.name)
			}
			if a.String() != tt.full {
				t.Errorf("String() = %q, want %q", a.String(), tt.full)
			}
			if !a.Access.Has(tt.access) {
				t.Errorf("Access = %v, want %v", a.Access, tt.access)
			}
			for _, r := range tt.res {
				i := slices.IndexFunc(a.Resources, func(ar ActionResource) bool { return ar.Type.Name == r.typ })
				if i < 0 {
					t.Errorf("no resource type %q in %v", r.typ, a.Resources)
					continue
				}
				ar := a.Resources[i]
				if ar.Required != r.required || ar.Type.ARN != r.arn {
					t.Errorf("resource %q: required %v ARN %q, want %v %q", r.typ, ar.Required, ar.Type.ARN, r.required, r.arn)
				}
			}
			for _, k := range tt.keys {
				if !slices.ContainsFunc(a.SupportedKeys(), func(ck *ConditionKey) bool { return ck.Name == k }) {
					t.Errorf("SupportedKeys() lacks %s", k)
				}
			}
		})
	}
	for _, name := range []string{"lambda:NoSuchAction", "nosuch:GetObject", "s3:Get*", "s3", "", ":"} {
		if a := Load().Action(name); a != nil {
			t.Errorf("Action(%q) = %v, want nil", name, a)
		}
	}
}

func TestActionSupports(t *testing.T) {
	c := Load()
	for _, tt := range []struct {
		action, key string
		want        bool
	}{
		{"iam:PassRole", "iam:PassedToService", true},
		{"iam:PassRole", "IAM:passedtoservice", true},
		{"iam:PassRole", "aws:SourceIp", true},             // global
		{"iam:PassRole", "aws:PrincipalTag/team", true},    // global, templated
		{"iam:PassRole", "aws:ResourceTag/team", true},     // the role's tags
		{"iam:PassRole", "s3:prefix", false},               // another service's
		{"iam:PassRole", "iam:PermissionsBoundary", false}, // another action's
		{"lambda:InvokeFunction", "aws:ResourceTag/env", true},
		{"lambda:InvokeFunction", "aws:RequestTag/env", false}, // scoped global key
		{"lambda:InvokeFunction", "aws:TagKeys", false},
		{"lambda:TagResource", "aws:TagKeys", true},
		{"lambda:CreateFunction", "lambda:Layer", true},
		{"s3:ListBucket", "s3:prefix", true},
		{"s3:GetObject", "s3:prefix", false},
		{"s3:GetObject", "lambda:SourceFunctionArn", true}, // a session key
		{"dynamodb:GetItem", "ec2:SourceInstanceArn", true},
		{"s3:GetObject", "s3:ExistingObjectTag/team", true},
	} {
		a := c.Action(tt.action)
		if a == nil {
			t.Errorf("Action(%q) = nil", tt.action)
			continue
		}
		if got := a.Supports(tt.key); got != tt.want {
			t.Errorf("%s.Supports(%q) = %v, want %v", tt.action, tt.key, got, tt.want)
		}
	}
}

func TestConditionKey(t *testing.T) {
	for _, tt := range []struct {
		name   string
		key    string // the matched key's Name
		typ    KeyType
		multi  bool
		global bool
	}{
		{"s3:prefix", "s3:prefix", TypeString, false, false},
		{"S3:Prefix", "s3:prefix", TypeString, false, false},
		{"lambda:SourceFunctionArn", "lambda:SourceFunctionArn", TypeARN, false, false},
		{"iam:PassedToService", "iam:PassedToService", TypeString, false, false},
		{"lambda:Layer", "lambda:Layer", TypeArrayOfString, true, false},
		{"aws:TagKeys", "aws:TagKeys", TypeArrayOfString, true, true},
		{"aws:CalledVia", "aws:CalledVia", TypeArrayOfString, true, true},
		{"aws:PrincipalServiceNamesList", "aws:PrincipalServiceNamesList", TypeArrayOfString, true, true},
		{"aws:PrincipalOrgPaths", "aws:PrincipalOrgPaths", TypeArrayOfString, true, true},
		{"aws:SourceIp", "aws:SourceIp", TypeIPAddress, false, true},
		{"aws:SecureTransport", "aws:SecureTransport", TypeBool, false, true},
		{"aws:CurrentTime", "aws:CurrentTime", TypeDate, false, true},
		{"aws:MultiFactorAuthAge", "aws:MultiFactorAuthAge", TypeNumeric, false, true},
		{"aws:PrincipalArn", "aws:PrincipalArn", TypeARN, false, true},
		{"aws:PrincipalTag/team", "aws:PrincipalTag/${TagKey}", TypeString, false, true},
		{"AWS:principaltag/Cost-Center", "aws:PrincipalTag/${TagKey}", TypeString, false, true},
		{"aws:RequestTag/a:b/c", "aws:RequestTag/${TagKey}", TypeString, false, true},
		{"aws:ResourceTag/env", "aws:ResourceTag/${TagKey}", TypeString, false, true},
		{"ec2:ResourceTag/env", "ec2:ResourceTag/${TagKey}", TypeString, false, false},
		{"kms:EncryptionContext:Department", "kms:EncryptionContext:${EncryptionContextKey}", TypeString, false, false},
		{"codebuild:secondarySources/src1.auth.type", "codebuild:secondarySources/${sourceIdentifier}.auth.type", TypeString, false, false},
		{"token.actions.githubusercontent.com:actor", "token.actions.githubusercontent.com:actor", TypeString, false, false},
		{"s3:ExistingObjectTag/team", "s3:ExistingObjectTag/<key>", TypeString, false, false},
		{"github.com/enterprises/acme:actor", "github.com/enterprises/${EnterpriseName}:actor", TypeString, false, false},
		{"identitystore:UserId", "identitystore:UserId", TypeString, false, false}, // the owning service's type wins
	} {
		k := Load().ConditionKey(tt.name)
		if k == nil {
			t.Errorf("ConditionKey(%q) = nil", tt.name)
			continue
		}
		if k.Name != tt.key || k.Type != tt.typ || k.MultiValued() != tt.multi || k.Global != tt.global {
			t.Errorf("ConditionKey(%q) = %s %s multi=%v global=%v, want %s %s multi=%v global=%v",
				tt.name, k.Name, k.Type, k.MultiValued(), k.Global, tt.key, tt.typ, tt.multi, tt.global)
		}
	}
	for _, name := range []string{
		"aws:NoSuchKey", "aws:PrincipalTag/", "aws:PrincipalTag", "s3:nosuchkey", "nosuch:key", "", "aws:",
		"kms:EncryptionContext:",
	} {
		if k := Load().ConditionKey(name); k != nil {
			t.Errorf("ConditionKey(%q) = %s, want nil", name, k.Name)
		}
	}
}

func TestResourceType(t *testing.T) {
	for _, tt := range []struct{ service, name, arn string }{
		{"lambda", "function", "arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}"},
		{"Lambda", "FUNCTION", "arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}"},
		{"iam", "role", "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}"},
		{"logs", "log-group", "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}"},
		{"s3", "bucket", "arn:${Partition}:s3:::${BucketName}"},
	} {
		r := Load().ResourceType(tt.service, tt.name)
		if r == nil {
			t.Errorf("ResourceType(%q, %q) = nil", tt.service, tt.name)
			continue
		}
		if r.ARN != tt.arn {
			t.Errorf("ResourceType(%q, %q).ARN = %q, want %q", tt.service, tt.name, r.ARN, tt.arn)
		}
	}
	if r := Load().ResourceType("lambda", "nosuch"); r != nil {
		t.Errorf("ResourceType(lambda, nosuch) = %v", r.Name)
	}
	if r := Load().ResourceType("nosuch", "function"); r != nil {
		t.Errorf("ResourceType(nosuch, function) = %v", r.Name)
	}
}

func names(as []*Action) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}

func TestMatchActions(t *testing.T) {
	c := Load()
	for _, tt := range []struct {
		pattern string
		has     []string
		hasNot  []string
		min     int
	}{
		{pattern: "s3:Get*", has: []string{"s3:GetObject", "s3:GetBucketPolicy"}, hasNot: []string{"s3:PutObject", "s3:ListBucket"}, min: 10},
		{pattern: "S3:get*", has: []string{"s3:GetObject"}, min: 10},
		{pattern: "s3:GetObject", has: []string{"s3:GetObject"}, min: 1},
		{pattern: "s3:getobject", has: []string{"s3:GetObject"}, min: 1},
		{pattern: "lambda:*", has: []string{"lambda:InvokeFunction", "lambda:CreateFunction"}, min: 50},
		{pattern: "lambda:Invoke?unction", has: []string{"lambda:InvokeFunction"}, min: 1},
		{pattern: "*:PassRole", has: []string{"iam:PassRole"}, min: 1},
		{pattern: "s*:GetObject", has: []string{"s3:GetObject"}, min: 1},
		{pattern: "iam:*Role*", has: []string{"iam:PassRole", "iam:CreateRole", "iam:PutRolePolicy"}, hasNot: []string{"iam:CreateUser"}, min: 10},
		{pattern: "*", has: []string{"s3:GetObject", "iam:PassRole"}, min: 10000},
		{pattern: "s3:NoSuch*"},
		{pattern: "nosuch:*"},
		{pattern: "s3"},
	} {
		got := names(c.MatchActions(tt.pattern))
		if len(got) < tt.min || (tt.min == 0 && len(got) != 0) {
			t.Errorf("MatchActions(%q) gave %d actions, want at least %d", tt.pattern, len(got), tt.min)
		}
		for _, a := range tt.has {
			if !slices.Contains(got, a) {
				t.Errorf("MatchActions(%q) lacks %s", tt.pattern, a)
			}
		}
		for _, a := range tt.hasNot {
			if slices.Contains(got, a) {
				t.Errorf("MatchActions(%q) has %s", tt.pattern, a)
			}
		}
	}
}

func TestWildcard(t *testing.T) {
	for _, tt := range []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "anything", true},
		{"Get*", "GetObject", true},
		{"get*", "GETOBJECT", true},
		{"Get*", "PutObject", false},
		{"*Object", "GetObject", true},
		{"*Obj*t", "GetObjectAcl", false},
		{"*Obj*t*", "GetObjectAcl", true},
		{"G?t", "Get", true},
		{"G?t", "Gt", false},
		{"a*b*c", "abbbc", true},
		{"a*b*c", "abbbd", false},
		{"", "", true},
		{"", "x", false},
	} {
		if got := wildcard(tt.pattern, tt.s); got != tt.want {
			t.Errorf("wildcard(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestAccess(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Access
		str  string
	}{
		{"Read", Read, "Read"},
		{"Write", Write, "Write"},
		{"List", List, "List"},
		{"Permissions management", PermissionsManagement, "Permissions management"},
		{"Tagging", Tagging, "Tagging"},
		{"Tagging, Write", Tagging | Write, "Tagging, Write"},
		{"Permissions management, Write", PermissionsManagement | Write, "Permissions management, Write"},
	} {
		got := parseAccess(tt.in)
		if got != tt.want || got.String() != tt.str {
			t.Errorf("parseAccess(%q) = %v (%q), want %v (%q)", tt.in, uint8(got), got, uint8(tt.want), tt.str)
		}
	}
}

// Every action's access level parses, and every resource row resolves to a
// resource type with an ARN format.
func TestDataIntegrity(t *testing.T) {
	for _, s := range Load().Services() {
		for _, a := range s.Actions {
			if a.Access == 0 {
				t.Errorf("%s: no access level", a)
			}
			if a.Service != s {
				t.Errorf("%s: Service is %s", a, a.Service.Prefix)
			}
			for _, r := range a.Resources {
				if r.Type == nil || r.Type.ARN == "" {
					t.Errorf("%s: resource row without an ARN format", a)
				}
			}
			for _, k := range a.SupportedKeys() {
				if k.Type == "" {
					t.Errorf("%s: condition key %s has no type", a, k.Name)
				}
			}
		}
	}
}

func TestLookupAllocs(t *testing.T) {
	c := Load()
	for _, name := range []string{"lambda:InvokeFunction", "lambda:invokefunction", "nosuch:Action"} {
		if n := testing.AllocsPerRun(100, func() { c.Action(name) }); n != 0 {
			t.Errorf("Action(%q) allocates %v times", name, n)
		}
	}
	for _, name := range []string{"aws:TagKeys", "aws:PrincipalTag/team", "lambda:SourceFunctionArn", "kms:EncryptionContext:x", "nosuch:key"} {
		if n := testing.AllocsPerRun(100, func() { c.ConditionKey(name) }); n != 0 {
			t.Errorf("ConditionKey(%q) allocates %v times", name, n)
		}
	}
	a := c.Action("lambda:TagResource")
	if n := testing.AllocsPerRun(100, func() { a.Supports("aws:TagKeys") }); n != 0 {
		t.Errorf("Supports allocates %v times", n)
	}
}

func TestTemplatePieces(t *testing.T) {
	for _, tt := range []struct {
		name   string
		pieces []string
	}{
		{"s3:prefix", nil},
		{"aws:PrincipalTag/${TagKey}", []string{"aws:PrincipalTag/", ""}},
		{"s3:ExistingObjectTag/<key>", []string{"s3:ExistingObjectTag/", ""}},
		{"kms:EncryptionContext:${EncryptionContextKey}", []string{"kms:EncryptionContext:", ""}},
		{"github.com/enterprises/${EnterpriseName}:actor", []string{"github.com/enterprises/", ":actor"}},
		{"a:${x}.mid.${y}.end", []string{"a:", ".mid.", ".end"}},
		{"a:${unterminated", nil},
	} {
		if got := newKey(tt.name, TypeString, "", false).pieces; !slices.Equal(got, tt.pieces) {
			t.Errorf("newKey(%q).pieces = %q, want %q", tt.name, got, tt.pieces)
		}
	}
	k := newKey("a:${x}.mid.${y}.end", TypeString, "", false)
	for s, want := range map[string]bool{
		"a:1.mid.2.end":         true,
		"A:one.MID.two.END":     true,
		"a:1.mid.2.mid.3.end":   true,
		"a:.mid.2.end":          false,
		"a:1.mid..end":          false,
		"a:1.mid.2.end.extra":   false,
		"a:1.mid.2.end.mid.end": true,
	} {
		if got := k.Matches(s); got != want {
			t.Errorf("Matches(%q) = %v, want %v", s, got, want)
		}
	}
}
