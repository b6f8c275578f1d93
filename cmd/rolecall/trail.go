package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/postgres"
)

const trailUsage = `Usage: rolecall trail [flags]

Prints the recorded events, management and data, newest first, one
CloudTrail record per line. It reads the data directory of a server that may
be running, without disturbing it.

  rolecall trail explain EVENT-ID   why a running rolecall decided an event's request as it did, and how to allow it

Flags:
`

// trailPage is how many events one store query reads.
const trailPage = 500

// runTrail is the trail verb.
func runTrail(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "explain" {
		return runTrailExplain(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("rolecall trail", flag.ContinueOnError)
	fs.Usage = func() {
		_, _ = fmt.Fprint(fs.Output(), trailUsage)
		fs.PrintDefaults()
	}
	state := addStateFlags(fs, sharedURLUsage)
	dataDir := state.dataDir
	principal := fs.String("principal", "", "only the calls of this principal `ARN`; a role's ARN also selects its sessions' calls")
	category := fs.String("category", "", "only events of this category: Management or Data")
	account := fs.String("account", "", "only events recorded in this account `ID`")
	since := fs.String("since", "", "only events at or after this `time` (RFC 3339, or a duration before now such as 1h)")
	until := fs.String("until", "", "only events at or before this `time` (RFC 3339, or a duration before now)")
	limit := fs.Int("limit", 0, "print at most this many events (0: all)")
	decisions := fs.Bool("decisions", false, "add each event's authorization decisions to its record as \"decisions\"")
	if done, err := parseFlags(fs, args, stdout, stderr); done {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("trail: unexpected argument %q", fs.Arg(0))
	}
	databaseURL := state.url()
	now := time.Now()
	q := store.EventQuery{PrincipalARN: *principal, Account: *account, Limit: trailPage}
	switch strings.ToLower(*category) {
	case "":
	case "management":
		q.Category = store.CategoryManagement
	case "data":
		q.Category = store.CategoryData
	default:
		return fmt.Errorf("trail: --category must be Management or Data, not %q", *category)
	}
	var err error
	if q.Start, err = parseWhen(*since, now); err != nil {
		return fmt.Errorf("trail: --since: %w", err)
	}
	if q.End, err = parseWhen(*until, now); err != nil {
		return fmt.Errorf("trail: --until: %w", err)
	}
	if !q.Start.IsZero() && !q.End.IsZero() && q.Start.After(q.End) {
		return errors.New("trail: --since is after --until")
	}
	if *limit < 0 {
		return errors.New("trail: --limit must not be negative")
	}

	st, err := openTrailStore(ctx, databaseURL, filepath.Join(*dataDir, "rolecall.db"))
	if err != nil {
		return err
	}
	defer func() { _ = st.Close() }() // read only

	w := bufio.NewWriter(stdout)
	printed := 0
	for {
		if *limit > 0 {
			q.Limit = min(trailPage, *limit-printed)
		}
		evs, next, err := st.QueryEvents(ctx, q)
		if err != nil {
			return fmt.Errorf("trail: %w", err)
		}
		for _, ev := range evs {
			line, err := trailLine(ev, *decisions)
			if err != nil {
				return err
			}
			if _, err := w.Write(append(line, '\n')); err != nil {
				return fmt.Errorf("trail: %w", err)
			}
		}
		printed += len(evs)
		if next == "" || (*limit > 0 && printed >= *limit) {
			break
		}
		q.Cursor = next
	}
	return w.Flush()
}

// openTrailStore opens the database for reading: PostgreSQL at
// databaseURL, or the SQLite file at path. A database made by an older
// build is upgraded first, which needs a writer for a moment.
func openTrailStore(ctx context.Context, databaseURL, path string) (store.Store, error) {
	if databaseURL != "" {
		st, err := postgres.OpenExisting(ctx, databaseURL)
		if err != nil {
			return nil, fmt.Errorf("trail: database %s: %w", postgres.Redact(databaseURL), err)
		}
		return st, nil
	}
	st, err := store.OpenSQLiteReadOnly(ctx, path)
	if errors.Is(err, store.ErrSchemaOutdated) {
		st, err = store.OpenSQLite(ctx, path)
	}
	if err != nil {
		return nil, fmt.Errorf("trail: no readable rolecall database: %w", err)
	}
	return st, nil
}

// parseWhen reads an RFC 3339 time or a duration before now ("" is no bound).
func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time nor a duration such as 90m", s)
	}
	return now.Add(-d), nil
}

// trailLine is an event's CloudTrail record on one line, with its decisions
// as a last "decisions" member when asked for.
func trailLine(ev store.Event, withDecisions bool) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, ev.Record); err != nil {
		return nil, fmt.Errorf("trail: event %s: record is not JSON: %w", ev.ID, err)
	}
	if !withDecisions {
		return buf.Bytes(), nil
	}
	decisions := []byte("[]")
	if len(ev.Decisions) > 0 {
		var d bytes.Buffer
		if err := json.Compact(&d, ev.Decisions); err != nil {
			return nil, fmt.Errorf("trail: event %s: decisions are not JSON: %w", ev.ID, err)
		}
		decisions = d.Bytes()
	}
	rec := buf.Bytes()
	if len(rec) < 2 || rec[0] != '{' || rec[len(rec)-1] != '}' {
		return nil, fmt.Errorf("trail: event %s: record is not a JSON object", ev.ID)
	}
	out := append([]byte(nil), rec[:len(rec)-1]...)
	if len(rec) > 2 {
		out = append(out, ',')
	}
	out = append(out, `"decisions":`...)
	out = append(out, decisions...)
	return append(out, '}'), nil
}
