package server_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
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
