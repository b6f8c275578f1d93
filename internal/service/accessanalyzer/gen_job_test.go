package accessanalyzer

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// TestCancelInProgress: a job canceled while it runs stays CANCELED when
// the run finishes, and its policy is not written.
func TestCancelInProgress(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := New(Config{Account: "123456789012", Region: "us-east-1", Store: st})
	j := &job{ID: newJobID(), Account: "123456789012", PrincipalARN: "arn:aws:iam::123456789012:role/app",
		Status: statusInProgress, StartedOn: time.Now().UTC()}
	if _, _, err := a.createJob(&api.Call{Context: ctx}, j, ""); err != nil {
		t.Fatal(err)
	}
	if err := a.cancelJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	if err := a.finish(ctx, j, func(cur *job) { cur.Status = statusSucceeded }); err != nil {
		t.Fatal(err)
	}
	got, err := a.loadJob(ctx, j.Account, j.ID)
	if err != nil || got.Status != statusCanceled || got.CompletedOn.IsZero() {
		t.Errorf("job after cancel and finish: %+v %v", got, err)
	}
}
