package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// TestAddPermissionPrincipalsExist: Lambda refuses a resource-based policy
// statement for an IAM user or role of the account that does not exist.
func TestAddPermissionPrincipalsExist(t *testing.T) {
	s := newLambdaSuite(t)
	ctx := context.Background()
	role := s.role(t, "ap-role", lambdaTrust)
	s.create(t, goFunction(t, "ap-fn", role))
	s.user(t, "ap-user", "")
	add := func(sid, principal string) error {
		_, err := s.lambda.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("ap-fn"),
			StatementId: aws.String(sid), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String(principal)})
		return err
	}
	for i, bad := range []string{
		"arn:aws:iam::" + account + ":role/no-such-role",
		"arn:aws:iam::" + account + ":user/no-such-user",
		"arn:aws:iam::" + account + ":user/other-path/ap-user",
	} {
		if msg := apiError(t, add("bad"+string(rune('a'+i)), bad), "InvalidParameterValueException"); msg != "The provided principal was invalid. Please check the principal and try again." {
			t.Errorf("AddPermission for %s: %s", bad, msg)
		}
	}
	for i, good := range []string{
		role,
		"arn:aws:iam::" + account + ":user/ap-user",
		account,
		"arn:aws:iam::" + account + ":root",
		"arn:aws:iam::111122223333:role/elsewhere",
		"s3.amazonaws.com",
		"*",
	} {
		if err := add("good"+string(rune('a'+i)), good); err != nil {
			t.Errorf("AddPermission for %s: %v", good, err)
		}
	}
}

// TestFunctionPolicyKeepsPrincipalsByUniqueID: a function's policy keeps
// the IAM user it names by unique ID. Once the user is deleted GetPolicy
// shows the ID, and a user made again under the name may not invoke the
// function until it is granted again.
func TestFunctionPolicyKeepsPrincipalsByUniqueID(t *testing.T) {
	s := newLambdaSuite(t)
	ctx := context.Background()
	role := s.role(t, "uid-role", lambdaTrust)
	s.create(t, goFunction(t, "uid-fn", role))
	const userARN = "arn:aws:iam::" + account + ":user/inv"
	grant := func() {
		if _, err := s.lambda.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("uid-fn"),
			StatementId: aws.String("inv"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String(userARN)}); err != nil {
			t.Fatal(err)
		}
	}
	principal := func() string {
		out, err := s.lambda.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("uid-fn")})
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Statement []struct{ Principal struct{ AWS string } }
		}
		if err := json.Unmarshal([]byte(aws.ToString(out.Policy)), &doc); err != nil || len(doc.Statement) != 1 {
			t.Fatalf("policy %s: %v", aws.ToString(out.Policy), err)
		}
		return doc.Statement[0].Principal.AWS
	}
	event := map[string]any{"action": "echo"}
	inv := lambda.NewFromConfig(s.user(t, "inv", ""))
	grant()
	if _, err := invoke(inv, "uid-fn", event); err != nil {
		t.Fatalf("granted user: %v", err)
	}
	if got := principal(); got != userARN {
		t.Errorf("principal while the user exists: %s", got)
	}
	u, err := s.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("inv")})
	if err != nil {
		t.Fatal(err)
	}
	oldID := aws.ToString(u.User.UserId)
	keys, err := s.iam.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("inv")})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys.AccessKeyMetadata {
		if _, err := s.iam.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("inv"), AccessKeyId: k.AccessKeyId}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.iam.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("inv")}); err != nil {
		t.Fatal(err)
	}
	if got := principal(); got != oldID {
		t.Errorf("principal after the user was deleted: %s, want %s", got, oldID)
	}
	inv = lambda.NewFromConfig(s.user(t, "inv", ""))
	if got := principal(); got != oldID {
		t.Errorf("principal after the user was made again: %s, want %s", got, oldID)
	}
	_, err = invoke(inv, "uid-fn", event)
	if msg := apiError(t, err, "AccessDeniedException"); !strings.HasPrefix(msg, "User: "+userARN+" is not authorized to perform: lambda:InvokeFunction on resource: "+functionARN("uid-fn")) {
		t.Errorf("user made again: %s", msg)
	}
	// Granted again, the new user may invoke it.
	if _, err := s.lambda.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("uid-fn"), StatementId: aws.String("inv")}); err != nil {
		t.Fatal(err)
	}
	grant()
	if got := principal(); got != userARN {
		t.Errorf("principal granted again: %s", got)
	}
	if _, err := invoke(inv, "uid-fn", event); err != nil {
		t.Errorf("user made again, granted again: %v", err)
	}
}
