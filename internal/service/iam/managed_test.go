package iam

import (
	"testing"

	"github.com/rolecall/rolecall/internal/store"
)

// TestEveryAWSManagedPolicyIsSeeded: all the embedded AWS managed policies
// are stored, with their paths, and ListPolicies --scope AWS pages them.
func TestEveryAWSManagedPolicyIsSeeded(t *testing.T) {
	f := newFixture(t)
	recs, err := awsManaged()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) < 1400 {
		t.Fatalf("%d AWS managed policies embedded", len(recs))
	}
	items, err := f.iam.store.List(t.Context(), tablePolicies, "aws/", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != len(recs) {
		t.Errorf("%d stored, %d embedded", len(items), len(recs))
	}
	for _, arn := range []string{
		"arn:aws:iam::aws:policy/AdministratorAccess",
		"arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
		"arn:aws:iam::aws:policy/service-role/AWSLambdaMSKExecutionRole",
		"arn:aws:iam::aws:policy/ReadOnlyAccess",
	} {
		contains(t, f.must("GetPolicy", "PolicyArn", arn), "<Arn>"+arn+"</Arn>", "<IsAttachable>true</IsAttachable>")
	}
	contains(t, f.must("GetPolicyVersion", "PolicyArn", "arn:aws:iam::aws:policy/AdministratorAccess", "VersionId", "v1"), "<IsDefaultVersion>true</IsDefaultVersion>")

	// Paging through every AWS policy, 100 at a time, sees each once.
	var r struct {
		Names     []string `xml:"ListPoliciesResult>Policies>member>PolicyName"`
		Truncated bool     `xml:"ListPoliciesResult>IsTruncated"`
		Marker    string   `xml:"ListPoliciesResult>Marker"`
	}
	seen := map[string]bool{}
	marker := ""
	for pages := 0; ; pages++ {
		if pages > 20 {
			t.Fatal("ListPolicies does not end")
		}
		args := []string{"Scope", "AWS", "MaxItems", "100"}
		if marker != "" {
			args = append(args, "Marker", marker)
		}
		r.Names, r.Truncated, r.Marker = nil, false, ""
		decode(t, "<x>"+f.must("ListPolicies", args...)+"</x>", &r)
		for _, n := range r.Names {
			if seen[n] {
				t.Fatalf("%s listed twice", n)
			}
			seen[n] = true
		}
		if !r.Truncated {
			break
		}
		marker = r.Marker
	}
	if len(seen) != len(recs) {
		t.Errorf("ListPolicies --scope AWS listed %d of %d", len(seen), len(recs))
	}
}

// TestSeedingWritesOnlyWhatChanged: a second start writes nothing, and
// when the embedded set differs from the one last seeded, the policies
// whose stored record differs are written again.
func TestSeedingWritesOnlyWhatChanged(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	before, err := f.iam.store.CurrentRevision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.iam.seedManaged(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := f.iam.store.CurrentRevision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("a second seeding committed revisions %d..%d", before, after)
	}
	key := awsKey("AdministratorAccess")
	if _, err := f.iam.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.Delete(ctx, tableMeta, managedDigestKey); err != nil {
			return err
		}
		return tx.Put(ctx, tablePolicies, key, []byte(`{"arn":"arn:aws:iam::aws:policy/AdministratorAccess","name":"AdministratorAccess","aws":true}`))
	}); err != nil {
		t.Fatal(err)
	}
	if err := f.iam.seedManaged(ctx); err != nil {
		t.Fatal(err)
	}
	contains(t, f.must("GetPolicyVersion", "PolicyArn", "arn:aws:iam::aws:policy/AdministratorAccess", "VersionId", "v1"), "Action")
}

// TestUnparsedManagedPolicies reports the AWS managed policies the engine
// refuses, and why (go test -v -run TestUnparsedManagedPolicies lists them).
func TestUnparsedManagedPolicies(t *testing.T) {
	// AWS's own managed policies are a frozen corpus the engine must take
	// whole: one it refuses is a fault of the engine.
	bad, err := UnparsedManaged()
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range bad {
		t.Errorf("%s does not parse: %s", u.Name, u.Reason)
	}
}
