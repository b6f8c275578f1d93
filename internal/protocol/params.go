package protocol

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/shape"
)

// This file holds what the protocols share to route a request and to show
// its input as CloudTrail's requestParameters do.

// targetRoute splits X-Amz-Target into its prefix and operation.
func targetRoute(r *http.Request) (prefix, operation string, params url.Values) {
	target := r.Header.Get("X-Amz-Target")
	if i := strings.LastIndexByte(target, '.'); i >= 0 {
		return target[:i], target[i+1:], r.URL.Query()
	}
	return "", target, r.URL.Query()
}

// maxTrailBody bounds the body whose members are recorded as
// requestParameters; a larger body (a deployment package) is not parsed
// again for the trail.
const maxTrailBody = 100 << 10

// redacted are the members CloudTrail leaves out of records, lower-cased:
// secrets, deployment packages, environment variables (which hold
// secrets as often as not), KMS's plaintext and ciphertext blobs, and
// SQS's message bodies and attributes.
var redacted = map[string]bool{
	"secretaccesskey": true, "zipfile": true, "password": true, "privatekey": true,
	"newpassword": true, "oldpassword": true, "variables": true,
	"plaintext": true, "ciphertextblob": true,
	"messagebody": true, "messageattributes": true, "messagesystemattributes": true,
}

// Redacted reports whether CloudTrail leaves a member out of a record.
func Redacted(member string) bool { return redacted[strings.ToLower(member)] }

// queryControl are the query parameters that are not the operation's input.
var queryControl = map[string]bool{"Action": true, "Version": true}

// queryParameters turns awsQuery parameters into CloudTrail's nested form:
// Tags.member.1.Key=k becomes "tags": [{"key": "k"}].
func queryParameters(params url.Values) map[string]any {
	keys := make([]string, 0, len(params))
	for k := range params {
		if !queryControl[k] && !strings.HasPrefix(k, "X-Amz-") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	m := map[string]any{}
	for _, k := range keys {
		if len(params[k]) == 0 {
			continue
		}
		parts := strings.Split(k, ".")
		if Redacted(parts[len(parts)-1]) {
			continue
		}
		setPath(m, parts, params[k][0])
	}
	return nonEmpty(m)
}

// setPath stores v under a dotted query path, "member.N" being list items.
func setPath(m map[string]any, parts []string, v string) {
	key := lowerFirst(parts[0])
	rest := parts[1:]
	if len(rest) == 0 {
		m[key] = v
		return
	}
	if rest[0] == "member" && len(rest) >= 2 {
		n, err := strconv.Atoi(rest[1])
		if err != nil || n < 1 || n > 1000 {
			return
		}
		list, _ := m[key].([]any)
		for len(list) < n {
			list = append(list, nil)
		}
		if len(rest) == 2 {
			list[n-1] = v
		} else {
			item, _ := list[n-1].(map[string]any)
			if item == nil {
				item = map[string]any{}
			}
			setPath(item, rest[2:], v)
			list[n-1] = item
		}
		m[key] = list
		return
	}
	sub, _ := m[key].(map[string]any)
	if sub == nil {
		sub = map[string]any{}
	}
	setPath(sub, rest, v)
	m[key] = sub
}

// bodyParameters adds the members of a JSON (or CBOR) object payload to m,
// named by the service's model where rolecall has it (structure members
// lower-cased at any depth, map keys as written), else by their top-level
// names lower-cased.
func bodyParameters(c *api.Call, m map[string]any, unmarshal func([]byte, any) error) {
	body, err := c.Payload()
	if err != nil || len(body) == 0 || len(body) > maxTrailBody {
		return
	}
	var doc map[string]any
	if unmarshal(bytes.TrimSpace(body), &doc) != nil {
		return
	}
	if c.Service != nil {
		if models, err := shape.Load(); err == nil && models[c.Service.Name] != nil {
			for k, v := range models[c.Service.Name].Trail(c.OperationName, doc, Redacted) {
				m[k] = v
			}
			return
		}
	}
	for k, v := range doc {
		if !Redacted(k) {
			m[lowerFirst(k)] = v
		}
	}
}

// restParameters are a REST call's path labels and query parameters.
func restParameters(c *api.Call) map[string]any {
	m := map[string]any{}
	for k, v := range c.Params {
		if len(v) > 0 && !strings.HasPrefix(k, "X-Amz-") && !Redacted(k) {
			m[lowerFirst(k)] = v[0]
		}
	}
	for k, v := range c.PathParams {
		m[lowerFirst(k)] = v
	}
	return m
}

func nonEmpty(m map[string]any) map[string]any {
	if len(m) == 0 {
		return nil
	}
	return m
}

func (queryProtocol) Route(r *http.Request, body []byte) (string, string, url.Values) {
	params, err := ParseQuery(r, body)
	if err != nil {
		params = url.Values{}
	}
	return "", params.Get("Action"), params
}

// Parameters are the query parameters the operation's model defines;
// others (which the operation ignores) are not recorded.
func (queryProtocol) Parameters(c *api.Call) map[string]any {
	params := c.Params
	if c.Service != nil {
		if models, err := shape.Load(); err == nil && models[c.Service.Name] != nil {
			m := models[c.Service.Name]
			params = url.Values{}
			for k, v := range c.Params {
				top, _, _ := strings.Cut(k, ".")
				if m.HasMember(c.OperationName, top) {
					params[k] = v
				}
			}
		}
	}
	return queryParameters(params)
}

func (jsonProtocol) Route(r *http.Request, _ []byte) (string, string, url.Values) {
	return targetRoute(r)
}

func (jsonProtocol) Parameters(c *api.Call) map[string]any {
	m := map[string]any{}
	bodyParameters(c, m, json.Unmarshal)
	return nonEmpty(m)
}

func (cborProtocol) Route(r *http.Request, _ []byte) (string, string, url.Values) {
	return targetRoute(r)
}

func (cborProtocol) Parameters(c *api.Call) map[string]any {
	m := map[string]any{}
	bodyParameters(c, m, cborUnmarshal)
	return nonEmpty(m)
}

func (restJSON) Route(r *http.Request, _ []byte) (string, string, url.Values) {
	return "", "", r.URL.Query()
}

func (restJSON) Parameters(c *api.Call) map[string]any {
	m := restParameters(c)
	bodyParameters(c, m, json.Unmarshal)
	return nonEmpty(m)
}

func (restXML) Route(r *http.Request, _ []byte) (string, string, url.Values) {
	return "", "", r.URL.Query()
}

// Parameters are S3's as CloudTrail shows them: bucketName, key, the
// Host the request was sent to, and the query, sub-resources ("policy",
// "tagging") with empty values.
func (restXML) Parameters(c *api.Call) map[string]any {
	m := restParameters(c)
	if b, ok := m["bucket"]; ok {
		delete(m, "bucket")
		m["bucketName"] = b
	}
	if c.HTTP != nil && c.HTTP.Host != "" {
		m["Host"] = c.HTTP.Host
	}
	return nonEmpty(m)
}
