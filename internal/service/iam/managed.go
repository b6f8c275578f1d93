package iam

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

// awsManagedJSON holds the AWS managed policies rolecall knows, with their
// real documents, ids and dates.
//
//go:embed aws-managed-policies.json
var awsManagedJSON []byte

type managedEntry struct {
	Arn              string          `json:"Arn"`
	VersionID        string          `json:"VersionId"`
	CreateDate       time.Time       `json:"CreateDate"`
	Document         json.RawMessage `json:"Document"`
	PolicyID         string          `json:"PolicyId"`
	Path             string          `json:"Path"`
	PolicyCreateDate time.Time       `json:"PolicyCreateDate"`
	UpdateDate       time.Time       `json:"UpdateDate"`
	DefaultVersionID string          `json:"DefaultVersionId"`
}

// awsManaged decodes the embedded AWS managed policies.
func awsManaged() ([]*policyRecord, error) {
	var file struct {
		Policies map[string]managedEntry `json:"policies"`
	}
	if err := json.Unmarshal(awsManagedJSON, &file); err != nil {
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
			Created:     e.PolicyCreateDate.UTC(),
			Updated:     e.UpdateDate.UTC(),
			Default:     e.DefaultVersionID,
			Versions:    []versionRecord{{ID: e.VersionID, Doc: doc.String(), Created: e.CreateDate.UTC()}},
			NextVersion: 0,
			AWS:         true,
		})
	}
	return out, nil
}

// seedManaged stores the AWS managed policies, refreshing their documents.
// The accounts' attachment counts are kept apart (tableUses).
func (i *IAM) seedManaged(ctx context.Context) error {
	recs, err := awsManaged()
	if err != nil {
		return err
	}
	return i.update(ctx, func(tx store.Tx) error {
		for _, p := range recs {
			if err := put(ctx, tx, tablePolicies, awsKey(p.Name), p); err != nil {
				return err
			}
		}
		return nil
	})
}
