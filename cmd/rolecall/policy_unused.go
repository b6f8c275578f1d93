package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

const policyUnusedUsage = `Usage: rolecall policy unused (--role NAME | --principal ARN) [--since DURATION | --start TIME [--end TIME]] [flags]

Lists what a role or user is granted but did not use in the time range
(default the last 90 days), per service with the resources, what it was
refused (used but missing, with one refused event each, whose explanation
GET /v1/events/ID/explanation gives), and then what it used, with counts,
from the decisions rolecall recorded (POST /v1/unused-access).
`

// unusedAnswer is GetUnusedAccess's answer.
type unusedAnswer struct {
	PrincipalArn string `json:"principalArn"`
	StartTime    int64  `json:"startTime"`
	EndTime      int64  `json:"endTime"`
	Used         bool   `json:"used"`
	LastUsed     *int64 `json:"lastUsed,omitempty"`
	Unused       []struct {
		Service      string `json:"service"`
		ServiceName  string `json:"serviceName"`
		WholeService bool   `json:"wholeService"`
		LastAccessed *int64 `json:"lastAccessed,omitempty"`
		Actions      []struct {
			Action       string   `json:"action"`
			Resources    []string `json:"resources"`
			LastAccessed *int64   `json:"lastAccessed,omitempty"`
		} `json:"actions"`
	} `json:"unused"`
	UsedActions []struct {
		Action    string   `json:"action"`
		Resources []string `json:"resources"`
		Count     int64    `json:"count"`
		LastUsed  int64    `json:"lastUsed"`
	} `json:"usedActions"`
	Broad  []broadResources `json:"broadResources"`
	Denied []struct {
		Action    string   `json:"action"`
		Decision  string   `json:"decision"`
		Resources []string `json:"resources"`
		Count     int64    `json:"count"`
		EventID   string   `json:"eventId"`
	} `json:"deniedActions"`
}

func runPolicyUnused(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rolecall policy unused", flag.ContinueOnError)
	fs.Usage = func() {
		_, _ = fmt.Fprint(fs.Output(), policyUnusedUsage)
		fs.PrintDefaults()
	}
	cf := addClientFlags(fs)
	pf := addPrincipalFlags(fs)
	rf := addRangeFlags(fs, "2160h")
	if done, err := parseFlags(fs, args, stdout, stderr); done {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("policy unused: unexpected argument %q", fs.Arg(0))
	}
	c, arn, start, end, err := target(ctx, cf, pf, rf)
	if err != nil {
		return fmt.Errorf("policy unused: %w", err)
	}
	in := map[string]any{"principalArn": arn, "startTime": start.Unix(), "endTime": end.Unix()}
	var out unusedAnswer
	if err := c.call(ctx, "POST", "/v1/unused-access", in, &out); err != nil {
		return fmt.Errorf("policy unused: %w", err)
	}
	if c.output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	return writeUnusedTable(stdout, &out)
}

// writeUnusedTable prints the answer for people: a heading, the unused
// actions per service with their resources, then the used actions.
func writeUnusedTable(w io.Writer, out *unusedAnswer) error {
	var b strings.Builder
	day := func(sec *int64) string {
		if sec == nil {
			return "never"
		}
		return time.Unix(*sec, 0).UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(&b, "Principal:\t%s\n", out.PrincipalArn)
	fmt.Fprintf(&b, "Range:\t%s .. %s\n", time.Unix(out.StartTime, 0).UTC().Format(time.RFC3339), time.Unix(out.EndTime, 0).UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "Used in range:\t%t (last use %s)\n", out.Used, day(out.LastUsed))
	b.WriteByte('\n')
	if len(out.Unused) == 0 {
		b.WriteString("UNUSED\tnothing: every granted action was used\n")
	} else {
		b.WriteString("SERVICE\tUNUSED ACTION\tRESOURCES\tLAST USED\n")
		for _, s := range out.Unused {
			name := s.Service
			if s.WholeService {
				name += " (whole service)"
			}
			for _, a := range s.Actions {
				fmt.Fprintf(&b, "%s\t%s\t%s\t%s\n", name, a.Action, strings.Join(a.Resources, " "), day(a.LastAccessed))
			}
		}
	}
	if len(out.Broad) > 0 {
		b.WriteString("\nBROAD ACTION\tGRANTED ON\tUSED ON\n")
		for _, a := range out.Broad {
			fmt.Fprintf(&b, "%s\t%s\t%s\n", a.Action, strings.Join(a.Resources, " "), strings.Join(a.UsedOn, " "))
		}
	}
	if len(out.Denied) > 0 {
		b.WriteString("\nREFUSED ACTION\tDECISION\tCOUNT\tRESOURCES\tEVENT\n")
		for _, d := range out.Denied {
			fmt.Fprintf(&b, "%s\t%s\t%d\t%s\t%s\n", d.Action, d.Decision, d.Count, strings.Join(d.Resources, " "), d.EventID)
		}
	}
	b.WriteByte('\n')
	if len(out.UsedActions) == 0 {
		b.WriteString("USED\tnothing in the range\n")
	} else {
		b.WriteString("USED ACTION\tCOUNT\tRESOURCES\n")
		for _, u := range out.UsedActions {
			fmt.Fprintf(&b, "%s\t%d\t%s\n", u.Action, u.Count, strings.Join(u.Resources, " "))
		}
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if _, err := io.WriteString(tw, b.String()); err != nil {
		return err
	}
	return tw.Flush()
}
