package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/server/servertest"
	"github.com/rolecall/rolecall/internal/session"
	"github.com/rolecall/rolecall/internal/store"
)

// TestLambdaEnvironmentSealedAtRest: a function's environment variables,
// given at creation, changed by an update and kept by a published
// version, are nowhere in the SQLite files, trail included; the function
// sees them and GetFunctionConfiguration shows them. A database an older
// build wrote, with the variables in plain text, has them sealed and
// scrubbed from its files at the next start, and the function still sees
// them.
func TestLambdaEnvironmentSealedAtRest(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	srv, stop := serveOn(t, server.Config{DataDir: dir})
	s := lambdaSuiteOn(&servertest.Server{Server: srv, DataDir: dir})
	role := s.role(t, "env-sealed-role", lambdaTrust, basicExecRole)
	first, second := "first-"+session.NewSecret(), "second-"+session.NewSecret()
	s.create(t, &lambda.CreateFunctionInput{FunctionName: aws.String("sealed"), Role: aws.String(role), Runtime: lambdatypes.RuntimePython312,
		Handler: aws.String("handler.handler"), Code: &lambdatypes.FunctionCode{ZipFile: sourceZip(t, map[string]string{"handler.py": envFunction})},
		Environment: &lambdatypes.Environment{Variables: map[string]string{"XV": first}}})
	sees := func(qualifier, want string) {
		t.Helper()
		in := &lambda.InvokeInput{FunctionName: aws.String("sealed")}
		if qualifier != "" {
			in.Qualifier = aws.String(qualifier)
		}
		out, err := s.lambda.Invoke(ctx, in)
		if err != nil || out.FunctionError != nil || string(out.Payload) != `{"XV": "`+want+`"}` {
			t.Fatalf("invoke %s: %v, %v; want XV %s", qualifier, out, err, want)
		}
		get := &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("sealed")}
		if qualifier != "" {
			get.Qualifier = aws.String(qualifier)
		}
		cfg, err := s.lambda.GetFunctionConfiguration(ctx, get)
		if err != nil || cfg.Environment == nil || cfg.Environment.Variables["XV"] != want {
			t.Fatalf("GetFunctionConfiguration %s: %v, %v; want XV %s", qualifier, cfg, err, want)
		}
	}
	sees("", first)
	if _, err := s.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("sealed")}); err != nil {
		t.Fatal(err)
	}
	s.updateConfig(t, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("sealed"),
		Environment: &lambdatypes.Environment{Variables: map[string]string{"XV": second}}})
	sees("", second)
	sees("1", first)
	if r := s.waitTrail(t, "UpdateFunctionConfiguration", func(*trailRecord) bool { return true }); strings.Contains(r.raw, second) {
		t.Errorf("the trail records the variable: %s", r.raw)
	}
	stop()
	db := sqliteBytes(t, dir)
	for _, secret := range []string{first, second} {
		if bytes.Contains(db, []byte(secret)) {
			t.Errorf("the database holds the variable %s in plain text", secret)
		}
	}

	// An older build's records: the variables in plain text under "env".
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "rolecall.db"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.Update(ctx, func(tx store.Tx) error {
		for table, key := range map[string]string{"lambda_functions": account + "/sealed", "lambda_versions": account + "/sealed/0000000001"} {
			v, err := tx.Get(ctx, table, key)
			if err != nil {
				return err
			}
			var rec map[string]any
			if err := json.Unmarshal(v, &rec); err != nil {
				return err
			}
			c := rec
			if table == "lambda_functions" {
				c = rec["config"].(map[string]any)
			}
			if _, ok := c["sealedEnv"]; !ok {
				return errors.New("no sealedEnv in " + table)
			}
			delete(c, "sealedEnv")
			c["env"] = map[string]string{"XV": first}
			if err := store.PutJSON(ctx, tx, table, key, rec); err != nil {
				return err
			}
		}
		return nil
	})
	if err = errors.Join(err, st.Close()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(sqliteBytes(t, dir), []byte(first)) {
		t.Fatal("the older build's plain text is not in the files: the check below would prove nothing")
	}
	srv, stop = serveOn(t, server.Config{DataDir: dir})
	if db := sqliteBytes(t, dir); bytes.Contains(db, []byte(first)) {
		t.Error("the plain variables of an older build are still in the database after a start")
	}
	s = lambdaSuiteOn(&servertest.Server{Server: srv, DataDir: dir})
	sees("", first)
	sees("1", first)
	stop()
	if db := sqliteBytes(t, dir); bytes.Contains(db, []byte(first)) || strings.Contains(string(db), second) {
		t.Error("the variables are in the database in plain text")
	}
}
