package cloudtrail

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsct "github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/rolecall/rolecall/internal/protocol"
	"github.com/rolecall/rolecall/internal/service"
)

// serve dispatches awsJson1.1 requests straight to the operation table.
func serve(t *testing.T, svc *service.Service) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		// botocore sends the model's full target prefix, the Go SDK only its
		// last segment ("CloudTrail_20131101.LookupEvents").
		target := r.Header.Get("X-Amz-Target")
		i := strings.LastIndexByte(target, '.')
		prefix, name := target[:max(i, 0)], target[i+1:]
		if !strings.HasSuffix(svc.TargetPrefix, prefix) {
			t.Errorf("X-Amz-Target %q does not match %q", target, svc.TargetPrefix)
		}
		op := svc.Operations[name]
		if op == nil {
			protocol.WriteError(w, svc, "req", service.Errorf(400, "UnknownOperationException", "Unknown operation %s", name))
			return
		}
		c := &service.Call{Context: r.Context(), Body: body, Service: svc, Operation: op, Principal: alice,
			Account: acct, Region: "us-east-1", Time: time.Now()}
		out, err := op.Handle(c)
		var se *service.Error
		switch {
		case errors.As(err, &se):
			protocol.WriteError(w, svc, "req", se)
		case err != nil:
			t.Errorf("%s: %v", name, err)
			protocol.WriteError(w, svc, "req", service.InternalFailure(err))
		default:
			protocol.WriteResult(w, svc, op, "req", out)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestSDKLookupEvents(t *testing.T) {
	f := newFixture(t)
	f.seed()
	srv := serve(t, f.svc)
	client := awsct.New(awsct.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: aws.AnonymousCredentials{}})
	ctx := context.Background()

	out, err := client.LookupEvents(ctx, &awsct.LookupEventsInput{
		LookupAttributes: []types.LookupAttribute{{AttributeKey: types.LookupAttributeKeyUsername, AttributeValue: aws.String("my-fn")}},
		StartTime:        aws.Time(base),
		EndTime:          aws.Time(base.Add(time.Hour)),
		MaxResults:       aws.Int32(2),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Events) != 2 || out.NextToken == nil {
		t.Fatalf("events %d, token %v", len(out.Events), out.NextToken)
	}
	e := out.Events[0]
	if aws.ToString(e.EventName) != "GetRole" || aws.ToString(e.ReadOnly) != "true" || aws.ToString(e.Username) != "my-fn" ||
		!aws.ToTime(e.EventTime).Equal(base.Add(6*time.Second)) || !strings.Contains(aws.ToString(e.CloudTrailEvent), `"errorCode":"AccessDenied"`) {
		t.Errorf("event %+v", e)
	}

	p := awsct.NewLookupEventsPaginator(client, &awsct.LookupEventsInput{MaxResults: aws.Int32(3)})
	total := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		total += len(page.Events)
	}
	if total != 7 {
		t.Errorf("paginated %d events, want 7", total)
	}

	_, err = client.LookupEvents(ctx, &awsct.LookupEventsInput{StartTime: aws.Time(base.Add(time.Hour)), EndTime: aws.Time(base)})
	var tr *types.InvalidTimeRangeException
	if !errors.As(err, &tr) {
		t.Errorf("bad range: %v", err)
	}
}
