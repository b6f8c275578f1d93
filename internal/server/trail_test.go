package server_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/rolecall/rolecall/internal/server/servertest"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/trail"
)

// A role's management events are found by its ARN, with the parameters,
// resources and responses CloudTrail records.
func TestTrailByRoleResource(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	admin := iam.NewFromConfig(srv.RootConfig())
	if _, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r1"), AssumeRolePolicyDocument: aws.String(lambdaTrust),
		Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("red")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("r1"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")}); err != nil {
		t.Fatal(err)
	}
	ct := cloudtrail.NewFromConfig(srv.RootConfig())
	out, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{{
		AttributeKey: cttypes.LookupAttributeKeyResourceName, AttributeValue: aws.String("arn:aws:iam::123456789012:role/r1")}}})
	if err != nil {
		t.Fatal(err)
	}
	events := map[string]map[string]any{}
	for _, e := range out.Events {
		var rec map[string]any
		if err := json.Unmarshal([]byte(aws.ToString(e.CloudTrailEvent)), &rec); err != nil {
			t.Fatal(err)
		}
		events[aws.ToString(e.EventName)] = rec
	}
	create, attach := events["CreateRole"], events["AttachRolePolicy"]
	if create == nil || attach == nil {
		t.Fatalf("events by the role's ARN: %v", keys(events))
	}
	params, _ := create["requestParameters"].(map[string]any)
	if params["roleName"] != "r1" || params["assumeRolePolicyDocument"] != lambdaTrust {
		t.Errorf("CreateRole requestParameters = %v", params)
	}
	if tags, _ := params["tags"].([]any); len(tags) != 1 || tags[0].(map[string]any)["key"] != "team" {
		t.Errorf("CreateRole tags = %v", params["tags"])
	}
	resp, _ := create["responseElements"].(map[string]any)
	if role, _ := resp["role"].(map[string]any); role["arn"] != "arn:aws:iam::123456789012:role/r1" || role["roleName"] != "r1" {
		t.Errorf("CreateRole responseElements = %v", resp)
	}
	res, _ := create["resources"].([]any)
	if len(res) != 1 || res[0].(map[string]any)["type"] != "AWS::IAM::Role" {
		t.Errorf("CreateRole resources = %v", res)
	}
	if create["eventCategory"] != "Management" {
		t.Errorf("eventCategory = %v", create["eventCategory"])
	}
	ap, _ := attach["requestParameters"].(map[string]any)
	if ap["policyArn"] != "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole" {
		t.Errorf("AttachRolePolicy requestParameters = %v", ap)
	}

	// Beside the record, the trail keeps the authorization decision.
	if err := srv.Recorder().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	evs, _, err := srv.Recorder().Store().QueryEvents(ctx, store.EventQuery{Attribute: "EventName", Value: "CreateRole",
		PrincipalARN: "arn:aws:iam::123456789012:root", Limit: 10})
	if err != nil || len(evs) != 1 {
		t.Fatalf("CreateRole events of root: %v %v", len(evs), err)
	}
	ds, err := trail.Decisions(evs[0])
	if err != nil || len(ds) != 1 || ds[0].Action != "iam:CreateRole" || ds[0].Resource != "arn:aws:iam::123456789012:role/r1" || ds[0].Decision != "Allow" {
		t.Errorf("CreateRole decisions = %+v, %v", ds, err)
	}
}

func keys(m map[string]map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
