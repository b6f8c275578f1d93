package server_test

import (
	"fmt"
	"net/http"
	"testing"
)

// summaryRole makes a function whose role has 20 policies: 10 AWS managed,
// the largest among them (AdministratorAccess, PowerUserAccess,
// ReadOnlyAccess, AmazonS3FullAccess), and 10 inline.
func summaryRole(b testing.TB, s *lambdaSuite) {
	managed := []string{"arn:aws:iam::aws:policy/AdministratorAccess", basicExecRole, "arn:aws:iam::aws:policy/PowerUserAccess",
		"arn:aws:iam::aws:policy/AmazonS3FullAccess", "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess", "arn:aws:iam::aws:policy/ReadOnlyAccess",
		"arn:aws:iam::aws:policy/AmazonSQSFullAccess", "arn:aws:iam::aws:policy/AmazonSNSFullAccess", "arn:aws:iam::aws:policy/AWSLambda_FullAccess",
		"arn:aws:iam::aws:policy/CloudWatchLogsFullAccess"}
	roleARN := s.role(b, "admin-fn", lambdaTrust, managed...)
	for i := range 10 {
		s.putRolePolicy(b, "admin-fn", fmt.Sprintf("inline%d", i), fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"arn:aws:dynamodb:us-east-1:%s:table/t%d"}]}`, account, i))
	}
	s.create(b, pythonFunction(b, "admin", roleARN))
}

// BenchmarkResourceSummary is the Lambda console's Resource summary of a
// function whose role has 20 policies, AdministratorAccess among them,
// through a real server: the list of services, and one service's detail.
//
//	go test -run '^$' -bench BenchmarkResourceSummary ./internal/server
func BenchmarkResourceSummary(b *testing.B) {
	s := newLambdaSuite(b)
	summaryRole(b, s)
	for _, path := range []string{"/v1/functions/admin/resource-summary", "/v1/functions/admin/resource-summary?service=s3"} {
		b.Run(path[len("/v1/functions/admin/"):], func(b *testing.B) {
			cpu := cpuTime()
			for b.Loop() {
				if st, code, msg := consoleCall(b, s.srv.RootConfig(), s.srv.Endpoint(), http.MethodGet, path, nil, nil); st != 200 {
					b.Fatalf("%d %s %s", st, code, msg)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
		})
	}
}
