// Package shape checks a request's input against the constraints of its
// operation's AWS service model — required members, lengths, ranges,
// patterns and enums — and words the violations as AWS does:
//
//	1 validation error detected: Value 'x y' at 'roleName' failed to satisfy
//	constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+
//
// The constraints come from models.json.gz, which scripts/gen-shapes writes
// from the botocore-style JSON models (shared/reference/aws-models): for
// each service, its protocol, each operation's input shape and every shape
// reachable from an input.
package shape

//go:generate go run ../../scripts/gen-shapes -models ../../../shared/reference/aws-models -out models.json.gz

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"sync"
)

// Protocols of the models, as botocore names them.
const (
	Query    = "query"     // awsQuery: form parameters, lists as Name.member.N
	EC2      = "ec2"       // ec2: form parameters, lists as Name.N
	JSON     = "json"      // awsJson1_0 / awsJson1_1: a JSON body
	RESTJSON = "rest-json" // restJson1: URI labels, query string, headers, JSON body
	RESTXML  = "rest-xml"  // restXml: URI labels, query string, headers, XML body
)

// Locations of a member on the wire (REST protocols); "" is the body.
const (
	URI         = "uri"
	QueryString = "querystring"
	Header      = "header"
	Headers     = "headers"
)

// Models is the generated file: services by name (the model file's base
// name: "iam", "sts", "lambda", "logs", "xray", "cloudtrail", ...).
type Models map[string]*Model

// Model is one service's input shapes.
type Model struct {
	Protocol string `json:"protocol"`
	// Operations map an operation name to its input shape ("" when the
	// operation has no input).
	Operations map[string]string `json:"operations"`
	// Shapes are the shapes reachable from the operations' inputs.
	Shapes map[string]*Shape `json:"shapes"`
}

// Shape is one model shape with the constraints the validator checks.
type Shape struct {
	// Type is the model type: structure, list, map, string, integer,
	// long, float, double, boolean, timestamp, blob.
	Type string `json:"type"`
	// Members of a structure, in model order (the order AWS reports
	// violations in).
	Members []Member `json:"members,omitempty"`
	// Member is a list's element; Key and Value a map's.
	Member *Ref `json:"member,omitempty"`
	Key    *Ref `json:"key,omitempty"`
	Value  *Ref `json:"value,omitempty"`
	// Min and Max bound a string's, list's or map's length, or a
	// number's value.
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
	// Pattern is a string's regular expression as the model (and AWS's
	// message) writes it, in Java syntax; it must match the whole value.
	Pattern string `json:"pattern,omitempty"`
	// Enum lists a string's allowed values.
	Enum []string `json:"enum,omitempty"`
	// Flattened lists and maps of the query protocol omit ".member".
	Flattened bool `json:"flattened,omitempty"`
}

// Ref points at a shape from a list or map.
type Ref struct {
	Shape        string `json:"shape"`
	LocationName string `json:"locationName,omitempty"`
}

// Member is one member of a structure.
type Member struct {
	// Name is the member name ("RoleName"); messages write it with a
	// lower-case first letter.
	Name  string `json:"name"`
	Shape string `json:"shape"`
	// Required members must be present.
	Required bool `json:"required,omitempty"`
	// Location is where a REST member travels (URI, QueryString, Header,
	// Headers); "" is the body.
	Location string `json:"location,omitempty"`
	// LocationName is its wire name when it differs from Name: the URI
	// label, query-string key, header, or query-protocol parameter.
	LocationName string `json:"locationName,omitempty"`
	// QueryName is the EC2 protocol's parameter name.
	QueryName string `json:"queryName,omitempty"`
	// Flattened overrides the target list's flattening (query protocol).
	Flattened bool `json:"flattened,omitempty"`
}

//go:embed models.json.gz
var embedded []byte

// loadEmbedded decodes the embedded models once; the result is never
// modified.
var loadEmbedded = sync.OnceValues(func() (Models, error) { return Decode(bytes.NewReader(embedded)) })

// Load returns the models embedded in the binary.
func Load() (Models, error) { return loadEmbedded() }

// Decode reads models in the generated format (gzip-compressed JSON).
func Decode(r io.Reader) (Models, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("shape: %w", err)
	}
	defer func() { _ = zr.Close() }() // read only
	var m Models
	if err := json.NewDecoder(zr).Decode(&m); err != nil {
		return nil, fmt.Errorf("shape: %w", err)
	}
	return m, nil
}

// Encode writes models in the generated format.
func Encode(w io.Writer, m Models) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	if err := json.NewEncoder(zw).Encode(m); err != nil {
		return err
	}
	return zw.Close()
}
