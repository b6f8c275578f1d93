package cloudtrail_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsct "github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/rolecall/rolecall/internal/server/servertest"
	"github.com/rolecall/rolecall/internal/service/cloudtrail"
)

func TestSDKTrails(t *testing.T) {
	srv := servertest.Start(t)
	client := awsct.NewFromConfig(srv.RootConfig())
	ctx := context.Background()
	arn := cloudtrail.TrailARN("us-east-1", "123456789012")

	d, err := client.DescribeTrails(ctx, &awsct.DescribeTrailsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.TrailList) != 1 {
		t.Fatalf("trails %+v", d.TrailList)
	}
	tr := d.TrailList[0]
	if aws.ToString(tr.Name) != "rolecall" || aws.ToString(tr.TrailARN) != arn || !aws.ToBool(tr.IsMultiRegionTrail) ||
		aws.ToString(tr.HomeRegion) != "us-east-1" || !aws.ToBool(tr.IncludeGlobalServiceEvents) {
		t.Errorf("trail %+v", tr)
	}
	for _, names := range [][]string{{"rolecall"}, {arn}} {
		d, err := client.DescribeTrails(ctx, &awsct.DescribeTrailsInput{TrailNameList: names})
		if err != nil || len(d.TrailList) != 1 {
			t.Errorf("DescribeTrails %v: %v %+v", names, err, d)
		}
	}
	if d, err := client.DescribeTrails(ctx, &awsct.DescribeTrailsInput{TrailNameList: []string{"other"}}); err != nil || len(d.TrailList) != 0 {
		t.Errorf("DescribeTrails other: %v %+v", err, d)
	}

	g, err := client.GetTrail(ctx, &awsct.GetTrailInput{Name: aws.String("rolecall")})
	if err != nil || aws.ToString(g.Trail.TrailARN) != arn {
		t.Errorf("GetTrail: %v %+v", err, g)
	}
	_, err = client.GetTrail(ctx, &awsct.GetTrailInput{Name: aws.String("other")})
	var nf *types.TrailNotFoundException
	if !errors.As(err, &nf) || aws.ToString(nf.Message) != "Unknown trail: arn:aws:cloudtrail:us-east-1:123456789012:trail/other for the user: 123456789012" {
		t.Errorf("GetTrail other: %v", err)
	}
	_, err = client.GetTrail(ctx, &awsct.GetTrailInput{Name: aws.String("a--b")})
	var bad *types.InvalidTrailNameException
	if !errors.As(err, &bad) {
		t.Errorf("GetTrail a--b: %v", err)
	}
	_, err = client.GetTrailStatus(ctx, &awsct.GetTrailStatusInput{Name: aws.String("arn:aws:s3:::x")})
	var badARN *types.CloudTrailARNInvalidException
	if !errors.As(err, &badARN) {
		t.Errorf("GetTrailStatus bad ARN: %v", err)
	}

	s, err := client.GetTrailStatus(ctx, &awsct.GetTrailStatusInput{Name: aws.String(arn)})
	if err != nil || !aws.ToBool(s.IsLogging) {
		t.Errorf("GetTrailStatus: %v %+v", err, s)
	}
	l, err := client.ListTrails(ctx, &awsct.ListTrailsInput{})
	if err != nil || len(l.Trails) != 1 || aws.ToString(l.Trails[0].TrailARN) != arn || aws.ToString(l.Trails[0].HomeRegion) != "us-east-1" {
		t.Errorf("ListTrails: %v %+v", err, l)
	}
}
