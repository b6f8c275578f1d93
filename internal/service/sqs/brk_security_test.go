package sqs_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rolecall/rolecall/internal/server/servertest"
	"github.com/rolecall/rolecall/internal/store"
)

// memberAccount creates an organization and a member account, and returns
// the member's id and an SQS client acting as a role in it.
func memberAccount(t *testing.T, s *servertest.Server) (string, *sqs.Client) {
	t.Helper()
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
	return member, sqs.NewFromConfig(s.Config(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)))
}

// TestBrkCrossAccountOwnerActions: a queue policy granting another account
// sqs:* lets it send and receive, but not administer the queue: SQS
// documents that cross-account permissions do not apply to AddPermission,
// RemovePermission, DeleteQueue, SetQueueAttributes, TagQueue, UntagQueue
// and ListQueueTags.
func TestBrkCrossAccountOwnerActions(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t)
	ctx := context.Background()
	member, tenant := memberAccount(t, s)
	root := client(s)
	u := createQueue(t, root, "shared", nil)
	arn := "arn:aws:sqs:us-east-1:123456789012:shared"
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + member + `:root"},` +
		`"Action":"sqs:*","Resource":"` + arn + `"}]}`
	if _, err := root.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &u, Attributes: map[string]string{"Policy": doc}}); err != nil {
		t.Fatal(err)
	}
	if _, err := tenant.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("x")}); err != nil {
		t.Fatalf("send across accounts: %v", err)
	}
	if _, err := tenant.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &u}); err != nil {
		t.Fatalf("GetQueueAttributes across accounts: %v", err)
	}

	_, err := tenant.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &u,
		Attributes: map[string]string{"Policy": strings.ReplaceAll(doc, `"sqs:*"`, `"sqs:SendMessage"`)}})
	wantAPIError(t, err, "AccessDenied", "sqs:setqueueattributes")
	_, err = tenant.AddPermission(ctx, &sqs.AddPermissionInput{QueueUrl: &u, Label: aws.String("mine"),
		AWSAccountIds: []string{member}, Actions: []string{"*"}})
	wantAPIError(t, err, "AccessDenied", "sqs:addpermission")
	_, err = tenant.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: &u, Tags: map[string]string{"owner": "tenant"}})
	wantAPIError(t, err, "AccessDenied", "sqs:tagqueue")
	_, err = tenant.UntagQueue(ctx, &sqs.UntagQueueInput{QueueUrl: &u, TagKeys: []string{"owner"}})
	wantAPIError(t, err, "AccessDenied", "sqs:untagqueue")
	_, err = tenant.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: &u})
	wantAPIError(t, err, "AccessDenied", "sqs:listqueuetags")
	_, err = tenant.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: &u})
	if err != nil {
		t.Fatalf("PurgeQueue is not among the owner-only actions: %v", err)
	}
	_, err = tenant.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: &u})
	wantAPIError(t, err, "AccessDenied", "sqs:deletequeue")

	attrs, err := root.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &u, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNamePolicy}})
	if err != nil || attrs.Attributes["Policy"] != doc {
		t.Fatalf("the policy changed: %v %v", attrs, err)
	}
}

// TestBrkDeadLetterElsewhere: a dead-letter queue is in its source
// queue's account and Region. A RedrivePolicy may not name another
// account's queue (which would let a receiver move messages into a queue
// it may not send to) nor another Region's, even when that queue has no
// RedriveAllowPolicy ("allowAll: any source queues in this account in the
// same Region"), and the answer does not tell whether it exists.
func TestBrkDeadLetterElsewhere(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t)
	ctx := context.Background()
	_, tenant := memberAccount(t, s)
	root := client(s)
	victim := createQueue(t, root, "victim", nil)
	victimARN := "arn:aws:sqs:us-east-1:123456789012:victim"

	for _, target := range []string{victimARN, "arn:aws:sqs:us-east-1:123456789012:nothing-here"} {
		redrive := `{"deadLetterTargetArn":"` + target + `","maxReceiveCount":"1"}`
		_, err := tenant.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("src"), Attributes: map[string]string{"RedrivePolicy": redrive}})
		wantAPIError(t, err, "InvalidParameterValue", "is not allowed to use "+target+" as a dead-letter queue.")
	}
	src, err := tenant.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("src")})
	if err != nil {
		t.Fatal(err)
	}
	redrive := `{"deadLetterTargetArn":"` + victimARN + `","maxReceiveCount":"1"}`
	_, err = tenant.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: src.QueueUrl, Attributes: map[string]string{"RedrivePolicy": redrive}})
	wantAPIError(t, err, "InvalidParameterValue", "as a dead-letter queue.")

	// Another Region of the same account.
	west := sqs.NewFromConfig(s.RootConfig(), func(o *sqs.Options) { o.Region = "eu-west-1" })
	_, err = west.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("src"), Attributes: map[string]string{"RedrivePolicy": redrive}})
	wantAPIError(t, err, "InvalidParameterValue", "as a dead-letter queue.")

	got, err := root.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &victim,
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil || got.Attributes["ApproximateNumberOfMessages"] != "0" {
		t.Fatalf("victim queue: %v %v", got, err)
	}
}

// queryPostAs posts a query-protocol form signed with cfg's credentials.
func queryPostAs(t *testing.T, s *servertest.Server, cfg aws.Config, form url.Values) (int, string) {
	t.Helper()
	return queryPostAt(t, s, cfg, form, time.Now())
}

// queryPostAt posts a query-protocol form signed with cfg's credentials
// at the time at (the server's clock, when a test sets it).
func queryPostAt(t *testing.T, s *servertest.Server, cfg aws.Config, form url.Values, at time.Time) (int, string) {
	t.Helper()
	ctx := context.Background()
	form.Set("Version", "2012-11-05")
	body := form.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.Endpoint()+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "sqs", s.Region(), at); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestBrkTrailDeniedSend: a send that is refused (access denied, or a
// malformed attribute) leaves its message attribute values out of the
// trail in both protocols, as a successful one does.
func TestBrkTrailDeniedSend(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t)
	ctx := context.Background()
	u := createQueue(t, client(s), "private", nil)
	cfg, _ := userConfig(t, s, "mallory", "")

	st, body := queryPostAs(t, s, cfg, url.Values{"Action": {"SendMessage"}, "QueueUrl": {u}, "MessageBody": {"body-q1"},
		"MessageAttribute.1.Name": {"card"}, "MessageAttribute.1.Value.DataType": {"String"}, "MessageAttribute.1.Value.StringValue": {"secret-q1"}})
	if st != 403 || !strings.Contains(body, "AccessDenied") {
		t.Fatalf("denied query send: %d %s", st, body)
	}
	st, body = queryPostAs(t, s, cfg, url.Values{"Action": {"SendMessageBatch"}, "QueueUrl": {u},
		"SendMessageBatchRequestEntry.1.Id": {"a"}, "SendMessageBatchRequestEntry.1.MessageBody": {"body-q2"},
		"SendMessageBatchRequestEntry.1.MessageAttribute.1.Name":                    {"card"},
		"SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType":          {"String"},
		"SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue":       {"secret-q2"},
		"SendMessageBatchRequestEntry.1.MessageSystemAttribute.1.Name":              {"AWSTraceHeader"},
		"SendMessageBatchRequestEntry.1.MessageSystemAttribute.1.Value.DataType":    {"String"},
		"SendMessageBatchRequestEntry.1.MessageSystemAttribute.1.Value.StringValue": {"secret-q3"}})
	if st != 403 {
		t.Fatalf("denied query batch: %d %s", st, body)
	}
	// Allowed, but malformed: the decoding fails before the handler names
	// what to record.
	st, body = queryPostAs(t, s, s.RootConfig(), url.Values{"Action": {"SendMessage"}, "QueueUrl": {u}, "MessageBody": {"body-q4"},
		"MessageAttribute.1.Name": {"card"}, "MessageAttribute.1.Value.DataType": {"String"}, "MessageAttribute.1.Value.StringValue": {"secret-q4"},
		"MessageAttribute.2.Name": {"raw"}, "MessageAttribute.2.Value.DataType": {"Binary"}, "MessageAttribute.2.Value.BinaryValue": {"!!not base64"}})
	if st != 400 {
		t.Fatalf("malformed query send: %d %s", st, body)
	}
	denied := sqs.NewFromConfig(cfg)
	_, err := denied.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &u, Entries: []types.SendMessageBatchRequestEntry{{
		Id: aws.String("a"), MessageBody: aws.String("body-j1"),
		MessageAttributes: map[string]types.MessageAttributeValue{"card": {DataType: aws.String("String"), StringValue: aws.String("secret-j1")}},
	}}})
	wantAPIError(t, err, "AccessDenied", "sqs:sendmessage")
	_, err = denied.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("body-j2"),
		MessageAttributes: map[string]types.MessageAttributeValue{"card": {DataType: aws.String("String"), StringValue: aws.String("secret-j2")}}})
	wantAPIError(t, err, "AccessDenied", "sqs:sendmessage")

	if err := s.Recorder().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, name := range []string{"SendMessage", "SendMessageBatch"} {
		events, _, err := s.Recorder().Store().QueryEvents(ctx, store.EventQuery{Attribute: "EventName", Value: name, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			n++
			if rec := string(e.Record); strings.Contains(rec, "secret-") || strings.Contains(rec, "body-") {
				t.Errorf("trail record of %s holds message contents: %s", name, rec)
			}
		}
	}
	if n != 5 {
		t.Fatalf("%d send records, want 5", n)
	}
}

// TestBrkDeadLetterSourcesAcrossAccounts: ListDeadLetterSourceQueues,
// granted to another account by the dead-letter queue's policy, lists the
// sources of the queue's account, not the caller's.
func TestBrkDeadLetterSourcesAcrossAccounts(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t)
	ctx := context.Background()
	member, tenant := memberAccount(t, s)
	root := client(s)
	dlq := createQueue(t, root, "dead", nil)
	arn := "arn:aws:sqs:us-east-1:123456789012:dead"
	src := createQueue(t, root, "work", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"` + arn + `","maxReceiveCount":"3"}`})
	createQueue(t, tenant, "work", nil)
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + member + `:root"},` +
		`"Action":"sqs:ListDeadLetterSourceQueues","Resource":"` + arn + `"}]}`
	if _, err := root.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &dlq, Attributes: map[string]string{"Policy": doc}}); err != nil {
		t.Fatal(err)
	}
	got, err := tenant.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: &dlq})
	if err != nil || len(got.QueueUrls) != 1 || got.QueueUrls[0] != src {
		t.Fatalf("ListDeadLetterSourceQueues: %+v %v, want %s", got, err, src)
	}
}
