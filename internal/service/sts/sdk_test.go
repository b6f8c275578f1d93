package sts

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/rolecall/rolecall/internal/api"
)

// TestSDKDecodes checks that aws-sdk-go-v2 decodes the outputs, wrapped in
// the query protocol's envelope.
func TestSDKDecodes(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if err := req.ParseForm(); err != nil {
			t.Error(err)
		}
		op := req.PostForm.Get("Action")
		r := f.run(t, op, alice, req.PostForm)
		var buf bytes.Buffer
		var se *api.Error
		switch {
		case errors.As(r.err, &se):
			w.WriteHeader(se.Status)
			buf.WriteString(`<ErrorResponse xmlns="` + Namespace + `"><Error><Type>Sender</Type><Code>` + se.Code + `</Code><Message>`)
			xml.EscapeText(&buf, []byte(se.Message))
			buf.WriteString(`</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`)
		case r.err != nil:
			t.Errorf("%s: %v", op, r.err)
			w.WriteHeader(500)
		default:
			buf.WriteString(`<` + op + `Response xmlns="` + Namespace + `">`)
			enc := xml.NewEncoder(&buf)
			if err := enc.EncodeElement(r.out, xml.StartElement{Name: xml.Name{Local: op + "Result"}}); err != nil {
				t.Error(err)
			}
			buf.WriteString(`<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></` + op + `Response>`)
		}
		w.Write(buf.Bytes())
	}))
	defer srv.Close()

	client := awssts.New(awssts.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  aws.AnonymousCredentials{},
	})
	ctx := context.Background()
	out, err := client.AssumeRole(ctx, &awssts.AssumeRoleInput{
		RoleArn:         aws.String(roleARN),
		RoleSessionName: aws.String("sdk"),
		Policy:          aws.String(policyDoc),
		SourceIdentity:  aws.String("alice"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::123456789012:assumed-role/app-role/sdk" ||
		aws.ToString(out.AssumedRoleUser.AssumedRoleId) != "AROA3XFRBF535PLBIFPI4:sdk" ||
		//lint:ignore SA1019 STS still returns PackedPolicySize, and so does rolecall
		aws.ToString(out.SourceIdentity) != "alice" || aws.ToInt32(out.PackedPolicySize) == 0 {
		t.Errorf("AssumeRole output %+v %+v", out, out.AssumedRoleUser)
	}
	cr := out.Credentials
	if !cr.Expiration.Equal(now.Add(3600e9)) {
		t.Errorf("expiration %v", cr.Expiration)
	}
	if _, err := f.sealer.Open(aws.ToString(cr.AccessKeyId), aws.ToString(cr.SessionToken), now); err != nil {
		t.Errorf("token from the SDK: %v", err)
	}

	id, err := client.GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.Arn) != alice.ARN || aws.ToString(id.UserId) != alice.PrincipalID || aws.ToString(id.Account) != acct {
		t.Errorf("GetCallerIdentity %+v", id)
	}
	st, err := client.GetSessionToken(ctx, &awssts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
	if err != nil || !st.Credentials.Expiration.Equal(now.Add(900e9)) {
		t.Errorf("GetSessionToken %+v, %v", st, err)
	}
	info, err := client.GetAccessKeyInfo(ctx, &awssts.GetAccessKeyInfoInput{AccessKeyId: cr.AccessKeyId})
	if err != nil || aws.ToString(info.Account) != acct {
		t.Errorf("GetAccessKeyInfo %+v, %v", info, err)
	}

	_, err = client.AssumeRole(ctx, &awssts.AssumeRoleInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String("sdk"), DurationSeconds: aws.Int32(7200),
	})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationError" ||
		ae.ErrorMessage() != "The requested DurationSeconds exceeds the MaxSessionDuration set for this role." {
		t.Errorf("error %v", err)
	}
}
