package iam

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/session"
)

// IAM error constructors, with the codes and statuses of the model.

func noSuchEntity(format string, args ...any) error {
	return api.Errorf(404, "NoSuchEntity", format, args...)
}

func alreadyExists(format string, args ...any) error {
	return api.Errorf(409, "EntityAlreadyExists", format, args...)
}

func limitExceeded(format string, args ...any) error {
	return api.Errorf(409, "LimitExceeded", format, args...)
}

func deleteConflict(format string, args ...any) error {
	return api.Errorf(409, "DeleteConflict", format, args...)
}

func invalidInput(format string, args ...any) error {
	return api.Errorf(400, "InvalidInput", format, args...)
}

func malformed(message string) error {
	return &api.Error{Code: "MalformedPolicyDocument", Status: 400, Message: message}
}

// parseDocument parses doc as kind, turning a parse failure into
// MalformedPolicyDocument.
func parseDocument(doc string, kind policy.Kind) (*policy.Policy, error) {
	p, err := policy.Parse(doc, kind)
	if err != nil {
		var pe *policy.Error
		if errors.As(err, &pe) {
			return nil, malformed(pe.Message)
		}
		return nil, malformed("Syntax errors in policy.")
	}
	return p, nil
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// Unique ID prefixes.
const (
	prefixRole   = "AROA"
	prefixUser   = "AIDA"
	prefixPolicy = "ANPA"
	prefixKey    = "AKIA"
)

// uniqueID returns prefix followed by 17 characters of [A-Z2-7].
func uniqueID(prefix string) string {
	var b [11]byte
	rand.Read(b[:])
	return prefix + idEncoding.EncodeToString(b[:])[:17]
}

// accessKeyID returns an AKIA id that encodes account the way AWS's do,
// as the root key and STS's keys do (session.NewAccessKeyID), so that
// GetAccessKeyInfo answers its account.
func accessKeyID(account string) string {
	return session.NewAccessKeyID(prefixKey, account)
}

// secretKey returns a fresh 40-character secret access key.
func secretKey() string {
	var b [30]byte
	rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

// encodeDocument percent-encodes a policy document as IAM returns it:
// everything but unreserved characters is escaped, spaces as %20.
func encodeDocument(doc string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(doc) * 2)
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// pageMarker is a request's Marker with the scope of the listing it
// continues: the operation and every parameter but the paging ones, so a
// Marker is refused by another query. Markers are api page tokens.
type pageMarker struct{ scope, token string }

// newMarker returns the Marker token of a request with parameters v.
func newMarker(v url.Values, token string) pageMarker {
	filters := url.Values{}
	for k, vs := range v {
		if k != "Marker" && k != "MaxItems" && k != "Version" && !strings.HasPrefix(k, "X-Amz-") {
			filters[k] = vs
		}
	}
	return pageMarker{scope: api.TokenScope("iam", filters.Encode()), token: token}
}

// after returns the key a Marker token continues after: "" without a
// Marker, InvalidInput for a token this listing did not issue.
func (m pageMarker) after() (string, error) {
	if m.token == "" {
		return "", nil
	}
	pos, ok := api.DecodeToken(m.scope, m.token)
	if !ok {
		return "", invalidInput("Invalid Marker.")
	}
	return pos, nil
}

// paginate returns the items after marker, at most max of them, sorted by
// key, and the marker of the next page.
func paginate[T any](items []T, key func(T) string, marker pageMarker, max int) ([]T, page, error) {
	sort.SliceStable(items, func(a, b int) bool { return key(items[a]) < key(items[b]) })
	after, err := marker.after()
	if err != nil {
		return nil, page{}, err
	}
	start := 0
	if after != "" {
		start = sort.Search(len(items), func(k int) bool { return key(items[k]) > after })
	}
	items = items[start:]
	if len(items) <= max {
		return items, page{}, nil
	}
	items = items[:max]
	next := api.EncodeToken(marker.scope, key(items[max-1]))
	return items, page{IsTruncated: true, Marker: next}, nil
}

// pageList pages items as paginate does and renders the page.
func pageList[T, X any](items []T, key func(T) string, marker pageMarker, max int, render func(T) X) (list[X], page, error) {
	got, pg, err := paginate(items, key, marker, max)
	if err != nil {
		return nil, page{}, err
	}
	out := make(list[X], 0, len(got))
	for _, it := range got {
		out = append(out, render(it))
	}
	return out, pg, nil
}

// indexed pages a list that keeps its own order.
type indexed[T any] struct {
	n int
	v T
}

func (x indexed[T]) key() string { return fmt.Sprintf("%06d", x.n) }
func (x indexed[T]) value() T    { return x.v }

// pageInOrder pages items in the order they are given; the marker is a
// position.
func pageInOrder[T any](items []T, marker pageMarker, max int) (list[T], page, error) {
	ordered := make([]indexed[T], len(items))
	for n, v := range items {
		ordered[n] = indexed[T]{n, v}
	}
	return pageList(ordered, indexed[T].key, marker, max, indexed[T].value)
}

// ARNs.

func (i *IAM) roleARN(path, name string) string {
	return fmt.Sprintf("arn:aws:iam::%s:role%s%s", i.account, path, name)
}

func (i *IAM) userARN(path, name string) string {
	return fmt.Sprintf("arn:aws:iam::%s:user%s%s", i.account, path, name)
}

func (i *IAM) policyARN(path, name string) string {
	return fmt.Sprintf("arn:aws:iam::%s:policy%s%s", i.account, path, name)
}

// policyKey maps a managed policy ARN to its store key. ok is false when
// the ARN cannot name a managed policy of the view's account or AWS.
func (i *IAM) policyKey(arn string) (key string, ok bool) {
	rest, found := strings.CutPrefix(arn, "arn:aws:iam::")
	if !found {
		return "", false
	}
	acct, res, found := strings.Cut(rest, ":")
	if !found || !strings.HasPrefix(res, "policy/") {
		return "", false
	}
	name := res[strings.LastIndexByte(res, '/')+1:]
	if name == "" {
		return "", false
	}
	switch acct {
	case "aws":
		return awsKey(name), true
	case i.account:
		return i.nameKey(name), true
	}
	return "", false
}

// arnAccount returns the account field of an IAM ARN ("aws" for AWS
// managed policies), or "" when arn is not one.
func arnAccount(arn string) string {
	rest, ok := strings.CutPrefix(arn, "arn:aws:iam::")
	if !ok {
		return ""
	}
	acct, _, ok := strings.Cut(rest, ":")
	if !ok || acct == "aws" {
		return ""
	}
	return acct
}

// validARN reports whether s looks like an ARN at all.
func validARN(s string) bool {
	parts := strings.SplitN(s, ":", 6)
	return len(parts) == 6 && parts[0] == "arn" && parts[1] != "" && parts[2] != ""
}

func boundaryOf(arn string) *boundaryXML {
	if arn == "" {
		return nil
	}
	return &boundaryXML{PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: arn}
}

// mergeTags adds or replaces tags by key (keys compare case-insensitively,
// as IAM's do) and reports the result.
func mergeTags(have, add []Tag) []Tag {
	out := append([]Tag(nil), have...)
	for _, t := range add {
		replaced := false
		for k := range out {
			if strings.EqualFold(out[k].Key, t.Key) {
				out[k] = t
				replaced = true
				break
			}
		}
		if !replaced {
			out = append(out, t)
		}
	}
	return out
}

func removeTags(have []Tag, keys []string) []Tag {
	var out []Tag
	for _, t := range have {
		drop := false
		for _, k := range keys {
			if strings.EqualFold(t.Key, k) {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, t)
		}
	}
	return out
}

// checkTags validates a Tag list (duplicates, count) beyond the per-field
// constraints the form checks.
func checkTags(tags []Tag) error {
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		k := strings.ToLower(t.Key)
		if seen[k] {
			return invalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
	}
	return nil
}

func tooManyTags(n int) error {
	if n > maxTags {
		return limitExceeded("The number of tags has reached the maximum limit.")
	}
	return nil
}

// inlineSize is the size of a set of inline policies as IAM counts it.
func inlineSize(ps []inline) int {
	n := 0
	for _, p := range ps {
		n += policy.Size(p.Doc)
	}
	return n
}

// putInline sets (or replaces) an inline policy, keeping the list sorted.
func putInline(ps []inline, name, doc string) []inline {
	out := append([]inline(nil), ps...)
	for k := range out {
		if out[k].Name == name {
			out[k].Doc = doc
			return out
		}
	}
	out = append(out, inline{Name: name, Doc: doc})
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}

func findInline(ps []inline, name string) (inline, bool) {
	for _, p := range ps {
		if p.Name == name {
			return p, true
		}
	}
	return inline{}, false
}

func removeInline(ps []inline, name string) ([]inline, bool) {
	for k, p := range ps {
		if p.Name == name {
			return append(append([]inline(nil), ps[:k]...), ps[k+1:]...), true
		}
	}
	return ps, false
}

func removeString(ss []string, s string) ([]string, bool) {
	for k, v := range ss {
		if v == s {
			return append(append([]string(nil), ss[:k]...), ss[k+1:]...), true
		}
	}
	return ss, false
}
