package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	aatypes "github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"
)

// TestUnusedAccessAnalyzerAuthorization: every operation of the unused
// access analyzer is refused to a user no policy allows it, with
// AccessDeniedException naming its IAM action, and changes nothing: the
// analyzer, its tags and its findings' statuses stay as they were (but for
// the finding of bob's key, which signed the refused requests).
func TestUnusedAccessAnalyzerAuthorization(t *testing.T) {
	f := newUnusedFixture(t)
	ctx := context.Background()
	aa := accessanalyzer.NewFromConfig(f.root)
	if _, err := aa.TagResource(ctx, &accessanalyzer.TagResourceInput{ResourceArn: aws.String(f.analyzer), Tags: map[string]string{"team": "a"}}); err != nil {
		t.Fatal(err)
	}
	before := f.findings(t)
	var id string
	for _, s := range before {
		id = aws.ToString(s.Id)
		break
	}
	if id == "" {
		t.Fatal("no finding")
	}
	// bob may only iam:GetUser.
	bob := accessanalyzer.NewFromConfig(f.bob)
	name, arn := aws.String("unused"), aws.String(f.analyzer)
	for _, tc := range []struct {
		action string
		call   func() error
	}{
		{"CreateAnalyzer", func() error {
			_, err := bob.CreateAnalyzer(ctx, &accessanalyzer.CreateAnalyzerInput{AnalyzerName: aws.String("other"), Type: aatypes.TypeAccountUnusedAccess})
			return err
		}},
		{"GetAnalyzer", func() error {
			_, err := bob.GetAnalyzer(ctx, &accessanalyzer.GetAnalyzerInput{AnalyzerName: name})
			return err
		}},
		{"ListAnalyzers", func() error { _, err := bob.ListAnalyzers(ctx, &accessanalyzer.ListAnalyzersInput{}); return err }},
		{"UpdateAnalyzer", func() error {
			_, err := bob.UpdateAnalyzer(ctx, &accessanalyzer.UpdateAnalyzerInput{AnalyzerName: name,
				Configuration: &aatypes.AnalyzerConfigurationMemberUnusedAccess{Value: aatypes.UnusedAccessConfiguration{UnusedAccessAge: aws.Int32(30)}}})
			return err
		}},
		{"DeleteAnalyzer", func() error {
			_, err := bob.DeleteAnalyzer(ctx, &accessanalyzer.DeleteAnalyzerInput{AnalyzerName: name})
			return err
		}},
		{"ListFindings", func() error {
			_, err := bob.ListFindingsV2(ctx, &accessanalyzer.ListFindingsV2Input{AnalyzerArn: arn})
			return err
		}},
		{"GetFinding", func() error {
			_, err := bob.GetFindingV2(ctx, &accessanalyzer.GetFindingV2Input{AnalyzerArn: arn, Id: aws.String(id)})
			return err
		}},
		{"UpdateFindings", func() error {
			_, err := bob.UpdateFindings(ctx, &accessanalyzer.UpdateFindingsInput{AnalyzerArn: arn, Ids: []string{id}, Status: aatypes.FindingStatusUpdateArchived})
			return err
		}},
		{"GetFindingsStatistics", func() error {
			_, err := bob.GetFindingsStatistics(ctx, &accessanalyzer.GetFindingsStatisticsInput{AnalyzerArn: arn})
			return err
		}},
		{"TagResource", func() error {
			_, err := bob.TagResource(ctx, &accessanalyzer.TagResourceInput{ResourceArn: arn, Tags: map[string]string{"team": "b"}})
			return err
		}},
		{"UntagResource", func() error {
			_, err := bob.UntagResource(ctx, &accessanalyzer.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"team"}})
			return err
		}},
		{"ListTagsForResource", func() error {
			_, err := bob.ListTagsForResource(ctx, &accessanalyzer.ListTagsForResourceInput{ResourceArn: arn})
			return err
		}},
	} {
		err := tc.call()
		if err == nil {
			t.Errorf("%s: allowed to a user no policy allows it", tc.action)
			continue
		}
		if msg := apiError(t, err, "AccessDeniedException"); !strings.Contains(msg, "access-analyzer:"+tc.action) {
			t.Errorf("%s: %q", tc.action, msg)
		}
	}
	got, err := aa.GetAnalyzer(ctx, &accessanalyzer.GetAnalyzerInput{AnalyzerName: name})
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := got.Analyzer.Configuration.(*aatypes.AnalyzerConfigurationMemberUnusedAccess)
	if got.Analyzer.Tags["team"] != "a" || cfg == nil || aws.ToInt32(cfg.Value.UnusedAccessAge) != 1 {
		t.Errorf("the analyzer changed: %+v", got.Analyzer)
	}
	if list, err := aa.ListAnalyzers(ctx, &accessanalyzer.ListAnalyzersInput{}); err != nil || len(list.Analyzers) != 1 {
		t.Errorf("analyzers: %v %v", list, err)
	}
	for k, s := range f.findings(t) {
		// bob's key signed the refused requests: it is used now.
		if s.Status != before[k].Status && k != "arn:aws:iam::123456789012:user/bob UnusedIAMUserAccessKey" {
			t.Errorf("finding %s: %s, was %s", k, s.Status, before[k].Status)
		}
	}
}
