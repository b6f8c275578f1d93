package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	aatypes "github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// defaultAccessRole is the role policy generate uses as Access Analyzer's
// access role when --access-role is not given, created when missing.
const defaultAccessRole = "rolecall-access-analyzer"

const generateUsage = `Usage: rolecall policy generate (--role NAME | --principal ARN) [--since 24h | --start T [--end T]]
       [--placeholders=false] [--access-role ARN] [--create-policy NAME [--attach]]
       [--endpoint-url URL] [--region R] [--profile P] [--output json|table]

Generates the policy of what the principal did in the time range, from the
trail rolecall records, with Access Analyzer's StartPolicyGeneration and
GetGeneratedPolicy: actions grouped by service, the resources used
(--placeholders=false writes "*"), iam:PassRole limited to the service the
role was passed to, and the calls a service made on the principal's behalf
in statements of their own. Notes say where resources were collapsed to a
wildcard and why.

Access Analyzer reads the trail as an access role that trusts
access-analyzer.amazonaws.com and may call cloudtrail:GetTrail. Without
--access-role the role ` + defaultAccessRole + ` is used, and created (with that
trust and permission) when it does not exist; the output says so.

--create-policy NAME writes the result as customer managed policies (NAME,
then NAME-2, NAME-3 when it is split to fit the size limit); --attach
attaches them to the principal.
`

type generateOutput struct {
	JobID           string            `json:"jobId"`
	PrincipalARN    string            `json:"principalArn"`
	StartTime       time.Time         `json:"startTime"`
	EndTime         time.Time         `json:"endTime"`
	AccessRole      string            `json:"accessRole"`
	AccessRoleMade  bool              `json:"accessRoleCreated,omitempty"`
	Policies        []json.RawMessage `json:"policies"`
	Notes           []generateNote    `json:"notes"`
	CreatedPolicies []string          `json:"createdPolicies,omitempty"`
	Attached        bool              `json:"attached,omitempty"`
}

// generateNote is a note of GetGeneratedPolicy's "notes" member.
type generateNote struct {
	Kind     string `json:"kind"`
	Sid      string `json:"sid,omitempty"`
	Action   string `json:"action,omitempty"`
	Resource string `json:"resource,omitempty"`
	Count    int    `json:"count,omitempty"`
	Message  string `json:"message"`
}

func runPolicyGenerate(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rolecall policy generate", flag.ContinueOnError)
	fs.Usage = func() { _, _ = fmt.Fprint(fs.Output(), generateUsage); fs.PrintDefaults() }
	cf := addClientFlags(fs)
	pf := addPrincipalFlags(fs)
	rf := addRangeFlags(fs, "24h")
	placeholders := fs.Bool("placeholders", true, "name the resources used; false writes \"*\"")
	accessRole := fs.String("access-role", "", "Access Analyzer's access role `ARN` (default: "+defaultAccessRole+", created when missing)")
	create := fs.String("create-policy", "", "write the result as customer managed policies named `NAME`")
	attach := fs.Bool("attach", false, "attach the policies --create-policy writes to the principal")
	if done, err := parseFlags(fs, args, stdout, stderr); done {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("policy generate: unexpected argument %q", fs.Arg(0))
	}
	if *attach && *create == "" {
		return errors.New("policy generate: --attach needs --create-policy NAME")
	}
	c, principal, start, end, err := target(ctx, cf, pf, rf)
	if err != nil {
		return fmt.Errorf("policy generate: %w", err)
	}
	out := &generateOutput{PrincipalARN: principal, StartTime: start.UTC(), EndTime: end.UTC(), Notes: []generateNote{}}
	trail, err := recordedTrail(ctx, c)
	if err != nil {
		return fmt.Errorf("policy generate: %w", err)
	}
	out.AccessRole = *accessRole
	if out.AccessRole == "" {
		if out.AccessRole, out.AccessRoleMade, err = ensureAccessRole(ctx, c, trail); err != nil {
			return fmt.Errorf("policy generate: access role: %w", err)
		}
	}
	if err := generatePolicy(ctx, c, out, trail, *placeholders); err != nil {
		return fmt.Errorf("policy generate: %w", err)
	}
	if *create != "" {
		if err := createPolicies(ctx, c, out, *create, *attach); err != nil {
			return fmt.Errorf("policy generate: %w", err)
		}
	}
	if c.output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	return writeGenerateTable(stdout, out)
}

// recordedTrail returns the ARN of the trail rolecall records, as
// `aws cloudtrail describe-trails` lists it.
func recordedTrail(ctx context.Context, c *client) (string, error) {
	d, err := cloudtrail.NewFromConfig(c.cfg).DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
	if err != nil {
		return "", fmt.Errorf("describe trails: %w", err)
	}
	if len(d.TrailList) == 0 {
		return "", errors.New("describe trails: no trail is recorded")
	}
	return aws.ToString(d.TrailList[0].TrailARN), nil
}

// ensureAccessRole returns the default access role's ARN, creating the
// role (trusting access-analyzer.amazonaws.com, allowed to read trail)
// when it does not exist.
func ensureAccessRole(ctx context.Context, c *client, trail string) (string, bool, error) {
	ic := c.iam()
	got, err := ic.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(defaultAccessRole)})
	if err == nil {
		return aws.ToString(got.Role.Arn), false, nil
	}
	var nse *iamtypes.NoSuchEntityException
	if !errors.As(err, &nse) {
		return "", false, err
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"access-analyzer.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	made, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(defaultAccessRole), AssumeRolePolicyDocument: aws.String(trust),
		Description: aws.String("IAM Access Analyzer's access role for policy generation from the trail")})
	if err != nil {
		return "", false, err
	}
	perms := `{"Version":"2012-10-17","Statement":[{"Sid":"ReadTrail","Effect":"Allow","Action":"cloudtrail:GetTrail","Resource":"` + trail + `"}]}`
	if _, err := ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(defaultAccessRole),
		PolicyName: aws.String("AccessAnalyzerReadTrail"), PolicyDocument: aws.String(perms)}); err != nil {
		return "", false, err
	}
	return aws.ToString(made.Role.Arn), true, nil
}

// generatePolicy runs the generation and waits for it.
func generatePolicy(ctx context.Context, c *client, out *generateOutput, trail string, placeholders bool) error {
	ac := c.accessAnalyzer()
	started, err := ac.StartPolicyGeneration(ctx, &accessanalyzer.StartPolicyGenerationInput{
		PolicyGenerationDetails: &aatypes.PolicyGenerationDetails{PrincipalArn: aws.String(out.PrincipalARN)},
		CloudTrailDetails: &aatypes.CloudTrailDetails{
			AccessRole: aws.String(out.AccessRole), StartTime: aws.Time(out.StartTime), EndTime: aws.Time(out.EndTime),
			Trails: []aatypes.Trail{{CloudTrailArn: aws.String(trail), AllRegions: aws.Bool(true)}},
		},
	})
	if err != nil {
		return fmt.Errorf("start policy generation: %w", err)
	}
	out.JobID = aws.ToString(started.JobId)
	for delay := 50 * time.Millisecond; ; delay = min(2*delay, 2*time.Second) {
		var body []byte
		got, err := ac.GetGeneratedPolicy(ctx, &accessanalyzer.GetGeneratedPolicyInput{
			JobId: started.JobId, IncludeResourcePlaceholders: aws.Bool(placeholders),
		}, func(o *accessanalyzer.Options) { o.APIOptions = append(o.APIOptions, keepBody(&body)) })
		if err != nil {
			return fmt.Errorf("get generated policy: %w", err)
		}
		switch d := got.JobDetails; d.Status {
		case aatypes.JobStatusSucceeded:
			for _, p := range got.GeneratedPolicyResult.GeneratedPolicies {
				out.Policies = append(out.Policies, json.RawMessage(aws.ToString(p.Policy)))
			}
			var extra struct {
				Notes []generateNote `json:"notes"`
			}
			if err := json.Unmarshal(body, &extra); err != nil {
				return fmt.Errorf("get generated policy: notes: %w", err)
			}
			if extra.Notes != nil {
				out.Notes = extra.Notes
			}
			return nil
		case aatypes.JobStatusFailed:
			if d.JobError != nil {
				return fmt.Errorf("policy generation %s failed: %s: %s", out.JobID, d.JobError.Code, aws.ToString(d.JobError.Message))
			}
			return fmt.Errorf("policy generation %s failed", out.JobID)
		case aatypes.JobStatusCanceled:
			return fmt.Errorf("policy generation %s was canceled", out.JobID)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
	}
}

// keepBody copies the raw answer into dst before the SDK decodes it, for
// the members its model lacks (GetGeneratedPolicy's notes).
func keepBody(dst *[]byte) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		return s.Deserialize.Insert(middleware.DeserializeMiddlewareFunc("rolecallKeepBody",
			func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleDeserialize(ctx, in)
				if err != nil {
					return out, md, err
				}
				if resp, ok := out.RawResponse.(*smithyhttp.Response); ok && resp.Body != nil {
					b, rerr := io.ReadAll(resp.Body)
					_ = resp.Body.Close()
					if rerr != nil {
						return out, md, rerr
					}
					*dst = b
					resp.Body = io.NopCloser(bytes.NewReader(b))
				}
				return out, md, nil
			}), "OperationDeserializer", middleware.After)
	}
}

// createPolicies writes the generated policies as customer managed
// policies and, with attach, attaches them to the principal.
func createPolicies(ctx context.Context, c *client, out *generateOutput, name string, attach bool) error {
	ic := c.iam()
	for i, p := range out.Policies {
		n := name
		if i > 0 {
			n = fmt.Sprintf("%s-%d", name, i+1)
		}
		made, err := ic.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(n), PolicyDocument: aws.String(string(p)),
			Description: aws.String(fmt.Sprintf("Generated from %s's recorded traffic %s to %s", out.PrincipalARN,
				out.StartTime.Format(time.RFC3339), out.EndTime.Format(time.RFC3339)))})
		if err != nil {
			return fmt.Errorf("create policy %s: %w", n, err)
		}
		arn := aws.ToString(made.Policy.Arn)
		out.CreatedPolicies = append(out.CreatedPolicies, arn)
		if !attach {
			continue
		}
		kind, name, _ := strings.Cut(out.PrincipalARN[strings.LastIndexByte(out.PrincipalARN, ':')+1:], "/")
		name = name[strings.LastIndexByte(name, '/')+1:]
		switch kind {
		case "role":
			_, err = ic.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(arn)})
		case "user":
			_, err = ic.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(name), PolicyArn: aws.String(arn)})
		default:
			err = fmt.Errorf("%s is not a role or a user", out.PrincipalARN)
		}
		if err != nil {
			return fmt.Errorf("attach %s: %w", arn, err)
		}
		out.Attached = true
	}
	return nil
}

// writeGenerateTable writes the result for people: one row per statement,
// then the notes.
func writeGenerateTable(w io.Writer, out *generateOutput) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	// The tabwriter holds what it is given; a failed write of w is
	// Flush's error.
	printf := func(format string, a ...any) { _, _ = fmt.Fprintf(tw, format, a...) }
	printf("Policy generated for %s from %s to %s (job %s)\n", out.PrincipalARN,
		out.StartTime.Format(time.RFC3339), out.EndTime.Format(time.RFC3339), out.JobID)
	if out.AccessRoleMade {
		printf("Created the access role %s (trusts access-analyzer.amazonaws.com, may call cloudtrail:GetTrail).\n", out.AccessRole)
	}
	if len(out.Policies) == 0 {
		printf("No allowed calls were recorded in the range: nothing to grant.\n")
	}
	for i, p := range out.Policies {
		var doc struct {
			Statement []struct {
				Sid       string
				Action    any
				Resource  any
				Condition map[string]map[string]any
			}
		}
		if err := json.Unmarshal(p, &doc); err != nil {
			return fmt.Errorf("policy %d: %w", i+1, err)
		}
		printf("\nPolicy %d of %d\nSID\tACTIONS\tRESOURCES\tCONDITION\n", i+1, len(out.Policies))
		for _, s := range doc.Statement {
			var cond []string
			for op, kv := range s.Condition {
				for k, v := range kv {
					cond = append(cond, fmt.Sprintf("%s %s=%v", op, k, v))
				}
			}
			printf("%s\t%s\t%s\t%s\n", s.Sid, list(s.Action), list(s.Resource), strings.Join(cond, "; "))
		}
	}
	if len(out.Notes) > 0 {
		printf("\nNotes\n")
		for _, n := range out.Notes {
			printf("- [%s] %s\n", n.Kind, n.Message)
		}
	}
	for _, arn := range out.CreatedPolicies {
		verb := "Created"
		if out.Attached {
			verb = "Created and attached"
		}
		printf("%s %s\n", verb, arn)
	}
	return tw.Flush()
}

// list writes a policy element that is a string or a list of strings.
func list(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = fmt.Sprint(e)
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v)
}
