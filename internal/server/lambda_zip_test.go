package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// zipPart is an entry of a zip made by modeZip.
type zipPart struct {
	name, body string
	mode       fs.FileMode
}

// modeZip zips entries with their modes (symbolic links among them).
func modeZip(t testing.TB, parts ...zipPart) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range parts {
		h := &zip.FileHeader{Name: p.name, Method: zip.Deflate}
		h.SetMode(p.mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(p.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestLambdaZipRefusals: a package whose links lead outside the code
// directory, in any order, or whose paths pass the bounds, is refused by
// CreateFunction and UpdateFunctionCode with Lambda's
// InvalidParameterValueException; a package whose links stay inside runs.
// A failure of the host at invoke answers a 500 that names no host path.
func TestLambdaZipRefusals(t *testing.T) {
	s := newLambdaSuite(t)
	ctx := context.Background()
	role := s.role(t, "zip-role", lambdaTrust, basicExecRole)
	handler := zipPart{"handler.py", envFunction, 0o644}
	link := func(name, target string) zipPart { return zipPart{name, target, fs.ModeSymlink | 0o777} }
	const refusal = "Could not unzip uploaded file. Please check your file, then try to upload again."
	bad := map[string][]byte{
		"x to dot, then x/y to dotdot": modeZip(t, handler, link("x", "."), link("x/y", "..")),
		"the way opened after a link":  modeZip(t, handler, link("a", "b/../etc"), link("b", ".")),
		"dotdot through a link to dot": modeZip(t, handler, link("x", "."), link("z", "x/../data")),
		"a file 2000 levels deep":      modeZip(t, handler, zipPart{strings.Repeat("d/", 1999) + "f", "x", 0o644}),
	}
	for name, zipFile := range bad {
		_, err := s.lambda.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("zip-bad"), Role: aws.String(role),
			Runtime: lambdatypes.RuntimePython312, Handler: aws.String("handler.handler"), Code: &lambdatypes.FunctionCode{ZipFile: zipFile}})
		wantStatus(t, "CreateFunction, "+name, err, "InvalidParameterValueException", http.StatusBadRequest, refusal)
	}
	s.create(t, &lambda.CreateFunctionInput{FunctionName: aws.String("zip-good"), Role: aws.String(role), Runtime: lambdatypes.RuntimePython312,
		Handler: aws.String("handler.handler"), Environment: &lambdatypes.Environment{Variables: map[string]string{"XV": "inside"}},
		Code: &lambdatypes.FunctionCode{ZipFile: modeZip(t, zipPart{"lib/handler.py", envFunction, 0o644}, link("handler.py", "lib/handler.py"),
			link("here", "."), link("here/up", "lib/.."))}})
	for name, zipFile := range bad {
		_, err := s.lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("zip-good"), ZipFile: zipFile})
		wantStatus(t, "UpdateFunctionCode, "+name, err, "InvalidParameterValueException", http.StatusBadRequest, refusal)
	}
	out, err := s.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("zip-good")})
	if err != nil || out.FunctionError != nil || string(out.Payload) != `{"XV": "inside"}` {
		t.Fatalf("invoke of a package with links inside: %v, %v", out, err)
	}

	// The host fails: the unpacked code is gone and cannot be made again.
	code := filepath.Join(s.srv.DataDir, "code")
	if err := os.RemoveAll(code); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(code, []byte("in the way"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = s.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("zip-good")})
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusInternalServerError {
		t.Fatalf("invoke on a failing host: %v, want a 500", err)
	}
	if msg := err.Error(); strings.Contains(msg, s.srv.DataDir) || strings.Contains(msg, "/code") || strings.Contains(msg, "not a directory") {
		t.Errorf("the 500 tells the client of the host: %v", err)
	}
}
