package accessanalyzer_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aa "github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/rolecall/rolecall/internal/server/servertest"
	"github.com/rolecall/rolecall/internal/store"
)

const (
	acct     = "123456789012"
	trailARN = "arn:aws:cloudtrail:us-east-1:123456789012:trail/rolecall"
	appRole  = "arn:aws:iam::123456789012:role/app"
	table    = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
	object   = "arn:aws:s3:::reports/out/1.json"
)

const analyzerTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"access-analyzer.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// createRole creates a role with trust and, when not "", an inline policy.
func createRole(t *testing.T, c *iam.Client, name, trust, inline string) string {
	t.Helper()
	ctx := context.Background()
	out, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	if inline != "" {
		if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(inline)}); err != nil {
			t.Fatal(err)
		}
	}
	return aws.ToString(out.Role.Arn)
}

// seed records access rows of the app role's sessions an hour ago.
func seed(t *testing.T, st store.Store, at time.Time) {
	t.Helper()
	session := "arn:aws:sts::123456789012:assumed-role/app/fn"
	row := func(source, name, action, resource, decision, invokedBy string, extra bool) store.Access {
		return store.Access{Time: at, Account: acct, PrincipalARN: session, IssuerARN: appRole, EventSource: source,
			EventName: name, Action: action, Resource: resource, Decision: decision, Extra: extra, InvokedBy: invokedBy, Count: 1}
	}
	ev := store.Event{ID: "e1", Time: at, Name: "GetItem", Source: "dynamodb.amazonaws.com", Account: acct,
		PrincipalARN: session, IssuerARN: appRole, Category: store.CategoryData, Record: []byte(`{}`),
		Accesses: []store.Access{
			row("dynamodb.amazonaws.com", "GetItem", "dynamodb:GetItem", table, "Allow", "", false),
			row("dynamodb.amazonaws.com", "GetItem", "dynamodb:GetItem", table, "Allow", "", false),
			row("s3.amazonaws.com", "PutObject", "s3:PutObject", object, "Allow", "", false),
			row("s3.amazonaws.com", "DeleteObject", "s3:DeleteObject", object, "ImplicitDeny", "", false),
			row("logs.amazonaws.com", "PutLogEvents", "logs:PutLogEvents",
				"arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/fn:log-stream:s", "Allow", "lambda.amazonaws.com", false),
		}}
	if err := st.AppendEvents(context.Background(), []store.Event{ev}); err != nil {
		t.Fatal(err)
	}
}

func start(ctx context.Context, c *aa.Client, role, principal, trail string, from time.Time, token string) (string, error) {
	in := &aa.StartPolicyGenerationInput{
		PolicyGenerationDetails: &types.PolicyGenerationDetails{PrincipalArn: aws.String(principal)},
		CloudTrailDetails: &types.CloudTrailDetails{AccessRole: aws.String(role), StartTime: aws.Time(from),
			Trails: []types.Trail{{CloudTrailArn: aws.String(trail), AllRegions: aws.Bool(true)}}},
	}
	if token != "" {
		in.ClientToken = aws.String(token)
	}
	out, err := c.StartPolicyGeneration(ctx, in)
	if err != nil {
		return "", err
	}
	return aws.ToString(out.JobId), nil
}

// wait polls the job until it leaves IN_PROGRESS.
func wait(t *testing.T, c *aa.Client, id string, placeholders bool) *aa.GetGeneratedPolicyOutput {
	t.Helper()
	for range 200 {
		out, err := c.GetGeneratedPolicy(context.Background(), &aa.GetGeneratedPolicyInput{JobId: aws.String(id), IncludeResourcePlaceholders: aws.Bool(placeholders)})
		if err != nil {
			t.Fatal(err)
		}
		if out.JobDetails.Status != types.JobStatusInProgress {
			return out
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("job %s still in progress", id)
	return nil
}

func TestPolicyGeneration(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	cfg := srv.RootConfig()
	client, iamc := aa.NewFromConfig(cfg), iam.NewFromConfig(cfg)
	access := createRole(t, iamc, "analyzer", analyzerTrust,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudtrail:GetTrail","Resource":"`+trailARN+`"}]}`)
	createRole(t, iamc, "app", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, "")
	now := time.Now().UTC()
	seed(t, srv.Recorder().Store(), now.Add(-time.Hour))
	// Before the range: a service only the service-level template names.
	if err := srv.Recorder().Store().AppendEvents(ctx, []store.Event{{ID: "e0", Time: now.Add(-5 * time.Hour), Name: "SendMessage",
		Source: "sqs.amazonaws.com", Account: acct, Record: []byte(`{}`), Accesses: []store.Access{{Time: now.Add(-5 * time.Hour),
			Account: acct, PrincipalARN: appRole, EventSource: "sqs.amazonaws.com", EventName: "SendMessage", Action: "sqs:SendMessage",
			Resource: "arn:aws:sqs:us-east-1:123456789012:q", Decision: "Allow", Count: 1}}}}); err != nil {
		t.Fatal(err)
	}

	id, err := start(ctx, client, access, appRole, trailARN, now.Add(-2*time.Hour), "")
	if err != nil {
		t.Fatal(err)
	}
	out := wait(t, client, id, true)
	if out.JobDetails.Status != types.JobStatusSucceeded || out.JobDetails.CompletedOn == nil {
		t.Fatalf("job %+v", out.JobDetails)
	}
	props := out.GeneratedPolicyResult.Properties
	if aws.ToString(props.PrincipalArn) != appRole || !aws.ToBool(props.IsComplete) ||
		aws.ToString(props.CloudTrailProperties.TrailProperties[0].CloudTrailArn) != trailARN {
		t.Errorf("properties %+v", props)
	}
	if n := len(out.GeneratedPolicyResult.GeneratedPolicies); n != 1 {
		t.Fatalf("%d policies", n)
	}
	want := `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"Dynamodb1","Effect":"Allow","Action":"dynamodb:GetItem","Resource":"` + table + `"},` +
		`{"Sid":"S31","Effect":"Allow","Action":"s3:PutObject","Resource":"` + object + `"},` +
		`{"Sid":"LogsCalledByLambda1","Effect":"Allow","Action":"logs:PutLogEvents","Resource":"arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/fn:log-stream:*"}]}`
	if got := aws.ToString(out.GeneratedPolicyResult.GeneratedPolicies[0].Policy); got != want {
		t.Errorf("policy\n%s\nwant\n%s", got, want)
	}
	tpl, err := client.GetGeneratedPolicy(ctx, &aa.GetGeneratedPolicyInput{JobId: aws.String(id), IncludeServiceLevelTemplate: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(tpl.GeneratedPolicyResult.GeneratedPolicies[0].Policy); !strings.Contains(got, `{"Sid":"SqsServiceLevel1","Effect":"Allow","Action":"sqs:*","Resource":"*"}`) {
		t.Errorf("service-level template: %s", got)
	}
	star := wait(t, client, id, false)
	if got := aws.ToString(star.GeneratedPolicyResult.GeneratedPolicies[0].Policy); strings.Contains(got, "arn:") {
		t.Errorf("without placeholders: %s", got)
	}

	t.Run("idempotent client token", func(t *testing.T) {
		a, err := start(ctx, client, access, appRole, trailARN, now.Add(-2*time.Hour), "tok-1")
		if err != nil {
			t.Fatal(err)
		}
		b, err := start(ctx, client, access, appRole, trailARN, now.Add(-2*time.Hour), "tok-1")
		if err != nil || a != b {
			t.Errorf("retry: %s %s %v", a, b, err)
		}
		_, err = start(ctx, client, access, appRole, trailARN, now.Add(-3*time.Hour), "tok-1")
		var ce *types.ConflictException
		if !errors.As(err, &ce) {
			t.Errorf("token reused for another request: %v", err)
		}
		wait(t, client, a, true)
	})

	t.Run("list and cancel", func(t *testing.T) {
		l, err := client.ListPolicyGenerations(ctx, &aa.ListPolicyGenerationsInput{PrincipalArn: aws.String(appRole), MaxResults: aws.Int32(1)})
		if err != nil || len(l.PolicyGenerations) != 1 || l.NextToken == nil || aws.ToString(l.PolicyGenerations[0].JobId) != id {
			t.Fatalf("list: %v %+v", err, l)
		}
		l2, err := client.ListPolicyGenerations(ctx, &aa.ListPolicyGenerationsInput{PrincipalArn: aws.String(appRole), NextToken: l.NextToken})
		if err != nil || len(l2.PolicyGenerations) != 1 || l2.NextToken != nil {
			t.Fatalf("second page: %v %+v", err, l2)
		}
		none, err := client.ListPolicyGenerations(ctx, &aa.ListPolicyGenerationsInput{PrincipalArn: aws.String("arn:aws:iam::123456789012:role/other")})
		if err != nil || len(none.PolicyGenerations) != 0 {
			t.Errorf("other principal: %v %+v", err, none)
		}
		// A finished job keeps its state.
		if _, err := client.CancelPolicyGeneration(ctx, &aa.CancelPolicyGenerationInput{JobId: aws.String(id)}); err != nil {
			t.Fatal(err)
		}
		if out := wait(t, client, id, true); out.JobDetails.Status != types.JobStatusSucceeded {
			t.Errorf("canceled after success: %s", out.JobDetails.Status)
		}
		_, err = client.CancelPolicyGeneration(ctx, &aa.CancelPolicyGenerationInput{JobId: aws.String("nope")})
		var ve *types.ValidationException
		if !errors.As(err, &ve) || len(ve.FieldList) != 1 || aws.ToString(ve.FieldList[0].Name) != "jobId" {
			t.Errorf("cancel unknown job: %v", err)
		}
		_, err = client.GetGeneratedPolicy(ctx, &aa.GetGeneratedPolicyInput{JobId: aws.String("nope")})
		if !errors.As(err, &ve) {
			t.Errorf("get unknown job: %v", err)
		}
	})

	t.Run("validation", func(t *testing.T) {
		for _, tc := range []struct {
			name      string
			principal string
			from      time.Time
			field     string
		}{
			{"principal of another account", "arn:aws:iam::210987654321:role/app", now.Add(-time.Hour), "policyGenerationDetails.principalArn"},
			{"start in the future", appRole, now.Add(time.Hour), "cloudTrailDetails.startTime"},
			{"more than 90 days", appRole, now.Add(-91 * 24 * time.Hour), "cloudTrailDetails.startTime"},
		} {
			_, err := start(ctx, client, access, tc.principal, trailARN, tc.from, "")
			var ve *types.ValidationException
			if !errors.As(err, &ve) || ve.Reason != types.ValidationExceptionReasonFieldValidationFailed ||
				len(ve.FieldList) != 1 || aws.ToString(ve.FieldList[0].Name) != tc.field {
				t.Errorf("%s: %v", tc.name, err)
			}
		}
		_, err := client.StartPolicyGeneration(ctx, &aa.StartPolicyGenerationInput{
			PolicyGenerationDetails: &types.PolicyGenerationDetails{PrincipalArn: aws.String(appRole)}})
		var ve *types.ValidationException
		if !errors.As(err, &ve) || ve.Reason != types.ValidationExceptionReasonNotSupported {
			t.Errorf("without cloudTrailDetails: %v", err)
		}
		_, err = start(ctx, client, access, "arn:aws:iam::123456789012:group/g", trailARN, now.Add(-time.Hour), "")
		if !errors.As(err, &ve) {
			t.Errorf("a group: %v", err)
		}
	})

	t.Run("access role and trail refused", func(t *testing.T) {
		untrusted := createRole(t, iamc, "untrusted", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudtrail:GetTrail","Resource":"*"}]}`)
		blind := createRole(t, iamc, "blind", analyzerTrust, "")
		for _, tc := range []struct {
			name, role, trail string
			code              types.JobErrorCode
		}{
			{"role that does not trust Access Analyzer", untrusted, trailARN, types.JobErrorCodeAuthorizationError},
			{"role that may not read the trail", blind, trailARN, types.JobErrorCodeAuthorizationError},
			{"missing role", "arn:aws:iam::123456789012:role/missing", trailARN, types.JobErrorCodeAuthorizationError},
			{"another trail", access, "arn:aws:cloudtrail:us-east-1:123456789012:trail/other", types.JobErrorCodeResourceNotFoundError},
		} {
			id, err := start(ctx, client, tc.role, appRole, tc.trail, now.Add(-time.Hour), "")
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			out := wait(t, client, id, true)
			if out.JobDetails.Status != types.JobStatusFailed || out.JobDetails.JobError == nil || out.JobDetails.JobError.Code != tc.code {
				t.Errorf("%s: %+v %+v", tc.name, out.JobDetails, out.JobDetails.JobError)
			} else if len(out.GeneratedPolicyResult.GeneratedPolicies) != 0 {
				t.Errorf("%s: policies of a failed job", tc.name)
			}
		}
	})
}
