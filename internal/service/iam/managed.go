package iam

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/store"
)

// awsManagedGzip holds every AWS managed policy (the default version of
// each, as iam list-policies --scope AWS and get-policy-version report
// them), gzip-compressed JSON: {"policies": {name: entry}}.
//
//go:embed aws-managed-policies.json.gz
var awsManagedGzip []byte

type managedEntry struct {
	Arn              string          `json:"Arn"`
	VersionID        string          `json:"VersionId"`
	CreateDate       time.Time       `json:"CreateDate"`
	Document         json.RawMessage `json:"Document"`
	PolicyID         string          `json:"PolicyId"`
	Path             string          `json:"Path"`
	Description      string          `json:"Description"`
	PolicyCreateDate time.Time       `json:"PolicyCreateDate"`
	UpdateDate       time.Time       `json:"UpdateDate"`
	DefaultVersionID string          `json:"DefaultVersionId"`
}

// awsManaged decodes the embedded AWS managed policies, in name order.
func awsManaged() ([]*policyRecord, error) {
	zr, err := gzip.NewReader(bytes.NewReader(awsManagedGzip))
	if err != nil {
		return nil, fmt.Errorf("open embedded policies: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("read embedded policies: %w", err)
	}
	var file struct {
		Policies map[string]managedEntry `json:"policies"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		return nil, fmt.Errorf("decode embedded policies: %w", err)
	}
	out := make([]*policyRecord, 0, len(file.Policies))
	for name, e := range file.Policies {
		var doc bytes.Buffer
		if err := json.Indent(&doc, e.Document, "", "    "); err != nil {
			return nil, fmt.Errorf("policy %s: %w", name, err)
		}
		out = append(out, &policyRecord{
			ARN:         e.Arn,
			Name:        name,
			ID:          e.PolicyID,
			Path:        e.Path,
			Description: e.Description,
			Created:     e.PolicyCreateDate.UTC(),
			Updated:     e.UpdateDate.UTC(),
			Default:     e.DefaultVersionID,
			Versions:    []versionRecord{{ID: e.VersionID, Doc: doc.String(), Created: e.CreateDate.UTC()}},
			NextVersion: 0,
			AWS:         true,
		})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out, nil
}

// Unparsed is an AWS managed policy whose document the policy engine
// refuses: it is stored and listed like the others, but attaching it
// grants nothing until the engine learns its construct, and evaluation of
// a principal it is attached to fails closed.
type Unparsed struct {
	Name   string
	Reason string
}

// UnparsedManaged returns the embedded AWS managed policies the policy
// engine cannot parse, with the engine's reason, in name order.
func UnparsedManaged() ([]Unparsed, error) {
	recs, err := awsManaged()
	if err != nil {
		return nil, err
	}
	var out []Unparsed
	for _, p := range recs {
		if _, err := policy.Parse(p.Versions[0].Doc, policy.Identity); err != nil {
			out = append(out, Unparsed{Name: p.Name, Reason: err.Error()})
		}
	}
	return out, nil
}

// managedDigestKey is the key in tableMeta of the digest of the embedded
// AWS managed policies last seeded.
const managedDigestKey = "awsManagedDigest"

// seedManaged stores the AWS managed policies, writing only those whose
// stored record differs from the embedded one: a first start writes them
// all, a start of a build with new policies the changed ones, and a
// restart of the same build, whose digest of the embedded file is already
// stored, reads one key. The accounts' attachment counts are kept apart
// (tableUses); policies no longer embedded are kept, as AWS keeps a
// deprecated policy for the entities it is attached to.
func (i *IAM) seedManaged(ctx context.Context) error {
	sum := sha256.Sum256(awsManagedGzip)
	digest := hex.EncodeToString(sum[:])
	have, err := i.store.Get(ctx, tableMeta, managedDigestKey)
	switch {
	case err == nil && string(have) == digest:
		return nil
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("read %s/%s: %w", tableMeta, managedDigestKey, err)
	}
	recs, err := awsManaged()
	if err != nil {
		return err
	}
	want := make(map[string][]byte, len(recs))
	for _, p := range recs {
		b, err := json.Marshal(p)
		if err != nil {
			return fmt.Errorf("encode policy %s: %w", p.Name, err)
		}
		want[awsKey(p.Name)] = b
	}
	// Compare outside the transaction first: a restart reads once and
	// writes nothing.
	stored, err := i.store.List(ctx, tablePolicies, "aws/", "", 0)
	if err != nil {
		return fmt.Errorf("list %s: %w", tablePolicies, err)
	}
	changed := make(map[string][]byte, len(want))
	for k, v := range want {
		changed[k] = v
	}
	for _, it := range stored {
		if v, ok := changed[it.Key]; ok && bytes.Equal(v, it.Value) {
			delete(changed, it.Key)
		}
	}
	keys := make([]string, 0, len(changed))
	for k := range changed {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return i.update(ctx, func(tx store.Tx) error {
		for _, k := range keys {
			if err := tx.Put(ctx, tablePolicies, k, changed[k]); err != nil {
				return fmt.Errorf("iam: write %s/%s: %w", tablePolicies, k, err)
			}
		}
		return tx.Put(ctx, tableMeta, managedDigestKey, []byte(digest))
	})
}
