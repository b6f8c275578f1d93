package server_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/trail"
)

// kmsEnvFunction returns XV, after sleeping when the event asks it to.
const kmsEnvFunction = `import os, time

def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return {"XV": os.environ.get("XV", "")}
`

func kmsEnvInput(t *testing.T, name, role, key string) *lambda.CreateFunctionInput {
	return &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: aws.String(role), Runtime: lambdatypes.RuntimePython312,
		Handler: aws.String("handler.handler"), Code: &lambdatypes.FunctionCode{ZipFile: sourceZip(t, map[string]string{"handler.py": kmsEnvFunction})},
		Environment: &lambdatypes.Environment{Variables: map[string]string{"XV": "sekrit"}}, KMSKeyArn: aws.String(key), Timeout: aws.Int32(10)}
}

// TestLambdaKMSEnvironment: a function with KMSKeyArn gets a grant for its
// role, starts by decrypting its variables as the role through that grant
// (the trail shows the Decrypt made as the role, invoked by Lambda), and
// stops starting when the key is disabled or the grant is broken by the
// role's being created again.
func TestLambdaKMSEnvironment(t *testing.T) {
	s := newLambdaSuite(t)
	ctx := context.Background()
	keys := kms.NewFromConfig(s.srv.RootConfig())
	key := newKey(t, keys, nil)
	keyARN := aws.ToString(key.Arn)
	role := s.role(t, "kms-env-role", lambdaTrust, basicExecRole)

	// Lambda's Decrypt carries no lambda:SourceFunctionArn: a deny on
	// calls that carry it does not stop the function from starting.
	s.putRolePolicy(t, "kms-env-role", "deny-from-functions", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*","Condition":{"Null":{"lambda:SourceFunctionArn":"false"}}}]}`)
	fn := functionARN("kms-env")
	created, err := s.lambda.CreateFunction(ctx, kmsEnvInput(t, "kms-env", role, keyARN))
	if err != nil || created.Environment == nil || created.Environment.Variables["XV"] != "sekrit" || aws.ToString(created.KMSKeyArn) != keyARN {
		t.Fatalf("CreateFunction: %+v, %v", created, err)
	}
	s.waitActive(t, "kms-env")
	cfg, err := s.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("kms-env")})
	if err != nil || aws.ToString(cfg.KMSKeyArn) != keyARN || cfg.Environment == nil || cfg.Environment.Variables["XV"] != "sekrit" {
		t.Fatalf("GetFunctionConfiguration: KMSKeyArn %q, %+v, %v", aws.ToString(cfg.KMSKeyArn), cfg.Environment, err)
	}
	// A caller who may read the function but not decrypt with the key
	// gets the reason instead of the variables.
	reader := lambda.NewFromConfig(s.user(t, "reader", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:GetFunctionConfiguration","Resource":"*"}]}`))
	cfg, err = reader.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("kms-env")})
	if err != nil || cfg.Environment == nil || cfg.Environment.Variables != nil || cfg.Environment.Error == nil ||
		aws.ToString(cfg.Environment.Error.ErrorCode) != "KMSAccessDeniedException" {
		t.Fatalf("GetFunctionConfiguration by a reader: %+v, %v", cfg.Environment, err)
	}
	grants, err := keys.ListGrants(ctx, &kms.ListGrantsInput{KeyId: key.KeyId})
	if err != nil || len(grants.Grants) != 1 {
		t.Fatalf("ListGrants: %+v, %v", grants, err)
	}
	g := grants.Grants[0]
	if aws.ToString(g.GranteePrincipal) != role || len(g.Operations) != 1 || g.Operations[0] != kmstypes.GrantOperationDecrypt ||
		g.Constraints == nil || g.Constraints.EncryptionContextEquals["aws:lambda:FunctionArn"] != fn {
		t.Fatalf("Lambda's grant: %+v", g)
	}
	if got := str(s.call(t, "kms-env", map[string]any{})["XV"]); got != "sekrit" {
		t.Fatalf("XV = %q", got)
	}
	rec := s.waitTrail(t, "Decrypt", func(r *trailRecord) bool {
		return r.UserIdentity.ARN == assumedRoleARN("kms-env-role", "kms-env")
	})
	if rec.UserIdentity.Type != "AssumedRole" || rec.UserIdentity.InvokedBy != "lambda.amazonaws.com" {
		t.Fatalf("Decrypt record: %s", rec.raw)
	}
	// Beside the record, the decision names the grant that allowed it.
	evs, _, err := s.srv.Recorder().Store().QueryEvents(ctx, store.EventQuery{Attribute: "EventName", Value: "Decrypt",
		PrincipalARN: assumedRoleARN("kms-env-role", "kms-env"), Limit: 10})
	if err != nil || len(evs) != 1 {
		t.Fatalf("Decrypt events of the role: %d, %v", len(evs), err)
	}
	ds, err := trail.Decisions(evs[0])
	if err != nil || len(ds) != 1 || ds[0].Decision != "Allow" || len(ds[0].Statements) != 1 || ds[0].Statements[0].Sid != "grant/"+aws.ToString(g.GrantId) {
		t.Fatalf("Decrypt decisions = %+v, %v", ds, err)
	}

	// Disabled: the warm environment keeps its variables, a new one does
	// not start.
	if _, err := keys.DisableKey(ctx, &kms.DisableKeyInput{KeyId: key.KeyId}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := invoke(s.lambda, "kms-env", map[string]any{"sleep": 1})
			if err == nil && out.FunctionError != nil {
				t.Errorf("function error: %s", out.Payload)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	var refused int
	for _, err := range errs {
		if err != nil {
			msg := wantStatusCode(t, "a new environment with the key disabled", err, "KMSDisabledException", http.StatusBadGateway)
			if !strings.HasPrefix(msg, "Lambda was unable to decrypt the environment variables because the KMS key used is disabled.") {
				t.Errorf("message %q", msg)
			}
			refused++
		}
	}
	if refused != 1 {
		t.Fatalf("%d of two concurrent invocations refused, want the one that needed a new environment: %v", refused, errs)
	}
	if _, err := keys.EnableKey(ctx, &kms.EnableKeyInput{KeyId: key.KeyId}); err != nil {
		t.Fatal(err)
	}

	// A function whose role is created again under the same name: the
	// grant names the old role's ID.
	s.create(t, kmsEnvInput(t, "kms-env-2", role, keyARN))
	if _, err := s.iam.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("kms-env-role"), PolicyArn: aws.String(basicExecRole)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.iam.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("kms-env-role"), PolicyName: aws.String("deny-from-functions")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.iam.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("kms-env-role")}); err != nil {
		t.Fatal(err)
	}
	s.role(t, "kms-env-role", lambdaTrust, basicExecRole)
	_, err = invoke(s.lambda, "kms-env-2", map[string]any{})
	msg := apiError(t, err, "KMSAccessDeniedException")
	if !strings.HasPrefix(msg, "Lambda was unable to decrypt the environment variables because KMS access was denied. Please check the function's KMS key settings. KMS Exception: AccessDeniedException KMS Message: User: "+assumedRoleARN("kms-env-role", "kms-env-2")+" is not authorized to perform: kms:Decrypt on resource: "+keyARN) {
		t.Fatalf("message %q", msg)
	}
}

// TestLambdaKMSCaller: Lambda creates the grant and encrypts with the
// caller's permissions: a caller who may not use the key cannot set it.
func TestLambdaKMSCaller(t *testing.T) {
	s := newLambdaSuite(t)
	ctx := context.Background()
	key := newKey(t, kms.NewFromConfig(s.srv.RootConfig()), nil)
	role := s.role(t, "kms-caller-role", lambdaTrust, basicExecRole)
	noKMS := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["lambda:*","iam:PassRole"],"Resource":"*"}]}`
	dev := lambda.NewFromConfig(s.user(t, "dev", noKMS))
	_, err := dev.CreateFunction(ctx, kmsEnvInput(t, "kms-denied", role, aws.ToString(key.Arn)))
	msg := wantStatusCode(t, "CreateFunction without KMS permissions", err, "KMSAccessDeniedException", http.StatusBadGateway)
	if want := "Lambda was unable to encrypt the environment variables because KMS access was denied. Please check the function's KMS key settings. KMS Exception: AccessDeniedException KMS Message: User: arn:aws:iam::" + account + ":user/dev is not authorized to perform: kms:GenerateDataKey"; !strings.HasPrefix(msg, want) {
		t.Fatalf("message %q, want %q...", msg, want)
	}
	if _, err := s.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("kms-denied")}); err == nil {
		t.Fatal("a refused CreateFunction made the function")
	}

	// Without the key, nothing changes; with it, the update re-encrypts.
	s.create(t, &lambda.CreateFunctionInput{FunctionName: aws.String("kms-later"), Role: aws.String(role), Runtime: lambdatypes.RuntimePython312,
		Handler: aws.String("handler.handler"), Code: &lambdatypes.FunctionCode{ZipFile: sourceZip(t, map[string]string{"handler.py": kmsEnvFunction})},
		Environment: &lambdatypes.Environment{Variables: map[string]string{"XV": "plain"}}})
	s.updateConfig(t, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("kms-later"), KMSKeyArn: key.Arn})
	if got := str(s.call(t, "kms-later", map[string]any{})["XV"]); got != "plain" {
		t.Fatalf("XV after KMSKeyArn was set = %q", got)
	}
	s.updateConfig(t, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("kms-later"), KMSKeyArn: aws.String("")})
	cfg, err := s.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("kms-later")})
	if err != nil || cfg.KMSKeyArn != nil || cfg.Environment == nil || cfg.Environment.Variables["XV"] != "plain" {
		t.Fatalf("after KMSKeyArn was removed: %+v, %v", cfg, err)
	}
}

// wantStatusCode asserts err is an AWS error with code and HTTP status and
// returns its message.
func wantStatusCode(t *testing.T, what string, err error, code string, status int) string {
	t.Helper()
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != status {
		t.Fatalf("%s: want HTTP %d %s, got %v", what, status, code, err)
	}
	return apiError(t, err, code)
}
