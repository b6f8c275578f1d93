package sqs_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/server/servertest"
	sqssvc "github.com/rolecall/rolecall/internal/service/sqs"
	"github.com/rolecall/rolecall/internal/store"
)

// TestQueuePolicy: the queue policy is a resource policy. It grants a
// principal of the account on its own, an explicit Deny in it wins over
// an identity policy's Allow, and a service principal gets in only with
// the aws:SourceArn the policy names.
func TestQueuePolicy(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t)
	root := client(s)
	ctx := context.Background()
	u := createQueue(t, root, "guarded", nil)
	arn := "arn:aws:sqs:us-east-1:123456789012:guarded"

	alice, aliceARN := user(t, s, "alice", "")
	bob, bobARN := user(t, s, "bob", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]}`)

	_, err := alice.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("x")})
	wantAPIError(t, err, "AccessDenied", "User: "+aliceARN+" is not authorized to perform: sqs:sendmessage on resource: "+arn+" because no identity-based policy allows the sqs:sendmessage action")
	if _, err := bob.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("x")}); err != nil {
		t.Fatalf("bob, allowed by his own policy: %v", err)
	}

	doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
		{"Sid":"alice","Effect":"Allow","Principal":{"AWS":%q},"Action":"sqs:SendMessage","Resource":%q},
		{"Sid":"nobob","Effect":"Deny","Principal":{"AWS":%q},"Action":"sqs:SendMessage","Resource":%q},
		{"Sid":"events","Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sqs:SendMessage","Resource":%q,
		 "Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:events:us-east-1:123456789012:rule/mine"}}}]}`,
		aliceARN, arn, bobARN, arn, arn)
	_, err = root.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &u, Attributes: map[string]string{"Policy": "{not json"}})
	wantAPIError(t, err, "InvalidAttributeValue", "Invalid value for the parameter Policy.")
	if _, err := root.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &u, Attributes: map[string]string{"Policy": doc}}); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("from alice")}); err != nil {
		t.Fatalf("alice, allowed by the queue policy: %v", err)
	}
	_, err = alice.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u})
	wantAPIError(t, err, "AccessDenied", "sqs:receivemessage")
	_, err = bob.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("secret-from-bob")})
	wantAPIError(t, err, "AccessDenied", "with an explicit deny in a resource-based policy")

	send := func(source string) error {
		_, err := s.Gateway().Invoke(ctx, api.Internal{
			Principal: &api.Principal{Type: api.AWSService, ARN: "events.amazonaws.com", PrincipalID: "events.amazonaws.com"},
			Service:   "sqs", Operation: "SendMessage", SourceARN: source, SourceAccount: "123456789012",
			Input: &sqssvc.SendMessageInput{QueueUrl: u, MessageBody: "event"},
		})
		return err
	}
	if err := send("arn:aws:events:us-east-1:123456789012:rule/mine"); err != nil {
		t.Fatalf("the service for the rule the policy names: %v", err)
	}
	var ae *api.Error
	if err := send("arn:aws:events:us-east-1:123456789012:rule/other"); !errors.As(err, &ae) || ae.Code != "AccessDenied" {
		t.Fatalf("the service for another rule: %v", err)
	}

	// Tags are aws:ResourceTag: a user allowed only on tagged queues.
	if _, err := root.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: &u, Tags: map[string]string{"team": "blue"}}); err != nil {
		t.Fatal(err)
	}
	carol, _ := user(t, s, "carol", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:GetQueueAttributes","Resource":"*",
		"Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}}]}`)
	if _, err := carol.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &u}); err != nil {
		t.Fatalf("carol on a blue queue: %v", err)
	}
	other := createQueue(t, root, "untagged", nil)
	_, err = carol.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &other})
	wantAPIError(t, err, "AccessDenied", "sqs:getqueueattributes")

	// The trail records the sends as data events, without their bodies.
	if err := s.Recorder().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	events, _, err := s.Recorder().Store().QueryEvents(ctx, store.EventQuery{Attribute: "EventName", Value: "SendMessage", Limit: 50})
	if err != nil || len(events) == 0 {
		t.Fatalf("no SendMessage events: %v", err)
	}
	for _, e := range events {
		if e.Category != "Data" || strings.Contains(string(e.Record), "from alice") || strings.Contains(string(e.Record), "secret-from-bob") || strings.Contains(string(e.Record), `"event"`) {
			t.Fatalf("trail record %s (%s)", e.Record, e.Category)
		}
	}
}

// TestInProcess calls the operations an event source mapping uses with
// typed inputs and outputs, as api.Invoke does.
func TestInProcess(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t)
	ctx := context.Background()
	u := createQueue(t, client(s), "esm", nil)
	root := &api.Principal{Type: api.Root, Account: "123456789012", ARN: "arn:aws:iam::123456789012:root", PrincipalID: "123456789012"}
	call := func(op string, in any) (any, error) {
		return s.Gateway().Invoke(ctx, api.Internal{Principal: root, Service: "sqs", Operation: op, Input: in})
	}
	sent, err := api.Invoke[*sqssvc.SendMessageOutput](ctx, s.Gateway(), api.Internal{Principal: root, Service: "sqs", Operation: "SendMessage",
		Input: &sqssvc.SendMessageInput{QueueUrl: u, MessageBody: "typed"}})
	if err != nil || sent.MessageId == "" {
		t.Fatalf("SendMessage: %+v %v", sent, err)
	}
	got, err := api.Invoke[*sqssvc.ReceiveMessageOutput](ctx, s.Gateway(), api.Internal{Principal: root, Service: "sqs", Operation: "ReceiveMessage",
		Input: &sqssvc.ReceiveMessageInput{QueueUrl: u, MaxNumberOfMessages: aws.Int32(10), AttributeNames: []string{"All"}}})
	if err != nil || len(got.Messages) != 1 || got.Messages[0].Body != "typed" || got.Messages[0].Attributes["ApproximateReceiveCount"] != "1" {
		t.Fatalf("ReceiveMessage: %+v %v", got, err)
	}
	h := got.Messages[0].ReceiptHandle
	if _, err := call("ChangeMessageVisibility", &sqssvc.ChangeMessageVisibilityInput{QueueUrl: u, ReceiptHandle: h, VisibilityTimeout: aws.Int32(60)}); err != nil {
		t.Fatal(err)
	}
	attrs, err := api.Invoke[*sqssvc.GetQueueAttributesOutput](ctx, s.Gateway(), api.Internal{Principal: root, Service: "sqs", Operation: "GetQueueAttributes",
		Input: &sqssvc.GetQueueAttributesInput{QueueUrl: u, AttributeNames: []string{"ApproximateNumberOfMessagesNotVisible"}}})
	if err != nil || attrs.Attributes["ApproximateNumberOfMessagesNotVisible"] != "1" {
		t.Fatalf("GetQueueAttributes: %+v %v", attrs, err)
	}
	del, err := api.Invoke[*sqssvc.DeleteMessageBatchOutput](ctx, s.Gateway(), api.Internal{Principal: root, Service: "sqs", Operation: "DeleteMessageBatch",
		Input: &sqssvc.DeleteMessageBatchInput{QueueUrl: u, Entries: []sqssvc.DeleteMessageBatchRequestEntry{{Id: "1", ReceiptHandle: h}}}})
	if err != nil || len(del.Successful) != 1 {
		t.Fatalf("DeleteMessageBatch: %+v %v", del, err)
	}
	if _, err := call("DeleteMessage", &sqssvc.DeleteMessageInput{QueueUrl: u, ReceiptHandle: h}); err != nil {
		t.Fatal(err)
	}
}

// TestPermissions: AddPermission writes a statement named by its label
// into the queue policy, which then grants; RemovePermission takes it out.
func TestPermissions(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t)
	root := client(s)
	ctx := context.Background()
	u := createQueue(t, root, "shared", nil)
	dave, _ := user(t, s, "dave", "")
	_, err := dave.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("x")})
	wantAPIError(t, err, "AccessDenied", "sqs:sendmessage")
	if _, err := root.AddPermission(ctx, &sqs.AddPermissionInput{QueueUrl: &u, Label: aws.String("senders"),
		AWSAccountIds: []string{"123456789012"}, Actions: []string{"SendMessage"}}); err != nil {
		t.Fatal(err)
	}
	_, err = root.AddPermission(ctx, &sqs.AddPermissionInput{QueueUrl: &u, Label: aws.String("senders"),
		AWSAccountIds: []string{"123456789012"}, Actions: []string{"SendMessage"}})
	wantAPIError(t, err, "InvalidParameterValue", "Already exists.")
	attrs, err := root.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &u, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNamePolicy}})
	if err != nil || !strings.Contains(attrs.Attributes["Policy"], `"Sid":"senders"`) || !strings.Contains(attrs.Attributes["Policy"], `"SQS:SendMessage"`) {
		t.Fatalf("Policy %v %v", attrs.Attributes, err)
	}
	// The account principal delegates to the account's IAM policies:
	// dave, with none, is still denied.
	_, err = dave.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("x")})
	wantAPIError(t, err, "AccessDenied", "sqs:sendmessage")
	if _, err := root.RemovePermission(ctx, &sqs.RemovePermissionInput{QueueUrl: &u, Label: aws.String("senders")}); err != nil {
		t.Fatal(err)
	}
	_, err = root.RemovePermission(ctx, &sqs.RemovePermissionInput{QueueUrl: &u, Label: aws.String("senders")})
	wantAPIError(t, err, "InvalidParameterValue", "can't find label.")
	attrs, err = root.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &u, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNamePolicy}})
	if err != nil || attrs.Attributes["Policy"] != "" {
		t.Fatalf("Policy after RemovePermission: %v %v", attrs.Attributes, err)
	}
}

// TestCrossAccount: a principal of another account reaches a queue only
// when the queue policy allows its account, and sees its own account's
// queues otherwise.
func TestCrossAccount(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t)
	ctx := context.Background()
	orgs := organizations.NewFromConfig(s.RootConfig())
	if _, err := orgs.CreateOrganization(ctx, &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	acct, err := orgs.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("tenant"), Email: aws.String("tenant@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	st, err := orgs.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: acct.CreateAccountStatus.Id})
	if err != nil || st.CreateAccountStatus.AccountId == nil {
		t.Fatalf("account: %+v %v", st, err)
	}
	member := aws.ToString(st.CreateAccountStatus.AccountId)
	admin, _ := userConfig(t, s, "admin", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	role, err := sts.NewFromConfig(admin).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + member + ":role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("ops")})
	if err != nil {
		t.Fatal(err)
	}
	c := role.Credentials
	tenant := sqs.NewFromConfig(s.Config(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)))

	root := client(s)
	u := createQueue(t, root, "inbox", nil)
	_, err = tenant.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("x")})
	wantAPIError(t, err, "AccessDenied", "sqs:sendmessage")
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + member + `:root"},` +
		`"Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:123456789012:inbox"}]}`
	if _, err := root.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &u, Attributes: map[string]string{"Policy": doc}}); err != nil {
		t.Fatal(err)
	}
	if _, err := tenant.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("from the tenant")}); err != nil {
		t.Fatalf("send across accounts: %v", err)
	}
	_, err = tenant.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u})
	wantAPIError(t, err, "AccessDenied", "sqs:receivemessage")
	// The tenant's own queue of the same name is another queue.
	own := createQueue(t, tenant, "inbox", nil)
	if own == u || !strings.Contains(own, "/"+member+"/inbox") {
		t.Fatalf("tenant's queue %s", own)
	}
	_, err = tenant.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("inbox"), QueueOwnerAWSAccountId: aws.String("123456789012")})
	wantAPIError(t, err, "AccessDenied", "sqs:getqueueurl")
	got, err := root.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u, MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameSenderId}})
	if err != nil || len(got.Messages) != 1 || !strings.HasPrefix(got.Messages[0].Attributes["SenderId"], "AROA") {
		t.Fatalf("the tenant's message: %+v %v", got, err)
	}
}
