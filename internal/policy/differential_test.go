package policy_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The differential test evaluates generated cases with policy.Evaluate and
// with @cloud-copilot/iam-simulate (installed from npm into a cache
// directory at test time) and compares the answers. Where the two differ on
// purpose, rolecall follows AWS's documentation; oracleDeviations lists
// those cases with the text that decides them (and ORACLE.md explains them).
//
// ROLECALL_ORACLE=required makes a missing node, npm or package a failure
// instead of a skip. ROLECALL_ORACLE_DIR overrides the cache directory.
// ROLECALL_ORACLE_CASES overrides the number of cases.

// oracleDeviation is a known, intended difference between rolecall and the
// oracle.
type oracleDeviation struct {
	id      string
	summary string
	doc     string // the AWS documentation text that decides the case
	url     string
	// applies reports whether c contains the construct the deviation is
	// about; a difference is attributed to the first deviation that applies.
	applies func(c authCase) bool
}

var oracleDeviations = []oracleDeviation{
	{
		id:      "negated-operator-unresolved-variable",
		summary: "A negated string operator (StringNotEquals, StringNotLike, ...) whose policy value is a variable without a value: rolecall matches, iam-simulate does not.",
		doc:     "If you use a policy variable with a condition operator and the key is not present [...] Inverted condition operators like StringNotEquals or StringNotLike do match against a null value.",
		url:     "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-no-value",
		applies: func(c authCase) bool {
			return anyCondition(c, func(op, key string, values []string, version string) bool {
				_, base, _ := splitOperator(op)
				if !refNegated(base) || !strings.HasPrefix(base, "String") || version != "2012-10-17" {
					return false
				}
				for _, v := range values {
					if hasUnresolvedVariable(v, &c.Req) {
						return true
					}
				}
				return false
			})
		},
	},
	{
		id:      "foranyvalue-ifexists-missing-key",
		summary: "ForAnyValue:<operator>IfExists with the key missing from the request: rolecall evaluates the condition as true, iam-simulate as false.",
		doc:     "...IfExists: If the policy key is present in the context of the request, process the key as specified in the policy. If the key is not present, evaluate the condition element as true.",
		url:     "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists",
		applies: func(c authCase) bool {
			return anyCondition(c, func(op, key string, values []string, version string) bool {
				set, _, ifExists := splitOperator(op)
				return set == "ForAnyValue" && ifExists && refLookup(&c.Req, key) == nil
			})
		},
	},
	{
		id:      "single-valued-operator-on-one-value-list",
		summary: "An operator without ForAllValues/ForAnyValue on a multivalued key that holds one value in the request: rolecall compares that value, iam-simulate never matches an array.",
		doc:     "The difference between single-valued and multivalued context keys depends on the number of values in the request context, not the number of values in the policy condition. [...] Single-valued condition context keys have at most one value in the request context.",
		url:     "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html",
		applies: func(c authCase) bool {
			return anyCondition(c, func(op, key string, values []string, version string) bool {
				set, base, _ := splitOperator(op)
				k := refLookup(&c.Req, key)
				return set == "" && base != "Null" && k != nil && k.Multi && len(k.Values) == 1
			})
		},
	},
	{
		id:      "resource-policy-grant-to-session-not-limited-by-session-policy",
		summary: "Same account: a resource-based policy that names the role session itself (or everyone, \"*\") allows although the session policy does not; iam-simulate lets the session policy's implicit deny win.",
		doc:     "Resource-based policies can specify the ARN of the session as a principal. In that case, the permissions from the resource-based policy are added after the session is created. The resource-based policy permissions are not limited by the session policy.",
		url:     "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session",
		applies: func(c authCase) bool {
			if len(c.Session) == 0 || c.Resource == "" || (c.Req.ResourceAccount != "" && c.Req.ResourceAccount != c.Req.PrincipalAccount) {
				return false
			}
			docs, err := refDocs([]string{c.Resource})
			return err == nil && refResourcePolicyMatch(docs[0], "Allow", &c.Req) == refPrincipalDirect
		},
	},
	{
		id:      "notresource-unresolved-variable",
		summary: "A NotResource entry holding a policy variable without a value: rolecall treats the whole statement as not applying to the request, whatever the entry's other components say. iam-simulate does so only when the entry's partition, service, region, account and resource type match the request's resource; when one of them already differs it counts the entry as excluding nothing, so the statement applies.",
		doc:     "If AWS cannot resolve a variable, this might cause the entire statement to be invalid. [...] not present means that the value is not in the current request information, and any attempt to match it fails and causes the statement to be invalid.",
		url:     "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-no-value",
		applies: func(c authCase) bool {
			return anyStatement(c, func(st map[string]any, version string) bool {
				v, ok := st["NotResource"]
				if !ok || version != "2012-10-17" {
					return false
				}
				for _, e := range refList(v) {
					if hasUnresolvedVariable(e, &c.Req) {
						return true
					}
				}
				return false
			})
		},
	},
}

// splitOperator splits "ForAnyValue:StringEqualsIfExists" into its set
// operator, base operator and IfExists suffix.
func splitOperator(op string) (set, base string, ifExists bool) {
	base = op
	if i := strings.Index(op, ":"); i >= 0 {
		set, base = op[:i], op[i+1:]
	}
	if b, ok := strings.CutSuffix(base, "IfExists"); ok {
		base, ifExists = b, true
	}
	return set, base, ifExists
}

// anyCondition reports whether f holds for a condition of any policy of c.
func anyCondition(c authCase, f func(op, key string, values []string, version string) bool) bool {
	return anyStatement(c, func(st map[string]any, version string) bool {
		cond, _ := st["Condition"].(map[string]any)
		for op, block := range cond {
			keys, _ := block.(map[string]any)
			for key, vals := range keys {
				if f(op, key, refList(vals), version) {
					return true
				}
			}
		}
		return false
	})
}

// anyStatement reports whether f holds for a statement of any policy of c.
func anyStatement(c authCase, f func(st map[string]any, version string) bool) bool {
	all := append(append([]string(nil), c.Identity...), c.Session...)
	if c.Boundary != "" {
		all = append(all, c.Boundary)
	}
	if c.Resource != "" {
		all = append(all, c.Resource)
	}
	for _, level := range c.SCPs {
		all = append(all, level...)
	}
	docs, err := refDocs(all)
	if err != nil {
		return false
	}
	for _, doc := range docs {
		version, _ := doc["Version"].(string)
		for _, st := range refStatements(doc) {
			if f(st, version) {
				return true
			}
		}
	}
	return false
}

var varRef = regexp.MustCompile(`\$\{([^}]*)\}`)

// hasUnresolvedVariable reports whether v holds a policy variable that has
// neither a value in the request nor a default.
func hasUnresolvedVariable(v string, r *refRequest) bool {
	for _, m := range varRef.FindAllStringSubmatch(v, -1) {
		inner := strings.TrimSpace(m[1])
		if inner == "*" || inner == "?" || inner == "$" || strings.Contains(inner, ",") {
			continue
		}
		if k := refLookup(r, inner); k == nil || k.Multi || len(k.Values) != 1 {
			return true
		}
	}
	return false
}

// oracleVersion reads the package version pinned in testdata/oracle.
func oracleVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "oracle", "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		t.Fatal(err)
	}
	v := pkg.Dependencies["@cloud-copilot/iam-simulate"]
	if v == "" {
		t.Fatal("testdata/oracle/package.json does not pin @cloud-copilot/iam-simulate")
	}
	return v
}

// oracleUnavailable skips the test, or fails it when the oracle is required.
func oracleUnavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("ROLECALL_ORACLE") == "required" {
		t.Fatalf("oracle required (ROLECALL_ORACLE=required) but unavailable: %s", msg)
	}
	t.Skipf("oracle unavailable, skipping (set ROLECALL_ORACLE=required to fail instead): %s", msg)
}

// setupOracle makes sure the oracle package is installed and returns the
// node binary and the node_modules directory.
func setupOracle(t *testing.T) (node, modules string) {
	t.Helper()
	version := oracleVersion(t)
	node, err := exec.LookPath("node")
	if err != nil {
		oracleUnavailable(t, "node not found in PATH")
	}
	dir := os.Getenv("ROLECALL_ORACLE_DIR")
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			oracleUnavailable(t, "no cache directory: %v", err)
		}
		dir = filepath.Join(cache, "rolecall", "iam-simulate-"+version)
	}
	modules = filepath.Join(dir, "node_modules")
	installed := filepath.Join(modules, "@cloud-copilot", "iam-simulate", "package.json")
	if b, err := os.ReadFile(installed); err == nil && bytes.Contains(b, []byte(`"version": "`+version+`"`)) {
		return node, modules
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		oracleUnavailable(t, "npm not found in PATH")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		oracleUnavailable(t, "%v", err)
	}
	pkg, err := os.ReadFile(filepath.Join("testdata", "oracle", "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "package.json"), pkg, 0o644); err != nil {
		oracleUnavailable(t, "%v", err)
	}
	cmd := exec.Command(npm, "install", "--prefix", dir, "--no-audit", "--no-fund", "--loglevel=error")
	out, err := cmd.CombinedOutput()
	if err != nil {
		oracleUnavailable(t, "npm install @cloud-copilot/iam-simulate@%s: %v\n%s", version, err, out)
	}
	if _, err := os.Stat(installed); err != nil {
		oracleUnavailable(t, "npm install did not install the package: %v", err)
	}
	return node, modules
}

// oracleInput is one line of the oracle's input.
type oracleInput struct {
	ID         string         `json:"id"`
	Simulation map[string]any `json:"simulation"`
}

// oracleOutput is one line of the oracle's output.
type oracleOutput struct {
	ID      string          `json:"id"`
	Result  string          `json:"result"`
	Ignored []string        `json:"ignored"`
	Error   json.RawMessage `json:"error"`
}

// simulation renders c in iam-simulate's Simulation shape.
func simulation(c authCase) map[string]any {
	raw := func(doc string) any {
		var v any
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			panic(err)
		}
		return v
	}
	named := func(prefix string, docs []string) []any {
		out := []any{}
		for i, d := range docs {
			out = append(out, map[string]any{"name": fmt.Sprintf("%s-%d", prefix, i), "policy": raw(d)})
		}
		return out
	}
	ctx := map[string]any{}
	for _, k := range c.Req.Context {
		if k.Multi {
			ctx[k.Name] = k.Values
		} else {
			ctx[k.Name] = k.Values[0]
		}
	}
	account := c.Req.ResourceAccount
	if account == "" {
		account = c.Req.PrincipalAccount
	}
	scps := []any{}
	for i, level := range c.SCPs {
		scps = append(scps, map[string]any{"orgIdentifier": fmt.Sprintf("level-%d", i), "policies": named(fmt.Sprintf("scp-%d", i), level)})
	}
	sim := map[string]any{
		"request": map[string]any{
			"principal":        c.Req.PrincipalARN,
			"action":           c.Req.Action,
			"resource":         map[string]any{"resource": c.Req.Resource, "accountId": account},
			"contextVariables": ctx,
		},
		"identityPolicies":        named("identity", c.Identity),
		"serviceControlPolicies":  scps,
		"resourceControlPolicies": []any{},
	}
	if c.Boundary != "" {
		sim["permissionBoundaryPolicies"] = named("boundary", []string{c.Boundary})
	}
	if len(c.Session) > 0 {
		if len(c.Session) != 1 {
			panic("the oracle takes one session policy")
		}
		sim["sessionPolicy"] = raw(c.Session[0])
	}
	if c.Resource != "" {
		sim["resourcePolicy"] = raw(c.Resource)
	}
	return sim
}

var oracleEffects = map[string]string{
	"Allowed":          refAllow,
	"ImplicitlyDenied": refImplicitDeny,
	"ExplicitlyDenied": refExplicitDeny,
}

// runOracle evaluates cases in one node process.
func runOracle(t *testing.T, node, modules string, cases []authCase) []oracleOutput {
	t.Helper()
	var in bytes.Buffer
	enc := json.NewEncoder(&in)
	for i, c := range cases {
		if err := enc.Encode(oracleInput{ID: fmt.Sprint(i), Simulation: simulation(c)}); err != nil {
			t.Fatal(err)
		}
	}
	script, err := filepath.Abs(filepath.Join("testdata", "oracle", "oracle.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, script, modules)
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("oracle: %v\n%s", err, stderr.Bytes())
	}
	t.Logf("oracle evaluated %d cases in %v", len(cases), time.Since(start).Round(time.Millisecond))
	var res []oracleOutput
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var o oracleOutput
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatalf("oracle output %q: %v", sc.Text(), err)
		}
		res = append(res, o)
	}
	if len(res) != len(cases) {
		t.Fatalf("oracle answered %d of %d cases\n%s", len(res), len(cases), stderr.Bytes())
	}
	for i := range res {
		if res[i].ID != fmt.Sprint(i) {
			t.Fatalf("oracle answer %d has id %q", i, res[i].ID)
		}
	}
	return res
}

// differentialCases generates the cases, deterministically.
func differentialCases(n int) []authCase {
	g := &generator{c: randChooser{rand.New(rand.NewPCG(20240501, 1))}}
	cases := make([]authCase, n)
	for i := range cases {
		cases[i] = g.authCase()
	}
	return cases
}

func TestDifferential(t *testing.T) {
	n := 2000
	if s := os.Getenv("ROLECALL_ORACLE_CASES"); s != "" {
		if _, err := fmt.Sscan(s, &n); err != nil {
			t.Fatalf("ROLECALL_ORACLE_CASES=%q: %v", s, err)
		}
	}
	node, modules := setupOracle(t)
	cases := differentialCases(n)
	answers := runOracle(t, node, modules, cases)

	deviations := map[string]int{}
	agreed, failures := 0, 0
	effects := map[string]int{}
	for i, c := range cases {
		o := answers[i]
		set, req, err := compileCase(c)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		got := set.Evaluate(req).Effect.String()
		effects[got]++
		fail := func(format string, args ...any) {
			failures++
			if failures <= 10 {
				t.Errorf("case %d: %s\nrolecall: %s\noracle:   %s\ncase:\n%s", i, fmt.Sprintf(format, args...), got, o.Result, describe(c))
			}
		}
		if len(o.Error) > 0 && string(o.Error) != "null" {
			fail("the oracle rejected the case: %s", o.Error)
			continue
		}
		if len(o.Ignored) > 0 {
			fail("the oracle ignored context keys %v: the generator must only send keys valid for the action", o.Ignored)
			continue
		}
		want, ok := oracleEffects[o.Result]
		if !ok {
			fail("unknown oracle result %q", o.Result)
			continue
		}
		if got == want {
			agreed++
			continue
		}
		var dev *oracleDeviation
		for j := range oracleDeviations {
			if oracleDeviations[j].applies(c) {
				dev = &oracleDeviations[j]
				break
			}
		}
		ref, err := refEvaluate(c)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case dev == nil && ref == want:
			fail("rolecall disagrees with both the oracle and the reference evaluator")
		case dev == nil:
			fail("rolecall and the oracle disagree, and no documented deviation applies (reference evaluator: %s)", ref)
		case ref != got:
			fail("deviation %s applies, but rolecall does not give the reference evaluator's answer %s", dev.id, ref)
		default:
			deviations[dev.id]++
		}
	}
	total := 0
	for _, d := range oracleDeviations {
		total += deviations[d.id]
	}
	t.Logf("%d cases: %d agree with the oracle, %d documented deviations %v, %d failures; rolecall answers %v",
		len(cases), agreed, total, deviations, failures, effects)
	if failures > 10 {
		t.Errorf("%d more failures not shown", failures-10)
	}
}

// TestOracleHandCases pins the oracle's answers on the documented
// deviations, so that a new oracle version that changes them is noticed.
func TestOracleHandCases(t *testing.T) {
	node, modules := setupOracle(t)
	const (
		sessionARN = "arn:aws:sts::" + genAcct + ":assumed-role/fn-role/worker"
		roleARN    = "arn:aws:iam::" + genAcct + ":role/fn-role"
	)
	req := refRequest{
		PrincipalType: "AssumedRole", PrincipalARN: sessionARN, PrincipalAccount: genAcct, RoleARN: roleARN,
		Action: "s3:GetObject", Resource: "arn:aws:s3:::data-bucket/home/alice/notes.txt",
	}
	allow := func(cond string) string {
		return `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":` + cond + `}}`
	}
	with := func(keys ...refKey) refRequest { r := req; r.Context = keys; return r }
	cases := []struct {
		name      string
		c         authCase
		deviation string // "" when rolecall and the oracle agree
	}{
		{"plain allow", authCase{Identity: []string{allow(`{"StringEquals":{"aws:PrincipalTag/team":"data"}}`)},
			Req: with(refKey{Name: "aws:PrincipalTag/team", Values: []string{"data"}})}, ""},
		{"negated operator, unresolved variable", authCase{Identity: []string{allow(`{"StringNotEquals":{"aws:PrincipalTag/team":"${aws:PrincipalTag/dept}"}}`)},
			Req: with(refKey{Name: "aws:PrincipalTag/team", Values: []string{"data"}})}, "negated-operator-unresolved-variable"},
		{"ForAnyValue IfExists, missing key", authCase{Identity: []string{allow(`{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":"team"}}`)},
			Req: req}, "foranyvalue-ifexists-missing-key"},
		{"single-valued operator, one-value list", authCase{Identity: []string{allow(`{"StringEquals":{"aws:TagKeys":"team"}}`)},
			Req: with(refKey{Name: "aws:TagKeys", Values: []string{"team"}, Multi: true})}, "single-valued-operator-on-one-value-list"},
		{"single-valued operator, two values", authCase{Identity: []string{allow(`{"StringEquals":{"aws:TagKeys":"team"}}`)},
			Req: with(refKey{Name: "aws:TagKeys", Values: []string{"team", "env"}, Multi: true})}, ""},
		{"resource policy names the session, session policy does not allow", authCase{
			Session:  []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sqs:*","Resource":"*"}}`},
			Resource: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"` + sessionARN + `"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::data-bucket/*"}}`,
			Req:      req}, "resource-policy-grant-to-session-not-limited-by-session-policy"},
		{"Allow with NotResource, unresolved variable, same bucket", authCase{
			Identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","NotResource":"arn:aws:s3:::data-bucket/other/${aws:PrincipalTag/team}/*"}}`},
			Req:      req}, ""},
		{"Allow with NotResource, unresolved variable, other bucket", authCase{
			Identity: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","NotResource":"arn:aws:s3:::logs-bucket/${aws:PrincipalTag/team}/*"}}`},
			Req:      req}, ""},
		{"Deny with NotResource, unresolved variable, other service", authCase{
			Identity: []string{
				`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`,
				`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:GetObject","NotResource":["arn:aws:sqs:*:*:${aws:PrincipalTag/team}"]}}`,
			},
			Req: req}, "notresource-unresolved-variable"},
		{"resource policy names the role, session policy does not allow", authCase{
			Session:  []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sqs:*","Resource":"*"}}`},
			Resource: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"` + roleARN + `"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::data-bucket/*"}}`,
			Req:      req}, ""},
	}
	var all []authCase
	for _, tc := range cases {
		all = append(all, tc.c)
	}
	answers := runOracle(t, node, modules, all)
	for i, tc := range cases {
		set, r, err := compileCase(tc.c)
		if err != nil {
			t.Fatal(err)
		}
		got := set.Evaluate(r).Effect.String()
		ref, err := refEvaluate(tc.c)
		if err != nil {
			t.Fatal(err)
		}
		oracle := oracleEffects[answers[i].Result]
		if got != ref {
			t.Errorf("%s: rolecall %s, reference %s", tc.name, got, ref)
		}
		if (got != oracle) != (tc.deviation != "") {
			t.Errorf("%s: rolecall %s, oracle %s (%s); expected deviation %q", tc.name, got, oracle, answers[i].Error, tc.deviation)
		}
		if tc.deviation != "" {
			found := false
			for _, d := range oracleDeviations {
				if d.id == tc.deviation {
					found = d.applies(tc.c)
				}
			}
			if !found {
				t.Errorf("%s: deviation %s is not detected", tc.name, tc.deviation)
			}
		}
	}
}
