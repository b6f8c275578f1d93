package shape

import (
	"net/url"
	"strings"
	"testing"
)

func f(n float64) *float64 { return &n }

// testModel is a small query-protocol model exercising each constraint kind.
func testModel(protocol string) *Model {
	return &Model{
		Protocol:   protocol,
		Operations: map[string]string{"Put": "PutRequest", "None": ""},
		Shapes: map[string]*Shape{
			"PutRequest": {Type: "structure", Members: []Member{
				{Name: "RoleName", Shape: "name", Required: true},
				{Name: "Duration", Shape: "duration"},
				{Name: "Mode", Shape: "mode"},
				{Name: "Tags", Shape: "tags"},
				{Name: "Ids", Shape: "ids"},
				{Name: "Weights", Shape: "weights"},
			}},
			"name":     {Type: "string", Min: f(1), Max: f(8), Pattern: `[\w+=,.@-]+`},
			"duration": {Type: "integer", Min: f(900), Max: f(43200)},
			"mode":     {Type: "string", Enum: []string{"Active", "PassThrough"}},
			"tags":     {Type: "list", Member: &Ref{Shape: "tag"}, Max: f(2)},
			"tag": {Type: "structure", Members: []Member{
				{Name: "Key", Shape: "key", Required: true},
				{Name: "Value", Shape: "value", Required: true},
			}},
			"key":     {Type: "string", Min: f(1), Max: f(128), Pattern: `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`},
			"value":   {Type: "string", Max: f(256)},
			"ids":     {Type: "list", Member: &Ref{Shape: "mode"}},
			"weights": {Type: "map", Key: &Ref{Shape: "wkey"}, Value: &Ref{Shape: "weight"}},
			"wkey":    {Type: "string", Pattern: `[a-zA-Z]([a-zA-Z0-9_])+`},
			"weight":  {Type: "double", Min: f(0), Max: f(1)},
		},
	}
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

func TestQuery(t *testing.T) {
	v := New(testModel(Query))
	tests := []struct {
		name   string
		params url.Values
		want   string
	}{
		{"valid", form("RoleName", "r", "Duration", "3600", "Tags.member.1.Key", "k", "Tags.member.1.Value", ""), ""},
		{"null", form(), "1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null"},
		{"too short", form("RoleName", ""), "2 validation errors detected: Value '' at 'roleName' failed to satisfy constraint: Member must have length greater than or equal to 1; Value '' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"},
		{"too long", form("RoleName", "abcdefghi"), "1 validation error detected: Value 'abcdefghi' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 8"},
		{"pattern", form("RoleName", "a b"), `1 validation error detected: Value 'a b' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`},
		{"below range", form("RoleName", "r", "Duration", "899"), "1 validation error detected: Value '899' at 'duration' failed to satisfy constraint: Member must have value greater than or equal to 900"},
		{"above range", form("RoleName", "r", "Duration", "43201"), "1 validation error detected: Value '43201' at 'duration' failed to satisfy constraint: Member must have value less than or equal to 43200"},
		{"not a number", form("RoleName", "r", "Duration", "1h"), "1 validation error detected: Value '1h' at 'duration' failed to satisfy constraint: Member must be a number"},
		{"enum", form("RoleName", "r", "Mode", "On"), "1 validation error detected: Value 'On' at 'mode' failed to satisfy constraint: Member must satisfy enum value set: [Active, PassThrough]"},
		{"nested null", form("RoleName", "r", "Tags.member.1.Key", "k"), "1 validation error detected: Value null at 'tags.1.member.value' failed to satisfy constraint: Member must not be null"},
		{"nested pattern", form("RoleName", "r", "Tags.member.1.Key", "k", "Tags.member.1.Value", "v", "Tags.member.2.Key", "a*b", "Tags.member.2.Value", "v"),
			`1 validation error detected: Value 'a*b' at 'tags.2.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+`},
		{"list length", form("RoleName", "r", "Ids.member.1", "Active", "Ids.member.2", "Nope", "Tags.member.1.Key", "a", "Tags.member.2.Key", "b", "Tags.member.3.Key", "c",
			"Tags.member.1.Value", "", "Tags.member.2.Value", "", "Tags.member.3.Value", ""),
			"2 validation errors detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 2; Value 'Nope' at 'ids.2.member' failed to satisfy constraint: Member must satisfy enum value set: [Active, PassThrough]"},
		{"several in member order", form("Mode", "x", "RoleName", "a b", "Duration", "1"),
			"3 validation errors detected: Value 'a b' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+; " +
				"Value '1' at 'duration' failed to satisfy constraint: Member must have value greater than or equal to 900; " +
				"Value 'x' at 'mode' failed to satisfy constraint: Member must satisfy enum value set: [Active, PassThrough]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if vs := v.Check("Put", Input{Params: tt.params}); len(vs) > 0 {
				got = Message(vs)
			}
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
	if vs := v.Check("None", Input{Params: form("X", "y")}); vs != nil {
		t.Errorf("operation without input: %v", vs)
	}
	if vs := v.Check("Unknown", Input{}); vs != nil {
		t.Errorf("unknown operation: %v", vs)
	}
}

func TestJSON(t *testing.T) {
	v := New(testModel(JSON))
	tests := []struct {
		name string
		body map[string]any
		want string
	}{
		{"valid", map[string]any{"RoleName": "r", "Duration": 900.0, "Ids": []any{"Active"}, "Weights": map[string]any{"ab": 0.5}}, ""},
		{"null", nil, "1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null"},
		{"range", map[string]any{"RoleName": "r", "Duration": 43201.0}, "1 validation error detected: Value '43201' at 'duration' failed to satisfy constraint: Member must have value less than or equal to 43200"},
		{"list of scalars", map[string]any{"RoleName": "r", "Ids": []any{"x"}},
			"1 validation error detected: Value '[x]' at 'ids' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [Active, PassThrough]]"},
		{"list length", map[string]any{"RoleName": "r", "Tags": []any{
			map[string]any{"Key": "a", "Value": ""}, map[string]any{"Key": "b", "Value": ""}, map[string]any{"Key": "c"}}},
			"2 validation errors detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 2; Value null at 'tags.3.member.value' failed to satisfy constraint: Member must not be null"},
		{"map", map[string]any{"RoleName": "r", "Weights": map[string]any{"1x": 2.0}},
			"2 validation errors detected: Value at 'weights' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]; " +
				"Value at 'weights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0]"},
		{"wrong type is the decoder's", map[string]any{"RoleName": 3.0, "Duration": "x"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if vs := v.Check("Put", Input{Body: tt.body}); len(vs) > 0 {
				got = Message(vs)
			}
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestREST(t *testing.T) {
	m := testModel(RESTJSON)
	m.Shapes["PutRequest"].Members[0].Location = URI
	m.Shapes["PutRequest"].Members[0].LocationName = "Name"
	m.Shapes["PutRequest"].Members[1].Location = QueryString
	m.Shapes["PutRequest"].Members[2].Location = Header
	m.Shapes["PutRequest"].Members[2].LocationName = "X-Mode"
	v := New(m)
	vs := v.Check("Put", Input{
		Path: map[string]string{"Name": "a b"}, Params: form("Duration", "5"),
		Header: map[string][]string{"X-Mode": {"On"}}, Body: map[string]any{"Ids": []any{"On"}},
	})
	want := []string{
		`Value 'a b' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`,
		"Value '5' at 'duration' failed to satisfy constraint: Member must have value greater than or equal to 900",
		"Value 'On' at 'mode' failed to satisfy constraint: Member must satisfy enum value set: [Active, PassThrough]",
		"Value '[On]' at 'ids' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [Active, PassThrough]]",
	}
	if len(vs) != len(want) {
		t.Fatalf("got %v", vs)
	}
	for i := range want {
		if vs[i].String() != want[i] {
			t.Errorf("%d: got  %s\nwant %s", i, vs[i], want[i])
		}
	}
	if vs := v.Check("Put", Input{}); len(vs) != 1 || vs[0].Path != "roleName" || vs[0].Value != "null" {
		t.Errorf("missing label: %v", vs)
	}
}

func TestCompile(t *testing.T) {
	tests := []struct {
		pattern, in string
		match       bool
	}{
		{`[\u0009\u000A\u000D\u0020-\u00FF]+`, "{\"a\": 1}\n", true},
		{`[\u0009\u000A\u000D\u0020-\u00FF]+`, "\u0100", false},
		{`(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`, "/a/", true},
		{`(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`, "a/", false},
		{`[\w+=,.@-]+`, "role@x", true},
		{`[\w+=,.@-]+`, "role x", false},
		{`[\d]*`, "", true},
		{`arn:aws:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+`, "arn:aws:iam::123456789012:role/r", true},
	}
	for _, tt := range tests {
		re, err := Compile(tt.pattern)
		if err != nil {
			t.Fatalf("%s: %v", tt.pattern, err)
		}
		if got := re.MatchString(tt.in); got != tt.match {
			t.Errorf("%s on %q: %v", tt.pattern, tt.in, got)
		}
	}
}

// TestServed checks the models of the services rolecall serves are embedded
// and their patterns all translate.
func TestServed(t *testing.T) {
	for _, name := range []string{"iam", "sts", "lambda", "logs", "xray", "cloudtrail"} {
		v, err := For(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.model.Operations) == 0 {
			t.Errorf("%s: no operations", name)
		}
		if name == "sts" && len(v.Unsupported) > 0 {
			t.Errorf("%s: untranslated patterns %v", name, v.Unsupported)
		}
	}
	v, _ := For("iam")
	vs := v.Check("CreateRole", Input{Params: form("RoleName", "bad name", "MaxSessionDuration", "1")})
	want := `3 validation errors detected: Value 'bad name' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+; ` +
		"Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null; " +
		"Value '1' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600"
	if got := Message(vs); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func FuzzCheck(f *testing.F) {
	f.Add("RoleName=a+b&Duration=1&Tags.member.1.Key=k&Ids.member.2=x")
	f.Add("Tags.member.1.Key.member.1=%ff&Weights.entry.1.key=")
	iam, err := For("iam")
	if err != nil {
		f.Fatal(err)
	}
	v := New(testModel(Query))
	f.Fuzz(func(t *testing.T, q string) {
		params, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		for _, vs := range [][]Violation{v.Check("Put", Input{Params: params}), iam.Check("CreateRole", Input{Params: params})} {
			for _, x := range vs {
				if x.Path == "" || x.Constraint == "" {
					t.Fatalf("empty violation %+v", x)
				}
			}
			if len(vs) > 0 && !strings.Contains(Message(vs), "validation error") {
				t.Fatal(Message(vs))
			}
		}
	})
}

func TestLeave(t *testing.T) {
	vs := []Violation{
		{Value: "'0'", Path: "maxItems", Constraint: "c"},
		{Value: "null", Path: "tags.1.member.key", Constraint: "c"},
		{Value: "'x'", Path: "tagsMore", Constraint: "c"},
		{Value: "'y'", Path: "name", Constraint: "c"},
	}
	tests := []struct {
		left []string
		want []string
	}{
		{nil, []string{"maxItems", "tags.1.member.key", "tagsMore", "name"}},
		{[]string{"maxItems"}, []string{"tags.1.member.key", "tagsMore", "name"}},
		{[]string{"tags", "name"}, []string{"maxItems", "tagsMore"}},
		{[]string{"maxItems", "tags", "tagsMore", "name"}, nil},
	}
	for _, tt := range tests {
		got := leave(append([]Violation(nil), vs...), tt.left)
		var paths []string
		for _, v := range got {
			paths = append(paths, v.Path)
		}
		if strings.Join(paths, ",") != strings.Join(tt.want, ",") {
			t.Errorf("leave %v: got %v, want %v", tt.left, paths, tt.want)
		}
	}
}
