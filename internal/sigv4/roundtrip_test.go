package sigv4

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// server verifies every request and answers STS, IAM and Lambda calls
// with just enough of each protocol for the SDK clients.
func server(t *testing.T, secrets map[string]string) *httptest.Server {
	v := &Verifier{Keys: NewSigningKeyCache(64)}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := Parse(r)
		if err == nil {
			err = v.Verify(s, r, mustRead(r), secrets[s.AccessKeyID])
		}
		if err != nil {
			var e *Error
			errors.As(err, &e)
			code := map[Kind]string{SignatureDoesNotMatch: "SignatureDoesNotMatch", SkewedTime: "SignatureDoesNotMatch",
				MissingAuthentication: "MissingAuthenticationToken"}[e.Kind]
			if code == "" {
				code = "IncompleteSignature"
			}
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>1</RequestId></ErrorResponse>`, code, e.Message)
			return
		}
		switch s.Service {
		case "sts":
			fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/%s</Arn><UserId>AIDA</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, s.AccessKeyID)
		case "iam":
			fmt.Fprint(w, `<ListRolesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListRolesResult><IsTruncated>false</IsTruncated><Roles/></ListRolesResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></ListRolesResponse>`)
		case "lambda":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"Configuration":{"FunctionName":%q}}`, r.URL.Path)
		}
	}))
}

func mustRead(r *http.Request) []byte {
	b, _ := io.ReadAll(r.Body)
	return b
}

func TestRoundTripSDKClients(t *testing.T) {
	secrets := map[string]string{testCreds.AccessKeyID: testCreds.SecretAccessKey, tempCreds.AccessKeyID: tempCreds.SecretAccessKey}
	srv := server(t, secrets)
	defer srv.Close()
	ctx := context.Background()
	cfg := func(c Credentials) aws.Config {
		return aws.Config{
			Region:       "eu-west-1",
			BaseEndpoint: aws.String(srv.URL),
			Credentials:  credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken),
		}
	}
	for _, c := range []Credentials{testCreds, tempCreds} {
		out, err := sts.NewFromConfig(cfg(c)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(aws.ToString(out.Arn), c.AccessKeyID) {
			t.Fatal(aws.ToString(out.Arn))
		}
	}
	if _, err := iam.NewFromConfig(cfg(tempCreds)).ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/service role/")}); err != nil {
		t.Fatal(err)
	}
	fn := "arn:aws:lambda:eu-west-1:123456789012:function:my-fn"
	got, err := lambda.NewFromConfig(cfg(testCreds)).GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn), Qualifier: aws.String("$LATEST")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(aws.ToString(got.Configuration.FunctionName), fn) {
		t.Fatal(aws.ToString(got.Configuration.FunctionName))
	}

	// A wrong secret and a skewed clock are refused.
	bad := cfg(Credentials{AccessKeyID: testCreds.AccessKeyID, SecretAccessKey: "wrong"})
	_, err = sts.NewFromConfig(bad).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "SignatureDoesNotMatch" || ae.ErrorMessage() != msgSigMismatch {
		t.Fatalf("wrong secret: %v", err)
	}
	skewed := cfg(testCreds)
	skewed.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	client := sts.NewFromConfig(skewed, func(o *sts.Options) {
		o.HTTPClient = &http.Client{Transport: shiftDate{-time.Hour}}
	})
	_, err = client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if !errors.As(err, &ae) || !strings.HasPrefix(ae.ErrorMessage(), "Signature expired: ") {
		t.Fatalf("skewed: %v", err)
	}
}

// shiftDate moves X-Amz-Date and the scope date of a signed request, as a
// client with a slow clock would send them; the clock is checked first, so
// the answer is the skew error rather than a signature mismatch.
type shiftDate struct{ d time.Duration }

func (s shiftDate) RoundTrip(r *http.Request) (*http.Response, error) {
	t, _ := time.Parse(longDateFormat, r.Header.Get("X-Amz-Date"))
	r.Header.Set("X-Amz-Date", t.Add(s.d).Format(longDateFormat))
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/"+t.Format(shortDateFormat)+"/", "/"+t.Add(s.d).Format(shortDateFormat)+"/", 1))
	return http.DefaultTransport.RoundTrip(r)
}
