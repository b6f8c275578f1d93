// Command sign prepares rolecall's load test: it creates, as root, an IAM
// role and an IAM user allowed by an inline policy to read that role, an S3
// bucket holding one object of 1 KiB and a KMS key with an alias, then
// signs one request per case with SigV4 and writes, for each, a wrk Lua
// script that replays it (a SigV4 signature stays valid for 15 minutes and
// carries no nonce, so one signed request can be sent many times).
//
// Usage:
//
//	go run ./scripts/loadtest/sign -endpoint http://127.0.0.1:4566 -out DIR
//
// The root credentials come from ROLECALL_ROOT_ACCESS_KEY_ID and
// ROLECALL_ROOT_SECRET_ACCESS_KEY. Every signed request is sent once before
// its script is written, and a response other than 200 is an error, so a load
// run never starts with requests the server refuses.
package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/sigv4"
)

const (
	roleName   = "loadtest-role"
	userName   = "loadtest-user"
	policyName = "loadtest-get-role"
	bucketName = "loadtest-bucket"
	objectKey  = "object-1k"
	keyAlias   = "alias/loadtest"
	trustDoc   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
)

type client struct {
	endpoint *url.URL
	region   string
	http     *http.Client
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "sign:", err)
		os.Exit(1)
	}
}

func run() error {
	endpoint := flag.String("endpoint", "http://127.0.0.1:4566", "rolecall endpoint (loopback only)")
	region := flag.String("region", "us-east-1", "region to sign for")
	out := flag.String("out", ".", "directory for the wrk scripts")
	flag.Parse()

	u, err := url.Parse(*endpoint)
	if err != nil {
		return err
	}
	if err := loopbackOnly(u); err != nil {
		return err
	}
	root := sigv4.Credentials{
		AccessKeyID:     os.Getenv("ROLECALL_ROOT_ACCESS_KEY_ID"),
		SecretAccessKey: os.Getenv("ROLECALL_ROOT_SECRET_ACCESS_KEY"),
	}
	if root.AccessKeyID == "" || root.SecretAccessKey == "" {
		return errors.New("ROLECALL_ROOT_ACCESS_KEY_ID and ROLECALL_ROOT_SECRET_ACCESS_KEY must be set")
	}
	c := &client{endpoint: u, region: *region, http: &http.Client{Timeout: 10 * time.Second}}

	var who struct {
		Account string `xml:"GetCallerIdentityResult>Account"`
	}
	if err := c.call(root, "sts", stsForm("GetCallerIdentity"), &who); err != nil {
		return err
	}
	roleARN := "arn:aws:iam::" + who.Account + ":role/" + roleName
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"` + roleARN + `"}]}`

	steps := []url.Values{
		iamForm("CreateRole", "RoleName", roleName, "AssumeRolePolicyDocument", trustDoc),
		iamForm("CreateUser", "UserName", userName),
		iamForm("PutUserPolicy", "UserName", userName, "PolicyName", policyName, "PolicyDocument", policy),
	}
	for _, form := range steps {
		if err := c.call(root, "iam", form, nil); err != nil {
			return err
		}
	}
	var key struct {
		AccessKeyID     string `xml:"CreateAccessKeyResult>AccessKey>AccessKeyId"`
		SecretAccessKey string `xml:"CreateAccessKeyResult>AccessKey>SecretAccessKey"`
	}
	if err := c.call(root, "iam", iamForm("CreateAccessKey", "UserName", userName), &key); err != nil {
		return err
	}
	user := sigv4.Credentials{AccessKeyID: key.AccessKeyID, SecretAccessKey: key.SecretAccessKey}

	// S3: a bucket with one object of 1 KiB. KMS: a key with an alias and
	// one ciphertext of 1 KiB.
	kib := bytes.Repeat([]byte("0123456789abcdef"), 64)
	if _, err := c.send(c.rest(root, "s3", http.MethodPut, "/"+bucketName, nil, nil)); err != nil {
		return fmt.Errorf("s3 CreateBucket: %w", err)
	}
	if _, err := c.send(c.rest(root, "s3", http.MethodPut, "/"+bucketName+"/"+objectKey, nil, kib)); err != nil {
		return fmt.Errorf("s3 PutObject: %w", err)
	}
	var created struct{ KeyMetadata struct{ KeyId string } }
	if err := c.kms(root, "CreateKey", map[string]any{"Description": "load test"}, &created); err != nil {
		return err
	}
	if err := c.kms(root, "CreateAlias", map[string]any{"AliasName": keyAlias, "TargetKeyId": created.KeyMetadata.KeyId}, nil); err != nil {
		return err
	}
	encryptInput := map[string]any{"KeyId": keyAlias, "Plaintext": kib, "EncryptionContext": map[string]string{"purpose": "load test"}}
	var encrypted struct{ CiphertextBlob []byte }
	if err := c.kms(root, "Encrypt", encryptInput, &encrypted); err != nil {
		return err
	}
	decryptInput := map[string]any{"CiphertextBlob": encrypted.CiphertextBlob, "EncryptionContext": map[string]string{"purpose": "load test"}}

	cases := []struct {
		name    string
		request func() (*http.Request, []byte, error)
	}{
		{"sts-get-caller-identity-root", func() (*http.Request, []byte, error) { return c.signed(root, "sts", stsForm("GetCallerIdentity")) }},
		{"iam-get-role-user", func() (*http.Request, []byte, error) {
			return c.signed(user, "iam", iamForm("GetRole", "RoleName", roleName))
		}},
		{"s3-put-object-1k", func() (*http.Request, []byte, error) {
			return c.rest(root, "s3", http.MethodPut, "/"+bucketName+"/"+objectKey, nil, kib)
		}},
		{"s3-get-object-1k", func() (*http.Request, []byte, error) {
			return c.rest(root, "s3", http.MethodGet, "/"+bucketName+"/"+objectKey, nil, nil)
		}},
		{"kms-encrypt-1k", func() (*http.Request, []byte, error) { return c.kmsRequest(root, "Encrypt", encryptInput) }},
		{"kms-decrypt-1k", func() (*http.Request, []byte, error) { return c.kmsRequest(root, "Decrypt", decryptInput) }},
	}
	for _, tc := range cases {
		r, body, err := tc.request()
		if err != nil {
			return err
		}
		// Send exactly what wrk will send, once, and insist on a 200.
		if err := c.check(r, body); err != nil {
			return fmt.Errorf("%s: %w", tc.name, err)
		}
		path := filepath.Join(*out, tc.name+".lua")
		if err := os.WriteFile(path, []byte(wrkScript(tc.name, r, body)), 0o600); err != nil {
			return err
		}
		fmt.Println(path)
	}
	return nil
}

// loopbackOnly refuses any endpoint that is not a loopback address.
func loopbackOnly(u *url.URL) error {
	if u.Scheme != "http" {
		return fmt.Errorf("endpoint %s: only http is supported", u)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("endpoint %s is not a loopback address", u)
}

func stsForm(action string, kv ...string) url.Values {
	return form(action, "2011-06-15", kv)
}

func iamForm(action string, kv ...string) url.Values {
	return form(action, "2010-05-08", kv)
}

func form(action, version string, kv []string) url.Values {
	v := url.Values{"Action": {action}, "Version": {version}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// signed builds a query-protocol POST for form and signs it now.
func (c *client) signed(creds sigv4.Credentials, service string, form url.Values) (*http.Request, []byte, error) {
	body := []byte(form.Encode())
	r, err := http.NewRequest(http.MethodPost, c.endpoint.String()+"/", bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if err := sigv4.Sign(r, body, creds, c.region, service, time.Now()); err != nil {
		return nil, nil, err
	}
	return r, body, nil
}

// call signs and sends form and decodes a 200 response into out (if not nil).
func (c *client) call(creds sigv4.Credentials, service string, form url.Values, out any) error {
	r, _, err := c.signed(creds, service, form)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: HTTP %d: %s", service, form.Get("Action"), resp.StatusCode, data)
	}
	if out != nil {
		if err := xml.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: %w", service, form.Get("Action"), err)
		}
	}
	return nil
}

// rest builds a REST request (S3) of method to path with body and extra
// headers, and signs it now.
func (c *client) rest(creds sigv4.Credentials, service, method, path string, header map[string]string, body []byte) (*http.Request, []byte, error) {
	r, err := http.NewRequest(method, c.endpoint.String()+path, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	for k, v := range header {
		r.Header.Set(k, v)
	}
	if err := sigv4.Sign(r, body, creds, c.region, service, time.Now()); err != nil {
		return nil, nil, err
	}
	return r, body, nil
}

// kmsRequest builds a KMS (JSON 1.1) request of operation with input, signed now.
func (c *client) kmsRequest(creds sigv4.Credentials, operation string, input any) (*http.Request, []byte, error) {
	body, err := json.Marshal(input)
	if err != nil {
		return nil, nil, err
	}
	return c.rest(creds, "kms", http.MethodPost, "/", map[string]string{
		"Content-Type": "application/x-amz-json-1.1",
		"X-Amz-Target": "TrentService." + operation,
	}, body)
}

// kms calls a KMS operation and decodes its answer into out (if not nil).
func (c *client) kms(creds sigv4.Credentials, operation string, input, out any) error {
	data, err := c.send(c.kmsRequest(creds, operation, input))
	if err != nil {
		return fmt.Errorf("kms %s: %w", operation, err)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("kms %s: %w", operation, err)
		}
	}
	return nil
}

// send sends a request built by rest or kmsRequest and returns the body of
// its 200 answer.
func (c *client) send(r *http.Request, body []byte, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := c.http.Do(r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, data)
	}
	return data, nil
}

// check sends the signed request r once and wants a 200.
func (c *client) check(r *http.Request, body []byte) error {
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := c.http.Do(r2)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, data)
	}
	return nil
}

// wrkScript returns a wrk script that sends r with body on every request and
// prints, when done, one RESULT line:
//
//	RESULT name requests seconds req/s p50_ms p90_ms p99_ms max_ms non2xx socket_errors
func wrkScript(name string, r *http.Request, body []byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "-- %s: one SigV4-signed request, replayed.\n", name)
	fmt.Fprintf(&b, "wrk.method = %s\n", luaQuote(r.Method))
	fmt.Fprintf(&b, "wrk.path = %s\n", luaQuote(r.URL.RequestURI()))
	fmt.Fprintf(&b, "wrk.body = %s\n", luaQuote(string(body)))
	fmt.Fprintf(&b, "wrk.headers[\"Host\"] = %s\n", luaQuote(r.URL.Host))
	names := make([]string, 0, len(r.Header))
	for k := range r.Header {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		fmt.Fprintf(&b, "wrk.headers[%s] = %s\n", luaQuote(k), luaQuote(r.Header.Get(k)))
	}
	fmt.Fprintf(&b, `
function done(summary, latency, requests)
  local s = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format("RESULT %%s %%d %%.2f %%.0f %%.3f %%.3f %%.3f %%.3f %%d %%d\n",
    %s, summary.requests, s, summary.requests / s,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
`, luaQuote(name))
	return b.String()
}

// luaQuote quotes s as a Lua string literal. Everything written here is
// printable ASCII.
func luaQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch == '"' || ch == '\\':
			b.WriteByte('\\')
			b.WriteByte(ch)
		case ch < 0x20 || ch >= 0x7f:
			fmt.Fprintf(&b, "\\%03d", ch)
		default:
			b.WriteByte(ch)
		}
	}
	b.WriteByte('"')
	return b.String()
}
