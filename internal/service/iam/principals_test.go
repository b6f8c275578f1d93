package iam

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/store"
)

// TestUpgradeKeepsTrustedPrincipalsByID: roles stored before trust
// policies kept their principals' unique IDs (layout 3) get them on
// upgrade, for the principals that exist.
func TestUpgradeKeepsTrustedPrincipalsByID(t *testing.T) {
	ctx := context.Background()
	st, box := rawStore(t)
	created := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	const userID = "AIDAOLDUSEROLDUSER234"
	const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:user/dave","arn:aws:iam::123456789012:role/missing"]},"Action":"sts:AssumeRole"}]}`
	_, err := st.Update(ctx, func(tx store.Tx) error {
		for _, v := range []struct {
			table, key string
			v          any
		}{
			{tableMeta, layoutKey, 3},
			{tableUsers, testAccount + "/dave", userRecord{Name: "dave", Path: "/", ID: userID, Created: created}},
			{tableRoles, testAccount + "/t", roleRecord{Name: "t", Path: "/", ID: "AROAOLDROLEOLDROLE234", Created: created, Trust: trust, MaxSession: 3600}},
		} {
			b, err := json.Marshal(v.v)
			if err != nil {
				return err
			}
			if err := tx.Put(ctx, v.table, v.key, b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	i, err := New(ctx, Config{Account: testAccount, Store: st, Box: box})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, iam: i, svc: i.Service(), st: st, root: rootOf(testAccount)}
	shown := func() string {
		info, err := i.Role(ctx, testAccount, "t")
		if err != nil {
			t.Fatal(err)
		}
		return info.TrustDocument
	}
	if got := shown(); got != trust {
		t.Errorf("after the upgrade: %s", got)
	}
	f.must("DeleteUser", "UserName", "dave")
	want := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["` + userID + `","arn:aws:iam::123456789012:role/missing"]},"Action":"sts:AssumeRole"}]}`
	if got := shown(); got != want {
		t.Errorf("after the user was deleted:\n got %s\nwant %s", got, want)
	}
	if have, err := get[int](ctx, st, tableMeta, layoutKey); err != nil || have == nil || *have != layout {
		t.Errorf("layout %v %v", have, err)
	}
}
