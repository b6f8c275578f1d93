package policy_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/policy"
)

// The generator below builds authorization cases over a small vocabulary of
// real actions, resource ARNs, condition operators and condition keys, so
// that random cases hit the same statements often enough to be interesting.
// The vocabulary holds only actions, resource types and context keys that
// AWS's service authorization reference lists together, so the same cases
// can be fed to the external oracle.

const (
	genAcct  = "123456789012" // the principal's account
	genOther = "210987654321" // another account, for cross-account requests
)

// genChooser yields the generator's choices.
type genChooser interface {
	intn(n int) int
}

// byteChooser takes its choices from fuzz input; once the input is used up
// every choice is 0.
type byteChooser struct{ b []byte }

func (c *byteChooser) intn(n int) int {
	if n <= 1 || len(c.b) == 0 {
		return 0
	}
	v := int(c.b[0])
	c.b = c.b[1:]
	return v % n
}

// randChooser takes its choices from a seeded pseudo-random source.
type randChooser struct{ r *rand.Rand }

func (c randChooser) intn(n int) int {
	if n <= 1 {
		return 0
	}
	return c.r.IntN(n)
}

func pick[T any](c genChooser, xs []T) T { return xs[c.intn(len(xs))] }

// chance reports true with probability pct percent.
func chance(c genChooser, pct int) bool { return c.intn(100) < pct }

// genKeyType is the type of a condition key in the service authorization
// reference.
type genKeyType int

const (
	kString genKeyType = iota
	kARN
	kIP
	kNumeric
	kDate
	kBool
	kStrings // ArrayOfString: multivalued
)

type genKey struct {
	name   string
	typ    genKeyType
	values []string // request values
}

// genGlobalKeys are global condition keys: valid for every action.
var genGlobalKeys = []genKey{
	{"aws:SourceIp", kIP, []string{"10.1.2.3", "192.0.2.10", "203.0.113.7", "2001:db8::1"}},
	{"aws:PrincipalTag/team", kString, []string{"data", "web", "Data"}},
	{"aws:PrincipalTag/env", kString, []string{"prod", "dev"}},
	{"aws:RequestTag/owner", kString, []string{"alice", "bob"}},
	{"aws:RequestedRegion", kString, []string{"us-east-1", "eu-west-1"}},
	{"aws:SecureTransport", kBool, []string{"true", "false"}},
	{"aws:CurrentTime", kDate, []string{"2024-05-01T12:00:00Z", "2023-12-31T23:59:59Z"}},
	{"aws:MultiFactorAuthAge", kNumeric, []string{"60", "3600", "86400"}},
	{"aws:SourceArn", kARN, []string{
		"arn:aws:lambda:us-east-1:" + genAcct + ":function:worker",
		"arn:aws:s3:::data-bucket",
		"arn:aws:sns:eu-west-1:" + genOther + ":alerts",
	}},
	{"lambda:SourceFunctionArn", kARN, []string{
		"arn:aws:lambda:us-east-1:" + genAcct + ":function:worker",
		"arn:aws:lambda:us-east-1:" + genAcct + ":function:other",
	}},
	{"aws:SourceAccount", kString, []string{genAcct, genOther}},
	{"aws:PrincipalServiceNamesList", kStrings, []string{"lambda.amazonaws.com", "events.amazonaws.com", "sqs.amazonaws.com"}},
	{"aws:CalledVia", kStrings, []string{"cloudformation.amazonaws.com", "athena.amazonaws.com"}},
	{"aws:TagKeys", kStrings, []string{"team", "env", "owner"}},
}

// genAction is an action with resources of its resource type and the
// service keys it supports.
type genAction struct {
	action    string
	resources []string // "{acct}" stands for the resource's account
	keys      []genKey
}

var genActions = []genAction{
	{"s3:GetObject", []string{"arn:aws:s3:::data-bucket/home/alice/notes.txt", "arn:aws:s3:::data-bucket/reports/2024/q1.csv", "arn:aws:s3:::logs-bucket/app/x.log"}, nil},
	{"s3:PutObject", []string{"arn:aws:s3:::data-bucket/home/data/up.bin", "arn:aws:s3:::logs-bucket/app/x.log"}, nil},
	{"s3:ListBucket", []string{"arn:aws:s3:::data-bucket", "arn:aws:s3:::logs-bucket"}, []genKey{
		{"s3:prefix", kString, []string{"home/", "home/alice/", "reports/"}},
		{"s3:max-keys", kNumeric, []string{"10", "1000"}},
	}},
	{"dynamodb:GetItem", []string{"arn:aws:dynamodb:us-east-1:{acct}:table/orders", "arn:aws:dynamodb:eu-west-1:{acct}:table/users"}, []genKey{
		{"dynamodb:LeadingKeys", kStrings, []string{"alice", "bob", "data"}},
	}},
	{"dynamodb:PutItem", []string{"arn:aws:dynamodb:us-east-1:{acct}:table/orders"}, []genKey{
		{"dynamodb:LeadingKeys", kStrings, []string{"alice", "bob"}},
	}},
	{"sqs:SendMessage", []string{"arn:aws:sqs:us-east-1:{acct}:jobs", "arn:aws:sqs:eu-west-1:{acct}:jobs-dlq"}, nil},
	{"sqs:ReceiveMessage", []string{"arn:aws:sqs:us-east-1:{acct}:jobs"}, nil},
	{"sns:Publish", []string{"arn:aws:sns:us-east-1:{acct}:alerts"}, nil},
	{"lambda:InvokeFunction", []string{"arn:aws:lambda:us-east-1:{acct}:function:worker", "arn:aws:lambda:us-east-1:{acct}:function:other"}, nil},
	{"logs:PutLogEvents", []string{"arn:aws:logs:us-east-1:{acct}:log-group:/aws/lambda/worker:log-stream:2024/05/01/abc"}, nil},
	{"secretsmanager:GetSecretValue", []string{"arn:aws:secretsmanager:us-east-1:{acct}:secret:db-pass-AbCdEf"}, nil},
	{"ssm:GetParameter", []string{"arn:aws:ssm:us-east-1:{acct}:parameter/app/db/url"}, nil},
}

// genActionPatterns are Action/NotAction entries, from exact to broad.
var genActionPatterns = []string{
	"s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:Get*", "s3:*", "S3:getobject", "s3:*Object",
	"dynamodb:GetItem", "dynamodb:*Item", "dynamodb:*",
	"sqs:SendMessage", "sqs:?endMessage", "sqs:*",
	"sns:Publish", "lambda:Invoke*", "logs:Put*", "logs:*",
	"secretsmanager:GetSecretValue", "ssm:GetParam*", "*",
}

// genResourcePatterns are Resource/NotResource entries. "{acct}" is
// replaced by either account.
var genResourcePatterns = []string{
	"*",
	"arn:aws:s3:::data-bucket/*",
	"arn:aws:s3:::data-bucket",
	"arn:aws:s3:::*-bucket/*",
	"arn:aws:s3:::data-bucke?/home/*",
	"arn:aws:s3:::data-bucket/home/${aws:PrincipalTag/team}/*",
	"arn:aws:s3:::data-bucket/home/${aws:PrincipalTag/dept, 'alice'}/*",
	"arn:aws:s3:::logs-bucket/app/x.log",
	"arn:aws:dynamodb:*:*:table/orders",
	"arn:aws:dynamodb:us-east-1:{acct}:table/*",
	"arn:aws:dynamodb:*:*:table/${aws:PrincipalTag/team}",
	"arn:aws:sqs:*:{acct}:jobs*",
	"arn:aws:sqs:us-east-1:{acct}:jobs",
	"arn:aws:sns:us-east-1:*:alerts",
	"arn:aws:lambda:us-east-1:{acct}:function:*",
	"arn:aws:lambda:*:*:function:work?r",
	"arn:aws:logs:*:*:log-group:/aws/lambda/*",
	"arn:aws:logs:us-east-1:{acct}:log-group:/aws/lambda/worker:*",
	"arn:aws:secretsmanager:*:*:secret:db-*",
	"arn:aws:ssm:us-east-1:{acct}:parameter/app/*",
}

// genStringValues are condition values for string keys: literals, globs and
// policy variables (one of them never has a value).
var genStringValues = []string{
	"data", "web", "prod", "dev", "alice", "us-east-1", "home/", "home/alice/",
	"d*", "*", "?ev", "DATA", "lambda.amazonaws.com", "team", "env", "*.amazonaws.com",
	"${aws:PrincipalTag/env}", "${aws:PrincipalTag/dept}", "${aws:PrincipalTag/dept, 'data'}",
	genAcct, "${aws:SourceAccount}",
}

var genARNValues = []string{
	"arn:aws:lambda:us-east-1:" + genAcct + ":function:worker",
	"arn:aws:lambda:*:" + genAcct + ":function:*",
	"arn:aws:lambda:us-east-1:*:function:w*",
	"arn:aws:s3:::data-bucket",
	"arn:aws:s3:::*",
	"arn:aws:sns:*:*:*",
	"arn:aws:lambda:us-east-1:${aws:SourceAccount}:function:*",
}

var genIPValues = []string{"10.0.0.0/8", "192.0.2.0/24", "203.0.113.7", "2001:db8::/32", "0.0.0.0/0"}
var genNumericValues = []string{"10", "60", "3600", "100.5", "86400"}
var genDateValues = []string{"2024-01-01T00:00:00Z", "2024-05-01T12:00:00Z", "2023-06-15", "1714564800"}

func genOperators(t genKeyType) []string {
	switch t {
	case kARN:
		return []string{"ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "StringLike", "StringEquals"}
	case kIP:
		return []string{"IpAddress", "NotIpAddress"}
	case kNumeric:
		return []string{"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals"}
	case kDate:
		return []string{"DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals"}
	case kBool:
		return []string{"Bool"}
	}
	return []string{"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike"}
}

func genValues(t genKeyType) []string {
	switch t {
	case kARN:
		return genARNValues
	case kIP:
		return genIPValues
	case kNumeric:
		return genNumericValues
	case kDate:
		return genDateValues
	case kBool:
		return []string{"true", "false"}
	}
	return genStringValues
}

// genAllKeys is every key a condition may name.
func genAllKeys() []genKey {
	keys := append([]genKey(nil), genGlobalKeys...)
	for _, a := range genActions {
		keys = append(keys, a.keys...)
	}
	return keys
}

var genKeys = genAllKeys()

// generator builds cases. While it builds the policies of a case it knows
// the request, and aims some of the statements at it.
type generator struct {
	c        genChooser
	action   string // the request's action
	resource string // the request's resource
}

// oneOrList renders a list as IAM allows: a bare string for one entry.
func oneOrList(xs []string) any {
	if len(xs) == 1 {
		return xs[0]
	}
	return xs
}

func (g *generator) list(n int, f func() string) []string {
	out := make([]string, 1+g.c.intn(n))
	for i := range out {
		out[i] = f()
	}
	return out
}

func (g *generator) actionPattern() string {
	if g.action != "" && chance(g.c, 40) {
		svc, _, _ := strings.Cut(g.action, ":")
		return pick(g.c, []string{g.action, svc + ":*", strings.ToLower(g.action)})
	}
	return pick(g.c, genActionPatterns)
}

func (g *generator) resourcePattern() string {
	if g.resource != "" && chance(g.c, 30) {
		return pick(g.c, []string{g.resource, "*", g.resource[:len(g.resource)-2] + "*"})
	}
	p := pick(g.c, genResourcePatterns)
	return strings.ReplaceAll(p, "{acct}", pick(g.c, []string{genAcct, genOther}))
}

// condition builds a Condition element of one or two operator/key pairs.
func (g *generator) condition() map[string]any {
	cond := map[string]any{}
	for range 1 + g.c.intn(2) {
		k := pick(g.c, genKeys)
		var op string
		switch {
		case chance(g.c, 6):
			op = "Null"
		case k.typ == kStrings && chance(g.c, 80), k.typ == kString && chance(g.c, 8):
			op = pick(g.c, []string{"ForAnyValue:", "ForAllValues:"}) + pick(g.c, genOperators(kString))
		default:
			op = pick(g.c, genOperators(k.typ))
		}
		if op != "Null" && chance(g.c, 20) {
			op += "IfExists"
		}
		var vals []string
		if op == "Null" {
			vals = []string{pick(g.c, []string{"true", "false"})}
		} else {
			vals = g.list(2, func() string { return pick(g.c, genValues(k.typ)) })
		}
		block, _ := cond[op].(map[string]any)
		if block == nil {
			block = map[string]any{}
			cond[op] = block
		}
		block[k.name] = oneOrList(vals)
	}
	return cond
}

// statement builds one statement. principals, when not nil, are the
// Principal entries of a resource policy.
func (g *generator) statement(effect string, principals []any, conditionPct int) map[string]any {
	st := map[string]any{"Effect": effect}
	if principals != nil {
		st["Principal"] = pick(g.c, principals)
	}
	actions := g.list(2, g.actionPattern)
	if chance(g.c, 12) {
		st["NotAction"] = oneOrList(actions)
	} else {
		st["Action"] = oneOrList(actions)
	}
	resources := g.list(2, g.resourcePattern)
	if chance(g.c, 10) {
		st["NotResource"] = oneOrList(resources)
	} else {
		st["Resource"] = oneOrList(resources)
	}
	if chance(g.c, conditionPct) {
		st["Condition"] = g.condition()
	}
	return st
}

func (g *generator) doc(stmts []map[string]any) string {
	d := map[string]any{"Version": "2012-10-17"}
	if chance(g.c, 3) {
		d["Version"] = "2008-10-17"
	}
	if len(stmts) == 1 && chance(g.c, 30) {
		d["Statement"] = stmts[0]
	} else {
		d["Statement"] = stmts
	}
	b, err := json.Marshal(d)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func (g *generator) policy(maxStmts, denyPct int, principals []any) string {
	stmts := make([]map[string]any, 1+g.c.intn(maxStmts))
	for i := range stmts {
		effect := "Allow"
		if chance(g.c, denyPct) {
			effect = "Deny"
		}
		stmts[i] = g.statement(effect, principals, 45)
	}
	return g.doc(stmts)
}

// scp builds one SCP: mostly an allow of everything or of a few services,
// with some conditional denies.
func (g *generator) scp() string {
	var stmts []map[string]any
	switch g.c.intn(4) {
	case 0, 1:
		stmts = append(stmts, map[string]any{"Effect": "Allow", "Action": "*", "Resource": "*"})
	case 2:
		stmts = append(stmts, map[string]any{"Effect": "Allow",
			"Action": oneOrList(g.list(3, func() string { return pick(g.c, genActionPatterns) })), "Resource": "*"})
	}
	for range g.c.intn(3) {
		stmts = append(stmts, g.statement("Deny", nil, 70))
	}
	if len(stmts) == 0 {
		stmts = append(stmts, map[string]any{"Effect": "Allow", "Action": "*", "Resource": "*"})
	}
	return g.doc(stmts)
}

// authCase builds one whole case.
func (g *generator) authCase() authCase {
	var c authCase
	a := pick(g.c, genActions)
	r := &c.Req
	r.Action = a.action
	if chance(g.c, 12) {
		r.Action = strings.ToUpper(r.Action[:1]) + r.Action[1:]
	}
	resAcct := genAcct
	if chance(g.c, 25) {
		resAcct = genOther
	}
	r.Resource = strings.ReplaceAll(pick(g.c, a.resources), "{acct}", resAcct)
	if resAcct != genAcct {
		r.ResourceAccount = resAcct
	}
	r.PrincipalAccount = genAcct
	if chance(g.c, 85) {
		r.PrincipalType = "AssumedRole"
		r.RoleARN = "arn:aws:iam::" + genAcct + ":role/fn-role"
		r.PrincipalARN = "arn:aws:sts::" + genAcct + ":assumed-role/fn-role/worker"
	} else {
		r.PrincipalType = "User"
		r.PrincipalARN = "arn:aws:iam::" + genAcct + ":user/alice"
	}
	keys := append(append([]genKey(nil), genGlobalKeys...), a.keys...)
	for _, k := range keys {
		if !chance(g.c, 40) {
			continue
		}
		if k.typ == kStrings {
			vals := g.list(3, func() string { return pick(g.c, k.values) })
			r.Context = append(r.Context, refKey{Name: k.name, Values: vals, Multi: true})
		} else {
			r.Context = append(r.Context, refKey{Name: k.name, Values: []string{pick(g.c, k.values)}})
		}
	}
	g.action, g.resource = r.Action, r.Resource
	if chance(g.c, 60) {
		r.Context = append(r.Context,
			refKey{Name: "aws:PrincipalArn", Values: []string{r.PrincipalARN}},
			refKey{Name: "aws:PrincipalAccount", Values: []string{genAcct}})
	}

	for range g.c.intn(4) {
		c.Identity = append(c.Identity, g.policy(3, 20, nil))
	}
	if chance(g.c, 25) {
		c.Boundary = g.policy(2, 10, nil)
	}
	if r.PrincipalType == "AssumedRole" && chance(g.c, 20) {
		c.Session = []string{g.policy(2, 10, nil)}
	}
	if chance(g.c, 25) {
		for range 1 + g.c.intn(3) {
			level := []string{g.scp()}
			if chance(g.c, 30) {
				level = append(level, g.scp())
			}
			c.SCPs = append(c.SCPs, level)
		}
	}
	if chance(g.c, 45) {
		principals := []any{
			"*",
			map[string]any{"AWS": genAcct},
			map[string]any{"AWS": "arn:aws:iam::" + genAcct + ":root"},
			map[string]any{"AWS": "arn:aws:iam::" + genAcct + ":role/fn-role"},
			map[string]any{"AWS": "arn:aws:sts::" + genAcct + ":assumed-role/fn-role/worker"},
			map[string]any{"AWS": "arn:aws:iam::" + genAcct + ":user/alice"},
			map[string]any{"AWS": []string{"arn:aws:iam::" + genOther + ":root", "arn:aws:iam::" + genAcct + ":role/fn-role"}},
			map[string]any{"AWS": genOther},
			map[string]any{"Service": "lambda.amazonaws.com"},
		}
		c.Resource = g.policy(2, 20, principals)
	}
	return c
}

// compileCase turns c into a compiled policy set and a request.
func compileCase(c authCase) (*policy.PolicySet, *policy.Request, error) {
	var in policy.SetInput
	for i, d := range c.Identity {
		p, err := policy.Parse(d, policy.Identity)
		if err != nil {
			return nil, nil, fmt.Errorf("identity policy %d: %v: %s", i, err, d)
		}
		in.Identity = append(in.Identity, policy.Named{ID: fmt.Sprintf("identity-%d", i), Policy: p})
	}
	if c.Boundary != "" {
		p, err := policy.Parse(c.Boundary, policy.Boundary)
		if err != nil {
			return nil, nil, fmt.Errorf("boundary: %v: %s", err, c.Boundary)
		}
		in.Boundary = &policy.Named{ID: "boundary", Policy: p}
	}
	for i, d := range c.Session {
		p, err := policy.Parse(d, policy.Session)
		if err != nil {
			return nil, nil, fmt.Errorf("session policy %d: %v: %s", i, err, d)
		}
		in.Session = append(in.Session, policy.Named{ID: fmt.Sprintf("session-%d", i), Policy: p})
	}
	for i, level := range c.SCPs {
		var ps []policy.Named
		for j, d := range level {
			p, err := policy.Parse(d, policy.SCP)
			if err != nil {
				return nil, nil, fmt.Errorf("scp %d/%d: %v: %s", i, j, err, d)
			}
			ps = append(ps, policy.Named{ID: fmt.Sprintf("scp-%d-%d", i, j), Policy: p})
		}
		in.SCPs = append(in.SCPs, ps)
	}
	req := &policy.Request{
		Principal: policy.Principal{
			ARN:     c.Req.PrincipalARN,
			Account: c.Req.PrincipalAccount,
			RoleARN: c.Req.RoleARN,
		},
		Action:          c.Req.Action,
		Resource:        c.Req.Resource,
		ResourceAccount: c.Req.ResourceAccount,
		Context:         &policy.Context{},
	}
	switch c.Req.PrincipalType {
	case "AssumedRole":
		req.Principal.Type = policy.AssumedRole
	case "User":
		req.Principal.Type = policy.User
	case "Role":
		req.Principal.Type = policy.Role
	case "FederatedUser":
		req.Principal.Type = policy.FederatedUser
	default:
		return nil, nil, fmt.Errorf("principal type %q", c.Req.PrincipalType)
	}
	if c.Resource != "" {
		p, err := policy.Parse(c.Resource, policy.Resource)
		if err != nil {
			return nil, nil, fmt.Errorf("resource policy: %v: %s", err, c.Resource)
		}
		req.ResourcePolicy = p
	}
	for _, k := range c.Req.Context {
		if k.Multi {
			req.Context.SetMulti(k.Name, k.Values...)
		} else {
			req.Context.Set(k.Name, k.Values...)
		}
	}
	return policy.Compile(in), req, nil
}

// describe renders a case for a failure message.
func describe(c authCase) string {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Sprint(c)
	}
	return string(b)
}

// fuzzSeeds are small documents and pieces of documents for FuzzParse.
var fuzzSeeds = []string{
	`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`,
	`{"Version":"2012-10-17","Statement":[{"Sid":"A1","Effect":"Deny","NotAction":["iam:*","sts:*"],"NotResource":"arn:aws:iam::123456789012:role/x"}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:PrincipalTag/team, 'x'}/*","Condition":{"ForAnyValue:StringLikeIfExists":{"aws:TagKeys":["a*","b?"]},"Null":{"aws:SourceIp":"false"}}}]}`,
	`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:role/r"],"Service":"lambda.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"*"}}`,
	`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]},"NumericLessThan":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":true},"DateGreaterThan":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}}}`,
	`{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
	`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
	`{"Version":"2012-10-17","Statement":[]}`,
	`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Resource":"*"}}`,
	`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:Get\u00e9","Resource":"arn:aws:s3:::b/\u00fc*"}}`,
	`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${"}}`,
	`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"lambda.amazonaws.com"}}}`,
	`[1,2,3]`, `{}`, `null`, `{"Version":1}`,
}

// FuzzParse checks that Parse never panics and that what it accepts prints
// to a document that parses again to the same text.
func FuzzParse(f *testing.F) {
	kinds := []policy.Kind{policy.Identity, policy.Resource, policy.Trust, policy.SCP, policy.Session, policy.Boundary}
	for i, s := range fuzzSeeds {
		f.Add(s, uint8(i%len(kinds)))
	}
	g := &generator{c: randChooser{rand.New(rand.NewPCG(1, 2))}}
	for range 20 {
		f.Add(g.policy(3, 30, nil), uint8(policy.Identity))
	}
	f.Fuzz(func(t *testing.T, doc string, kind uint8) {
		k := kinds[int(kind)%len(kinds)]
		p, err := policy.Parse(doc, k)
		if err != nil {
			var pe *policy.Error
			if !errorsAs(err, &pe) || pe.Message == "" {
				t.Fatalf("Parse(%q, %v) error %T %v, want a *policy.Error with a message", doc, k, err, err)
			}
			return
		}
		s := p.String()
		p2, err := policy.Parse(s, k)
		if err != nil {
			t.Fatalf("Parse(%q) accepted, but its String %q is rejected: %v", doc, s, err)
		}
		if s2 := p2.String(); s2 != s {
			t.Fatalf("String is not stable:\n doc %q\n 1st %q\n 2nd %q", doc, s, s2)
		}
		if p2.Kind() != p.Kind() || p2.Version() != p.Version() || len(p2.Statements()) != len(p.Statements()) {
			t.Fatalf("reparsed policy differs: %q", s)
		}
	})
}

// errorsAs is errors.As for one *policy.Error target.
func errorsAs(err error, target **policy.Error) bool {
	pe, ok := err.(*policy.Error)
	if ok {
		*target = pe
	}
	return ok
}

// FuzzEvaluate generates policy sets and requests from the fuzz input and
// checks that Evaluate agrees with the reference evaluator.
func FuzzEvaluate(f *testing.F) {
	r := rand.New(rand.NewPCG(7, 11))
	for range 64 {
		b := make([]byte, 256)
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		g := &generator{c: &byteChooser{b: data}}
		c := g.authCase()
		checkAgainstReference(t, c)
	})
}

// checkAgainstReference evaluates c with Evaluate and the reference
// evaluator and fails when they differ.
func checkAgainstReference(t *testing.T, c authCase) {
	t.Helper()
	set, req, err := compileCase(c)
	if err != nil {
		t.Fatalf("generated a policy Parse rejects: %v", err)
	}
	want, err := refEvaluate(c)
	if err != nil {
		t.Fatal(err)
	}
	got := set.Evaluate(req)
	if got.Effect.String() != want {
		t.Fatalf("Evaluate = %v (source %v), reference = %s\ncase:\n%s", got.Effect, got.Source, want, describe(c))
	}
}

// TestReferenceAgreement runs a fixed stream of generated cases through
// Evaluate and the reference evaluator, and reports how the answers are
// spread so that a generator that only produces denies is noticed.
func TestReferenceAgreement(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 500
	}
	g := &generator{c: randChooser{rand.New(rand.NewPCG(3, 5))}}
	counts := map[string]int{}
	for range n {
		c := g.authCase()
		checkAgainstReference(t, c)
		want, _ := refEvaluate(c)
		counts[want]++
	}
	t.Logf("%d cases: %v", n, counts)
	for _, e := range []string{refAllow, refImplicitDeny, refExplicitDeny} {
		if counts[e] < n/20 {
			t.Errorf("only %d of %d cases end in %s: the generator needs rebalancing", counts[e], n, e)
		}
	}
}

// FuzzGlob checks wildcard matching against regular expressions, through a
// StringLike condition (wildcards match across any character) and an
// Action element (case-insensitive).
func FuzzGlob(f *testing.F) {
	for _, s := range [][2]string{
		{"a*b?c", "axxbyc"}, {"*", ""}, {"?", ""}, {"**a", "ba"}, {"a*a*a", "aaaa"},
		{"*a?", "ba"}, {"x*y*z", "xyyzz"}, {"é?", "éü"}, {"a.b", "axb"}, {"*/*", "a/b/c"},
		{"ab*", "AB"}, {"[a]", "a"}, {"a+", "aa"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pat, s string) {
		if strings.ContainsAny(pat, "${}\"\\") || !validText(pat) || !validText(s) || len(pat) > 64 || len(s) > 64 {
			return
		}
		doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*",` +
			`"Condition":{"StringLike":{"aws:PrincipalTag/x":` + quote(pat) + `}}}}`
		p, err := policy.Parse(doc, policy.Identity)
		if err != nil {
			return
		}
		set := policy.Compile(policy.SetInput{Identity: []policy.Named{{ID: "p", Policy: p}}})
		ctx := &policy.Context{}
		ctx.Set("aws:PrincipalTag/x", s)
		req := &policy.Request{
			Principal: policy.Principal{Type: policy.User, ARN: "arn:aws:iam::" + genAcct + ":user/u", Account: genAcct},
			Action:    "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: ctx,
		}
		got := set.Evaluate(req).Effect == policy.Allow
		want := regexp.MustCompile("(?s)^" + refQuote(pat) + "$").MatchString(s)
		if got != want {
			t.Fatalf("StringLike %q on %q: Evaluate says %v, regexp says %v", pat, s, got, want)
		}

		// The same pattern as the action name of an Action element.
		if strings.ContainsAny(pat, ": \t\n") || strings.ContainsAny(s, ": \t\n") || pat == "" || s == "" {
			return
		}
		doc = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":` + quote("svc:"+pat) + `,"Resource":"*"}}`
		p, err = policy.Parse(doc, policy.Identity)
		if err != nil {
			return
		}
		set = policy.Compile(policy.SetInput{Identity: []policy.Named{{ID: "p", Policy: p}}})
		req.Action = "svc:" + s
		got = set.Evaluate(req).Effect == policy.Allow
		want = regexp.MustCompile("(?si)^" + refQuote("svc:"+pat) + "$").MatchString("svc:" + s)
		if got != want && isASCII(pat) && isASCII(s) {
			t.Fatalf("Action %q on %q: Evaluate says %v, regexp says %v", "svc:"+pat, "svc:"+s, got, want)
		}
	})
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func validText(s string) bool {
	return strings.ToValidUTF8(s, "") == s && !strings.ContainsRune(s, 0)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
