package dynamodb

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// TestStatsAge: DescribeTable's counts are counted again once older than
// statsMaxAge.
func TestStatsAge(t *testing.T) {
	ctx := context.Background()
	db, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "ddb.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	d, err := New(Config{Account: "123456789012", Region: "us-east-1", Store: db, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	c := &api.Call{Context: ctx, Account: "123456789012", Region: "us-east-1"}
	c.Input = &createTableInput{TableName: "counted", BillingMode: "PAY_PER_REQUEST",
		AttributeDefinitions: []AttributeDefinition{{AttributeName: "pk", AttributeType: "S"}},
		KeySchema:            []KeyElement{{AttributeName: "pk", KeyType: "HASH"}}}
	if _, err := d.createTable(c); err != nil {
		t.Fatal(err)
	}
	count := func() int64 {
		c.Input = &tableNameInput{TableName: "counted"}
		out, err := d.describeTable(c)
		if err != nil {
			t.Fatal(err)
		}
		return out.(map[string]any)["Table"].(*tableDescription).ItemCount
	}
	if n := count(); n != 0 {
		t.Fatalf("ItemCount %d", n)
	}
	tbl, err := d.cachedTable(ctx, c, "counted")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Update(ctx, func(tx store.Tx) error {
		return store.PutJSON(ctx, tx, itemsTable, tbl.ID+"/a/", map[string]any{"pk": map[string]string{"S": "a"}})
	}); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 0 {
		t.Errorf("ItemCount %d within %s of the last count", n, statsMaxAge)
	}
	mu.Lock()
	now = now.Add(statsMaxAge)
	mu.Unlock()
	if n := count(); n != 1 {
		t.Errorf("ItemCount %d after %s", n, statsMaxAge)
	}
}
