package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

const replayUsage = `Usage: rolecall policy replay (--role NAME | --principal ARN) [--since DURATION | --start TIME [--end TIME]]
         CHANGE [--output json|table] [--endpoint-url URL] [--region REGION] [--profile NAME]

Replays the principal's recorded requests of the range against a proposed
policy change and prints what would now be denied and what would newly be
allowed, with the statements that decide each. Requests whose decision
already differs without the change (the policies changed since they were
made) are listed apart, as drifted. The exit status is 0: it is a report
(rolecall policy check fails when the change would deny recorded traffic).

CHANGE is one of:
  --policy-document file://P.json --policy-name NAME   an inline policy, replaced or added
  --policy-document file://P.json --policy-arn ARN     a managed policy's document, replaced or attached
  --policy-document file://P.json --boundary           a permissions boundary, set
  --policy-document file://P.json --scp                a service control policy on the account
  --remove --policy-name NAME | --policy-arn ARN       an inline policy deleted, a managed policy detached

Flags:
`

const checkUsage = `Usage: rolecall policy check (--role NAME | --principal ARN) [--since DURATION | --start TIME [--end TIME]]
         [CHANGE] [--output json|table] [--endpoint-url URL] [--region REGION] [--profile NAME]

The least-privilege gate for CI. Without a CHANGE it fails (exit status 1)
when the principal's policies grant actions its recorded traffic of the
range did not use, and lists them: what to remove. With a CHANGE (as for
rolecall policy replay) it fails when the change would deny requests the
recorded traffic made, and lists them, or when recorded decisions of the
range cannot be replayed. Otherwise it prints "ok" and exits 0.

Flags:
`

// changeFlags name a proposed policy change.
type changeFlags struct {
	document string
	name     string
	arn      string
	boundary bool
	scp      bool
	remove   bool
}

func addChangeFlags(fs *flag.FlagSet) *changeFlags {
	f := &changeFlags{}
	fs.StringVar(&f.document, "policy-document", "", "the proposed policy `document` (file://PATH, or the JSON itself)")
	fs.StringVar(&f.name, "policy-name", "", "the inline policy's `NAME` the document replaces or adds")
	fs.StringVar(&f.arn, "policy-arn", "", "the managed policy's `ARN` whose document it replaces, or that it attaches")
	fs.BoolVar(&f.boundary, "boundary", false, "the document is a permissions boundary set on the principal")
	fs.BoolVar(&f.scp, "scp", false, "the document is a service control policy attached to the principal's account")
	fs.BoolVar(&f.remove, "remove", false, "delete the inline policy (--policy-name) or detach the managed one (--policy-arn)")
	return f
}

// given reports whether any change flag was set.
func (f *changeFlags) given() bool {
	return f.document != "" || f.name != "" || f.arn != "" || f.boundary || f.scp || f.remove
}

// replayChange is one change of the ReplayPolicy API.
type replayChange struct {
	PolicyType     string `json:"policyType"`
	PolicyName     string `json:"policyName,omitempty"`
	PolicyARN      string `json:"policyArn,omitempty"`
	PolicyDocument string `json:"policyDocument,omitempty"`
	Remove         bool   `json:"remove,omitempty"`
}

// change returns the change the flags name.
func (f *changeFlags) change() (replayChange, error) {
	kinds := 0
	for _, set := range []bool{f.name != "", f.arn != "", f.boundary, f.scp} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		return replayChange{}, errors.New("name one policy the change is to: --policy-name, --policy-arn, --boundary or --scp")
	}
	ch := replayChange{PolicyName: f.name, PolicyARN: f.arn, Remove: f.remove}
	switch {
	case f.name != "":
		ch.PolicyType = "INLINE"
	case f.arn != "":
		ch.PolicyType = "MANAGED"
	case f.boundary:
		ch.PolicyType = "BOUNDARY"
	default:
		ch.PolicyType = "SCP"
	}
	switch {
	case f.remove && f.document != "":
		return ch, errors.New("--remove takes no --policy-document")
	case f.remove && (f.boundary || f.scp):
		return ch, errors.New("--remove is for --policy-name or --policy-arn")
	case !f.remove && f.document == "":
		return ch, errors.New("give the proposed --policy-document file://PATH (or --remove)")
	}
	if f.document != "" {
		doc, err := readDocument(f.document)
		if err != nil {
			return ch, err
		}
		ch.PolicyDocument = doc
	}
	return ch, nil
}

// replayStatement, replayItem and replayOutput are the ReplayPolicy answer.
type replayStatement struct {
	Policy string `json:"policy"`
	Sid    string `json:"sid,omitempty"`
	Index  int    `json:"index"`
	Effect string `json:"effect"`
}

type replayItem struct {
	EventSource  string            `json:"eventSource"`
	EventName    string            `json:"eventName"`
	Action       string            `json:"action"`
	Resource     string            `json:"resource"`
	Count        int64             `json:"count"`
	FirstEventID string            `json:"firstEventId"`
	FirstTime    float64           `json:"firstTime"`
	LastTime     float64           `json:"lastTime"`
	Recorded     string            `json:"recorded"`
	Current      string            `json:"current,omitempty"`
	Proposed     string            `json:"proposed"`
	Statements   []replayStatement `json:"statements"`
	Reason       string            `json:"reason,omitempty"`
}

type replayOutput struct {
	PrincipalARN string       `json:"principalArn"`
	StartTime    float64      `json:"startTime"`
	EndTime      float64      `json:"endTime"`
	Evaluated    int64        `json:"evaluated"`
	NotReplayed  int64        `json:"notReplayed"`
	NewlyDenied  []replayItem `json:"newlyDenied"`
	NewlyAllowed []replayItem `json:"newlyAllowed"`
	Drifted      []replayItem `json:"drifted"`
}

// replayFlags are the flags replay and check share.
type replayFlags struct {
	client    *clientFlags
	principal *principalFlags
	rng       *rangeFlags
	change    *changeFlags
}

func newReplayFlags(name, usage string, stdout, stderr io.Writer) (*flag.FlagSet, *replayFlags) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		_, _ = fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	return fs, &replayFlags{
		client:    addClientFlags(fs),
		principal: addPrincipalFlags(fs),
		rng:       addRangeFlags(fs, "168h"),
		change:    addChangeFlags(fs),
	}
}

// replay asks the running rolecall to replay the principal's traffic
// against ch.
func (f *replayFlags) replay(ctx context.Context, c *client, arn string, start, end time.Time, ch replayChange) (*replayOutput, error) {
	in := map[string]any{
		"principalArn": arn,
		"startTime":    start.Unix(),
		"endTime":      end.Unix(),
		"changes":      []replayChange{ch},
	}
	var out replayOutput
	if err := c.call(ctx, "POST", "/v1/replay", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func runPolicyReplay(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs, f := newReplayFlags("rolecall policy replay", replayUsage, stdout, stderr)
	if done, err := parseFlags(fs, args, stdout, stderr); done {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return fmt.Errorf("policy replay: unexpected argument %q", fs.Arg(0))
	}
	ch, err := f.change.change()
	if err != nil {
		return fmt.Errorf("policy replay: %w", err)
	}
	c, arn, start, end, err := f.resolve(ctx)
	if err != nil {
		return fmt.Errorf("policy replay: %w", err)
	}
	out, err := f.replay(ctx, c, arn, start, end, ch)
	if err != nil {
		return fmt.Errorf("policy replay: %w", err)
	}
	if c.output == "json" {
		return writeReplayJSON(stdout, out)
	}
	return writeReplayTable(stdout, out)
}

// resolve reads the client, principal and range flags.
func (f *replayFlags) resolve(ctx context.Context) (c *client, arn string, start, end time.Time, err error) {
	if start, end, err = f.rng.bounds(time.Now()); err != nil {
		return nil, "", start, end, err
	}
	if c, err = f.client.client(ctx); err != nil {
		return nil, "", start, end, err
	}
	if arn, err = f.principal.arn(ctx, c); err != nil {
		return nil, "", start, end, err
	}
	return c, arn, start, end, nil
}

// unusedOutput is the GetUnusedAccess answer.
type unusedOutput struct {
	PrincipalARN string `json:"principalArn"`
	Used         bool   `json:"used"`
	LastUsed     *int64 `json:"lastUsed,omitempty"`
	Unused       []struct {
		Service string `json:"service"`
		Actions []struct {
			Action    string   `json:"action"`
			Resources []string `json:"resources"`
		} `json:"actions"`
	} `json:"unused"`
	Broad []broadResources `json:"broadResources"`
}

// broadResources is an action used on fewer resources than it is granted
// on.
type broadResources struct {
	Action    string   `json:"action"`
	Resources []string `json:"resources"`
	UsedOn    []string `json:"usedOn"`
}

// checkOutput is what policy check prints with --output json.
type checkOutput struct {
	PrincipalARN string        `json:"principalArn"`
	OK           bool          `json:"ok"`
	Unused       *unusedOutput `json:"unusedAccess,omitempty"`
	Replay       *replayOutput `json:"replay,omitempty"`
}

func runPolicyCheck(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs, f := newReplayFlags("rolecall policy check", checkUsage, stdout, stderr)
	if done, err := parseFlags(fs, args, stdout, stderr); done {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return fmt.Errorf("policy check: unexpected argument %q", fs.Arg(0))
	}
	var ch replayChange
	proposal := f.change.given()
	if proposal {
		var err error
		if ch, err = f.change.change(); err != nil {
			return fmt.Errorf("policy check: %w", err)
		}
	}
	c, arn, start, end, err := f.resolve(ctx)
	if err != nil {
		return fmt.Errorf("policy check: %w", err)
	}
	res := checkOutput{PrincipalARN: arn}
	var failure error
	if proposal {
		if res.Replay, err = f.replay(ctx, c, arn, start, end, ch); err != nil {
			return fmt.Errorf("policy check: %w", err)
		}
		switch n := countItems(res.Replay.NewlyDenied); {
		case n > 0:
			failure = fmt.Errorf("policy check: the change would deny %d recorded requests of %s (%d distinct)", n, arn, len(res.Replay.NewlyDenied))
		case res.Replay.NotReplayed > 0:
			// What cannot be replayed cannot be vouched for.
			failure = fmt.Errorf("policy check: %d recorded decisions of %s could not be replayed (no replay record was kept): the change cannot be judged for them",
				res.Replay.NotReplayed, arn)
		}
	} else {
		res.Unused = new(unusedOutput)
		in := map[string]any{"principalArn": arn, "startTime": start.Unix(), "endTime": end.Unix()}
		if err := c.call(ctx, "POST", "/v1/unused-access", in, res.Unused); err != nil {
			return fmt.Errorf("policy check: %w", err)
		}
		n := 0
		for _, s := range res.Unused.Unused {
			n += len(s.Actions)
		}
		switch b := len(res.Unused.Broad); {
		case n > 0 && b > 0:
			failure = fmt.Errorf("policy check: %s grants %d actions its recorded traffic did not use, and %d on more resources than it used", arn, n, b)
		case n > 0:
			failure = fmt.Errorf("policy check: %s grants %d actions its recorded traffic did not use", arn, n)
		case b > 0:
			failure = fmt.Errorf("policy check: %s grants %d actions on more resources than its recorded traffic used", arn, b)
		}
	}
	res.OK = failure == nil
	if c.output == "json" {
		if err := writeReplayJSON(stdout, res); err != nil {
			return err
		}
		return failure
	}
	if err := writeCheckTable(stdout, &res); err != nil {
		return err
	}
	return failure
}

func countItems(items []replayItem) int64 {
	var n int64
	for _, it := range items {
		n += it.Count
	}
	return n
}

// writeReplayTable prints a replay's answer for people.
func writeReplayTable(w io.Writer, out *replayOutput) error {
	tw := new(strings.Builder)
	fmt.Fprintf(tw, "Replayed %d recorded decisions of %s from %s to %s", out.Evaluated, out.PrincipalARN,
		epochText(out.StartTime), epochText(out.EndTime))
	if out.NotReplayed > 0 {
		fmt.Fprintf(tw, " (%d had no replay record)", out.NotReplayed)
	}
	fmt.Fprintln(tw, ".")
	for _, sec := range []struct {
		title string
		items []replayItem
	}{
		{"Newly denied", out.NewlyDenied},
		{"Newly allowed", out.NewlyAllowed},
		{"Drifted: decided otherwise today already, without the change", out.Drifted},
	} {
		if len(sec.items) == 0 && sec.title != "Newly denied" && sec.title != "Newly allowed" {
			continue
		}
		fmt.Fprintf(tw, "\n%s: %d\n", sec.title, countItems(sec.items))
		if len(sec.items) == 0 {
			continue
		}
		fmt.Fprintln(tw, "COUNT\tACTION\tRESOURCE\tRECORDED\tPROPOSED\tDECIDED BY\tFIRST EVENT")
		for _, it := range sec.items {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", it.Count, it.Action, it.Resource, it.Recorded, it.Proposed,
				decidedBy(it), it.FirstEventID)
		}
	}
	return writeTabbed(w, tw.String())
}

// writeCheckTable prints a check's answer for people.
func writeCheckTable(w io.Writer, res *checkOutput) error {
	if res.OK {
		_, err := fmt.Fprintln(w, "ok")
		return err
	}
	if res.Replay != nil {
		return writeReplayTable(w, res.Replay)
	}
	tw := new(strings.Builder)
	if !res.Unused.Used {
		fmt.Fprintf(tw, "%s made no recorded request in the range.\n", res.PrincipalARN)
	}
	if len(res.Unused.Unused) > 0 {
		fmt.Fprintf(tw, "Granted to %s but not used; remove:\n", res.PrincipalARN)
		fmt.Fprintln(tw, "SERVICE\tACTION\tRESOURCES")
		for _, s := range res.Unused.Unused {
			for _, a := range s.Actions {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Service, a.Action, strings.Join(a.Resources, " "))
			}
		}
	}
	writeBroadTable(tw, res.PrincipalARN, res.Unused.Broad)
	return writeTabbed(w, tw.String())
}

// writeBroadTable lists the actions granted on more resources than used,
// with the resources to narrow them to.
func writeBroadTable(tw *strings.Builder, arn string, broad []broadResources) {
	if len(broad) == 0 {
		return
	}
	fmt.Fprintf(tw, "\nGranted to %s on more resources than used; narrow:\n", arn)
	fmt.Fprintln(tw, "ACTION\tGRANTED ON\tUSED ON")
	for _, b := range broad {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", b.Action, strings.Join(b.Resources, " "), strings.Join(b.UsedOn, " "))
	}
}

// decidedBy says what decides an item's proposed decision. A proposed deny
// that only allowing statements match (the request falls outside a
// permissions boundary, an SCP or a session policy) is decided by what does
// not allow it: the reason, in AccessDenied's words, says which.
func decidedBy(it replayItem) string {
	if it.Proposed != "Allow" && it.Reason != "" && len(it.Statements) > 0 && !slices.ContainsFunc(it.Statements, func(s replayStatement) bool { return s.Effect == "Deny" }) {
		return strings.TrimPrefix(it.Reason, "because ")
	}
	return statementsText(it.Statements, it.Proposed)
}

// statementsText names the statements that decide a proposed decision.
func statementsText(sts []replayStatement, proposed string) string {
	if len(sts) == 0 {
		if proposed == "ImplicitDeny" {
			return "no statement allows"
		}
		return "-"
	}
	parts := make([]string, len(sts))
	for i, s := range sts {
		name := s.Policy
		if name == "" {
			name = "resource policy"
		}
		if s.Sid != "" {
			parts[i] = fmt.Sprintf("%s %s (%s)", s.Effect, name, s.Sid)
		} else {
			parts[i] = fmt.Sprintf("%s %s [%d]", s.Effect, name, s.Index)
		}
	}
	return strings.Join(parts, "; ")
}

func epochText(sec float64) string {
	return time.Unix(int64(sec), 0).UTC().Format(time.RFC3339)
}

// writeReplayJSON prints v as indented JSON.
func writeReplayJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeTabbed writes text to w with its tab-separated columns aligned.
func writeTabbed(w io.Writer, text string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if _, err := io.WriteString(tw, text); err != nil {
		return err
	}
	return tw.Flush()
}
