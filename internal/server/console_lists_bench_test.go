package server_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// BenchmarkConsoleLists is the console's two list pages through a real
// server: Lambda ListFunctions over 50 functions (one page of 50) and IAM
// ListRoles over 100 roles (one page of 100), each as the console asks for
// it. It reports CPU time per call beside the wall time.
//
//	go test -run '^$' -bench BenchmarkConsoleLists -benchtime 20x ./internal/server
func BenchmarkConsoleLists(b *testing.B) {
	s := newLambdaSuite(b)
	ctx := context.Background()
	roleARN := s.role(b, "list-fn", lambdaTrust, basicExecRole)
	for i := range 99 {
		s.role(b, fmt.Sprintf("list-role-%02d", i), lambdaTrust)
	}
	for i := range 50 {
		s.create(b, pythonFunction(b, fmt.Sprintf("list-fn-%02d", i), roleARN))
	}
	b.Run("ListFunctions-50", func(b *testing.B) {
		cpu := cpuTime()
		for b.Loop() {
			out, err := s.lambda.ListFunctions(ctx, &lambda.ListFunctionsInput{MaxItems: aws.Int32(50)})
			if err != nil || len(out.Functions) != 50 {
				b.Fatalf("ListFunctions: %v", err)
			}
		}
		b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
	})
	b.Run("ListRoles-100", func(b *testing.B) {
		cpu := cpuTime()
		for b.Loop() {
			out, err := s.iam.ListRoles(ctx, &iam.ListRolesInput{MaxItems: aws.Int32(100)})
			if err != nil || len(out.Roles) != 100 {
				b.Fatalf("ListRoles: %v", err)
			}
		}
		b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
	})
}
