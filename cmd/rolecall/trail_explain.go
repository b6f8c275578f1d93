package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

const trailExplainUsage = `Usage: rolecall trail explain [flags] EVENT-ID

Explains the authorization decision of a recorded event (its denied one, if
any): decided again with the principal's policies as they are now, the
request's context, the policies that applied, the decisive statements or the
missing allow, and the smallest policy changes that would allow it, each
with the call that applies it and the other recorded requests it would also
allow (GET /v1/events/EVENT-ID/explanation).

Flags:
`

// explanation is GetEventExplanation's answer.
type explanation struct {
	EventId          string
	EventTime        int64
	EventName        string
	EventSource      string
	Principal        string
	Action           string
	Resource         string
	Decision         string
	RecordedDecision string
	StillDenied      bool
	Reason           string
	Context          []struct {
		Key    string
		Values []string
	}
	Policies []struct {
		Kind, Name, Arn, Document string
		Applies                   bool
	}
	Decisive []struct {
		Kind, PolicyName, PolicyArn, Sid, Effect string
		Index                                    int
		Statement                                json.RawMessage
	}
	Missing string `json:",omitempty"`
	Fixes   []struct {
		Description string
		Kind        string
		PolicyName  string          `json:",omitempty"`
		PolicyArn   string          `json:",omitempty"`
		Statement   json.RawMessage `json:",omitempty"`
		Document    string          `json:",omitempty"`
		Operation   *struct {
			Service, Action string
			Parameters      map[string]string
		} `json:",omitempty"`
		AlsoAllows struct {
			Requests []struct {
				EventId   string
				EventTime int64
				EventName string
				Action    string
				Resource  string
				Count     int64
			}
			Total     int64
			Actions   []string
			Resources []string
			Note      string `json:",omitempty"`
		}
	}
	Note string `json:",omitempty"`
}

// runTrailExplain is the trail explain verb, a client of a running rolecall.
func runTrailExplain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rolecall trail explain", flag.ContinueOnError)
	fs.Usage = func() {
		_, _ = fmt.Fprint(fs.Output(), trailExplainUsage)
		fs.PrintDefaults()
	}
	cf := addClientFlags(fs)
	if done, err := parseFlags(fs, args, stdout, stderr); done {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("trail explain: want one event ID, not %q", fs.Args())
	}
	c, err := cf.client(ctx)
	if err != nil {
		return fmt.Errorf("trail explain: %w", err)
	}
	var out explanation
	if err := c.call(ctx, "GET", "/v1/events/"+url.PathEscape(fs.Arg(0))+"/explanation", nil, &out); err != nil {
		return fmt.Errorf("trail explain: %w", err)
	}
	if c.output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	return writeExplanation(stdout, &out)
}

// writeExplanation prints an explanation for people.
func writeExplanation(w io.Writer, x *explanation) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Event:\t%s %s (%s) at %s\n", x.EventId, x.EventName, x.EventSource, time.Unix(x.EventTime, 0).UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "Principal:\t%s\n", x.Principal)
	fmt.Fprintf(&b, "Request:\t%s on %s\n", x.Action, x.Resource)
	decision := x.Decision + " today (recorded " + x.RecordedDecision + ")"
	if x.Reason != "" {
		decision += ": " + x.Reason
	}
	fmt.Fprintf(&b, "Decision:\t%s\n", decision)
	if x.Missing != "" {
		fmt.Fprintf(&b, "Missing:\tan allow in the %s policies\n", x.Missing)
	}
	b.WriteString("\nPOLICY\tKIND\tMATCHES THE REQUEST\n")
	if len(x.Policies) == 0 {
		b.WriteString("(none)\n")
	}
	for _, p := range x.Policies {
		fmt.Fprintf(&b, "%s\t%s\t%t\n", cmp.Or(p.Name, p.Arn, "(the resource's)"), p.Kind, p.Applies)
	}
	if len(x.Decisive) > 0 {
		b.WriteString("\nDECISIVE\tKIND\tSID\tSTATEMENT\n")
		for _, d := range x.Decisive {
			fmt.Fprintf(&b, "%s\t%s\t%s\t%s\n", cmp.Or(d.PolicyName, d.PolicyArn, "(the resource's)"), d.Kind, cmp.Or(d.Sid, fmt.Sprintf("#%d", d.Index)), d.Statement)
		}
	}
	b.WriteString("\nCONTEXT KEY\tVALUES\n")
	for _, k := range x.Context {
		fmt.Fprintf(&b, "%s\t%s\n", k.Key, strings.Join(k.Values, " "))
	}
	for i, f := range x.Fixes {
		fmt.Fprintf(&b, "\nFIX %d\t%s\n", i+1, f.Description)
		if op := f.Operation; op != nil {
			keys := make([]string, 0, len(op.Parameters))
			for k := range op.Parameters {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			fmt.Fprintf(&b, "  call\t%s %s\n", op.Service, op.Action)
			for _, k := range keys {
				fmt.Fprintf(&b, "  %s\t%s\n", k, op.Parameters[k])
			}
		}
		a := f.AlsoAllows
		fmt.Fprintf(&b, "  also allows\t%d recorded request(s) of the last 30 days\n", a.Total)
		for _, r := range a.Requests {
			fmt.Fprintf(&b, "  \t%s %s on %s (event %s, %d)\n", time.Unix(r.EventTime, 0).UTC().Format(time.RFC3339), r.Action, r.Resource, r.EventId, r.Count)
		}
		if a.Note != "" {
			fmt.Fprintf(&b, "  scope\t%s\n", a.Note)
		}
	}
	if x.Note != "" {
		fmt.Fprintf(&b, "\nNOTE\t%s\n", x.Note)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if _, err := io.WriteString(tw, b.String()); err != nil {
		return err
	}
	return tw.Flush()
}
