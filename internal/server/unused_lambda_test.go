package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	aatypes "github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/rolecall/rolecall/internal/server/servertest"
	"github.com/rolecall/rolecall/internal/sigv4"
)

// TestUnusedAccessOfARoleUsedOnlyThroughLambda: a function's execution
// role that makes no call of its own is still used — Lambda assumes it and
// writes the function's logs with it — so the analyzer finds no
// UnusedIAMRole for it and the logs actions Lambda used are not unused;
// GetUnusedAccess says the same, and the role's own grants it never used
// (here s3:GetObject) are reported.
func TestUnusedAccessOfARoleUsedOnlyThroughLambda(t *testing.T) {
	clock := &unusedClock{}
	clock.srv = servertest.StartWith(t, servertest.Options{Now: clock.now})
	s := lambdaSuiteOn(clock.srv)
	ctx := context.Background()
	role := s.role(t, "quiet-fn", lambdaTrust, basicExecRole)
	s.putRolePolicy(t, "quiet-fn", "read", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::quiet/*"}]}`)
	s.create(t, &lambda.CreateFunctionInput{FunctionName: aws.String("quiet-fn"), Role: aws.String(role),
		Runtime: lambdatypes.Runtime("python3.11"), Handler: aws.String("handler.handler"), Code: &lambdatypes.FunctionCode{ZipFile: pythonZip(t)}})
	// Two days on, past the analyzer's tracking period of one day, the
	// function runs.
	clock.offset.Store(int64(48 * time.Hour))
	root := clock.config(s.srv.RootConfig())
	if out, err := invoke(lambda.NewFromConfig(root), "quiet-fn", map[string]string{}); err != nil || out.FunctionError != nil {
		t.Fatalf("invoke: %v", err)
	}

	// Lambda's calls for the role reach the trail.
	type usedOut struct {
		Used        bool `json:"used"`
		UsedActions []struct {
			Action string `json:"action"`
		} `json:"usedActions"`
		Unused []struct {
			Actions []struct {
				Action string `json:"action"`
			} `json:"actions"`
		} `json:"unused"`
	}
	var got usedOut
	var used, unused []string
	for deadline := time.Now().Add(pollTimeout); ; time.Sleep(200 * time.Millisecond) {
		in := map[string]any{"principalArn": role, "startTime": clock.now().Add(-time.Hour).Unix(), "endTime": clock.now().Add(time.Minute).Unix()}
		got = usedOut{}
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		req, err := http.NewRequest(http.MethodPost, s.srv.Endpoint()+"/v1/unused-access", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if err := sigv4.Sign(req, b, sigv4.Credentials{AccessKeyID: s.srv.Root().AccessKeyID, SecretAccessKey: s.srv.Root().SecretAccessKey},
			"us-east-1", "rolecall", clock.now()); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || err != nil {
			t.Fatalf("GetUnusedAccess: %d %v", resp.StatusCode, err)
		}

		used, unused = nil, nil
		for _, a := range got.UsedActions {
			used = append(used, a.Action)
		}
		for _, s := range got.Unused {
			for _, a := range s.Actions {
				unused = append(unused, a.Action)
			}
		}
		if slices.Contains(used, "logs:PutLogEvents") || time.Now().After(deadline) {
			break
		}
	}
	if !got.Used || !slices.Contains(used, "logs:PutLogEvents") || slices.Contains(unused, "logs:PutLogEvents") || !slices.Contains(unused, "s3:GetObject") {
		t.Errorf("GetUnusedAccess of the function's role: used %v, used actions %v, unused %v", got.Used, used, unused)
	}

	aa := accessanalyzer.NewFromConfig(root)
	an, err := aa.CreateAnalyzer(ctx, &accessanalyzer.CreateAnalyzerInput{AnalyzerName: aws.String("unused"), Type: aatypes.TypeAccountUnusedAccess,
		Configuration: &aatypes.AnalyzerConfigurationMemberUnusedAccess{Value: aatypes.UnusedAccessConfiguration{UnusedAccessAge: aws.Int32(1)}}})
	if err != nil {
		t.Fatal(err)
	}
	list, err := aa.ListFindingsV2(ctx, &accessanalyzer.ListFindingsV2Input{AnalyzerArn: an.Arn})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, f := range list.Findings {
		if aws.ToString(f.Resource) != role {
			continue
		}
		kinds = append(kinds, string(f.FindingType))
		if f.FindingType != aatypes.FindingTypeUnusedPermission {
			continue
		}
		d, err := aa.GetFindingV2(ctx, &accessanalyzer.GetFindingV2Input{AnalyzerArn: an.Arn, Id: f.Id})
		if err != nil {
			t.Fatal(err)
		}
		for _, det := range d.FindingDetails {
			if p, ok := det.(*aatypes.FindingDetailsMemberUnusedPermissionDetails); ok {
				for _, a := range p.Value.Actions {
					if strings.EqualFold(aws.ToString(a.Action), "logs:PutLogEvents") {
						t.Errorf("logs:PutLogEvents, which Lambda used for the role, is an unused permission")
					}
				}
			}
		}
	}
	if slices.Contains(kinds, string(aatypes.FindingTypeUnusedIamRole)) || !slices.Contains(kinds, string(aatypes.FindingTypeUnusedPermission)) {
		t.Errorf("findings of the function's role: %v; want an UnusedPermission (s3:GetObject) and no UnusedIAMRole", kinds)
	}
}
