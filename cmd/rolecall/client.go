package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// defaultEndpoint is where the client verbs find rolecall when neither
// --endpoint-url nor AWS_ENDPOINT_URL says: the server's default address.
const defaultEndpoint = "http://127.0.0.1:4566"

// clientFlags are the flags of the verbs that talk to a running rolecall,
// spelt as the AWS CLI spells them. Credentials come from the SDK's chain:
// AWS_ACCESS_KEY_ID and friends, then --profile or AWS_PROFILE in the
// shared files.
type clientFlags struct {
	endpoint string
	region   string
	profile  string
	output   string
}

func addClientFlags(fs *flag.FlagSet) *clientFlags {
	f := &clientFlags{}
	fs.StringVar(&f.endpoint, "endpoint-url", "", "rolecall's `URL` (default $AWS_ENDPOINT_URL, else "+defaultEndpoint+")")
	fs.StringVar(&f.region, "region", "", "the `Region` (default $AWS_REGION or the profile's, else us-east-1)")
	fs.StringVar(&f.profile, "profile", "", "the shared credentials `profile` (default $AWS_PROFILE)")
	fs.StringVar(&f.output, "output", "table", "json for machines or table for people")
	return f
}

// client reaches a running rolecall through its public API.
type client struct {
	cfg      aws.Config
	endpoint string
	http     *http.Client
	output   string
}

// client loads the configuration and credentials as the AWS CLI does.
func (f *clientFlags) client(ctx context.Context) (*client, error) {
	if f.output != "json" && f.output != "table" {
		return nil, fmt.Errorf("--output must be json or table, not %q", f.output)
	}
	var opts []func(*config.LoadOptions) error
	if f.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(f.profile))
	}
	if f.region != "" {
		opts = append(opts, config.WithRegion(f.region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	endpoint := f.endpoint
	if endpoint == "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL")
	}
	if endpoint == "" {
		endpoint = defaultEndpoint
	}
	endpoint = strings.TrimRight(endpoint, "/")
	cfg.BaseEndpoint = aws.String(endpoint)
	return &client{cfg: cfg, endpoint: endpoint, http: &http.Client{Timeout: 5 * time.Minute}, output: f.output}, nil
}

func (c *client) accessAnalyzer() *accessanalyzer.Client { return accessanalyzer.NewFromConfig(c.cfg) }

func (c *client) iam() *iam.Client { return iam.NewFromConfig(c.cfg) }

// apiError is an error answer of the rolecall API.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%s (%d): %s", e.Code, e.Status, e.Message) }

// call sends one request to rolecall's own API (signing name "rolecall"):
// in, when not nil, as the JSON body; the JSON answer into out when not
// nil. An error answer is an *apiError.
func (c *client) call(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, c.endpoint+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	creds, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("credentials: %w", err)
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "rolecall", c.cfg.Region, time.Now()); err != nil {
		return fmt.Errorf("sign %s %s: %w", method, path, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		e := &apiError{Status: resp.StatusCode, Code: resp.Header.Get("X-Amzn-ErrorType")}
		var msg struct {
			Message  string `json:"message"`
			Message2 string `json:"Message"`
		}
		_ = json.Unmarshal(b, &msg)
		e.Message = msg.Message + msg.Message2
		if i := strings.IndexByte(e.Code, ':'); i >= 0 {
			e.Code = e.Code[:i]
		}
		return e
	}
	if out == nil || len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: decode the answer: %w", method, path, err)
	}
	return nil
}

// principalFlags name the principal a verb is about.
type principalFlags struct {
	role      string
	principal string
}

func addPrincipalFlags(fs *flag.FlagSet) *principalFlags {
	f := &principalFlags{}
	fs.StringVar(&f.role, "role", "", "the role's `NAME`")
	fs.StringVar(&f.principal, "principal", "", "the principal's `ARN` (a role or a user)")
	return f
}

// arn returns the principal's ARN, looking a role's name up in IAM.
func (f *principalFlags) arn(ctx context.Context, c *client) (string, error) {
	switch {
	case f.role != "" && f.principal != "":
		return "", errors.New("give --role or --principal, not both")
	case f.principal != "":
		return f.principal, nil
	case f.role == "":
		return "", errors.New("give --role NAME or --principal ARN")
	}
	out, err := c.iam().GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(f.role)})
	if err != nil {
		return "", fmt.Errorf("role %s: %w", f.role, err)
	}
	return aws.ToString(out.Role.Arn), nil
}

// rangeFlags bound the recorded traffic a verb reads.
type rangeFlags struct {
	since sinceFlag
	start string
	end   string
}

// sinceFlag is --since, which remembers whether it was given.
type sinceFlag struct {
	value string
	set   bool
}

func (f *sinceFlag) String() string { return f.value }

func (f *sinceFlag) Set(v string) error {
	f.value, f.set = v, true
	return nil
}

func addRangeFlags(fs *flag.FlagSet, defaultSince string) *rangeFlags {
	f := &rangeFlags{since: sinceFlag{value: defaultSince}}
	fs.Var(&f.since, "since", "read traffic of this `duration` before now (90m, 24h, 7d; default "+defaultSince+")")
	fs.StringVar(&f.start, "start", "", "read traffic from this `time` (RFC 3339); replaces --since")
	fs.StringVar(&f.end, "end", "", "read traffic until this `time` (RFC 3339; default now)")
	return f
}

// bounds returns the range [start, end].
func (f *rangeFlags) bounds(now time.Time) (start, end time.Time, err error) {
	end = now
	if f.end != "" {
		if end, err = time.Parse(time.RFC3339, f.end); err != nil {
			return start, end, fmt.Errorf("--end %q: want an RFC 3339 time such as 2026-11-30T15:04:05Z", f.end)
		}
	}
	if f.start != "" && f.since.set {
		return start, end, errors.New("give --since or --start, not both")
	}
	if f.start != "" {
		if start, err = time.Parse(time.RFC3339, f.start); err != nil {
			return start, end, fmt.Errorf("--start %q: want an RFC 3339 time such as 2026-11-30T15:04:05Z", f.start)
		}
	} else {
		d, err := parseSince(f.since.value)
		if err != nil || d <= 0 {
			return start, end, fmt.Errorf("--since %q: want a duration such as 90m, 24h or 7d", f.since.value)
		}
		start = end.Add(-d)
	}
	if !start.Before(end) {
		return start, end, errors.New("the range is empty: the start is not before the end")
	}
	return start, end, nil
}

// parseSince parses a --since value: a Go duration (90m, 24h), which may
// begin with a whole number of days (7d, 1d12h).
func parseSince(v string) (time.Duration, error) {
	var days time.Duration
	if n, rest, ok := strings.Cut(v, "d"); ok {
		count, err := strconv.ParseUint(n, 10, 16)
		if err != nil {
			return 0, fmt.Errorf("days %q: %w", n, err)
		}
		if days = time.Duration(count) * 24 * time.Hour; rest == "" {
			return days, nil
		}
		v = rest
	}
	d, err := time.ParseDuration(v)
	return days + d, err
}

// readDocument reads a --policy-document value as the AWS CLI does:
// file://PATH reads a file, anything else is the document itself.
func readDocument(v string) (string, error) {
	if path, ok := strings.CutPrefix(v, "file://"); ok {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("--policy-document: %w", err)
		}
		return string(b), nil
	}
	return v, nil
}

// target reads what a verb is about: the range, the client and the
// principal's ARN, in that order, so that a bad flag is reported before
// rolecall is reached.
func target(ctx context.Context, cf *clientFlags, pf *principalFlags, rf *rangeFlags) (c *client, arn string, start, end time.Time, err error) {
	if start, end, err = rf.bounds(time.Now()); err != nil {
		return nil, "", start, end, err
	}
	if c, err = cf.client(ctx); err != nil {
		return nil, "", start, end, err
	}
	arn, err = pf.arn(ctx, c)
	return c, arn, start, end, err
}
