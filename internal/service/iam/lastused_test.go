package iam

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/crypt"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/storetest"
)

func TestRoleUseLeavesTheRoleAlone(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.must("CreateRole", "RoleName", "fn", "AssumeRolePolicyDocument", lambdaTrust)
	f.must("PutRolePolicy", "RoleName", "fn", "PolicyName", "logs", "PolicyDocument", allowDoc("logs:PutLogEvents"))
	contains(t, f.must("GetRole", "RoleName", "fn"), "<RoleLastUsed></RoleLastUsed>")
	before, err := f.st.Get(ctx, tableRoles, RoleKey(testAccount, "fn"))
	if err != nil {
		t.Fatal(err)
	}
	session := &api.Principal{
		Type: api.AssumedRole, Account: testAccount, ARN: "arn:aws:sts::123456789012:assumed-role/fn/s",
		RoleARN: "arn:aws:iam::123456789012:role/fn", RoleName: "fn", SessionName: "s",
	}
	set := mustSet(t, f, session)
	rev, err := f.st.CurrentRevision(ctx)
	if err != nil {
		t.Fatal(err)
	}

	at := time.Date(2024, 5, 2, 8, 30, 15, 500, time.UTC)
	if err := f.iam.RecordRoleUse(ctx, "arn:aws:iam::123456789012:role/fn", "eu-west-1", at); err != nil {
		t.Fatal(err)
	}
	// The use is its own key: the role is not written, so nothing derived
	// from it is dropped.
	for _, c := range storetest.ChangesSince(t, f.st, rev) {
		if c.Table != tableRoleUse || c.Key != RoleKey(testAccount, "fn") {
			t.Errorf("RecordRoleUse wrote %s/%s", c.Table, c.Key)
		}
	}
	after, err := f.st.Get(ctx, tableRoles, RoleKey(testAccount, "fn"))
	if err != nil || string(after) != string(before) {
		t.Errorf("role record changed: %s -> %s (%v)", before, after, err)
	}
	if mustSet(t, f, session) != set {
		t.Error("recording a use dropped the role's compiled policies")
	}
	want := "<RoleLastUsed><LastUsedDate>2024-05-02T08:30:15Z</LastUsedDate><Region>eu-west-1</Region></RoleLastUsed>"
	contains(t, f.must("GetRole", "RoleName", "fn"), want)
	contains(t, f.must("GetAccountAuthorizationDetails", "Filter.member.1", "Role"), want)

	// An earlier use recorded late does not hide a later one.
	if err := f.iam.RecordRoleUse(ctx, "arn:aws:iam::123456789012:role/fn", "us-east-1", at.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	contains(t, f.must("GetRole", "RoleName", "fn"), want)

	// Deleting the role deletes when it was last used; a role made again
	// under the name has never been used.
	f.must("DeleteRolePolicy", "RoleName", "fn", "PolicyName", "logs")
	f.must("DeleteRole", "RoleName", "fn")
	if _, err := f.st.Get(ctx, tableRoleUse, RoleKey(testAccount, "fn")); err != store.ErrNotFound {
		t.Errorf("last use of a deleted role: %v", err)
	}
	f.must("CreateRole", "RoleName", "fn", "AssumeRolePolicyDocument", lambdaTrust)
	contains(t, f.must("GetRole", "RoleName", "fn"), "<RoleLastUsed></RoleLastUsed>")
}

// TestRoleUseRacesPolicyEdits runs AssumeRole's RecordRoleUse on one store
// handle while another process's handle puts and deletes the role's inline
// policies: no use undoes an edit, and no edit loses a use.
func TestRoleUseRacesPolicyEdits(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "rolecall.db")
	box, err := crypt.NewBox(crypt.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	open := func() *fixture {
		st, err := store.OpenSQLite(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		i, err := New(ctx, Config{Account: testAccount, Store: st, Box: box})
		if err != nil {
			t.Fatal(err)
		}
		return &fixture{t: t, iam: i, svc: i.Service(), st: st, root: rootOf(testAccount)}
	}
	a, b := open(), open()
	a.must("CreateRole", "RoleName", "fn", "AssumeRolePolicyDocument", lambdaTrust)
	arn := "arn:aws:iam::123456789012:role/fn"
	start := time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC)
	const rounds = 40
	var wg sync.WaitGroup
	wg.Add(2)
	errs := make(chan error, 2)
	go func() {
		defer wg.Done()
		for n := range rounds {
			if err := b.iam.RecordRoleUse(ctx, arn, "eu-west-1", start.Add(time.Duration(n)*time.Second)); err != nil {
				errs <- err
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for range rounds {
			for _, op := range []string{"PutRolePolicy", "DeleteRolePolicy"} {
				kv := []string{"RoleName", "fn", "PolicyName", "p"}
				if op == "PutRolePolicy" {
					kv = append(kv, "PolicyDocument", allowDoc("s3:GetObject"))
				}
				if _, err := a.call(op, kv...); err != nil {
					errs <- err
					return
				}
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	contains(t, a.must("ListRolePolicies", "RoleName", "fn"), "<PolicyNames></PolicyNames>")
	contains(t, b.must("GetRole", "RoleName", "fn"), "<LastUsedDate>2024-05-02T00:00:39Z</LastUsedDate>")
	contains(t, a.must("GetRole", "RoleName", "fn"), "<LastUsedDate>2024-05-02T00:00:39Z</LastUsedDate>")
}

// TestAttachmentCountsRaceEdits attaches a customer managed policy to many
// roles while the policy gets new versions: the counts are not kept in the
// policy, so neither writer loses the other's change.
func TestAttachmentCountsRaceEdits(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.must("CreatePolicy", "PolicyName", "app", "PolicyDocument", allowDoc("s3:GetObject"))
	arn := "arn:aws:iam::123456789012:policy/app"
	const roles = 12
	for n := range roles {
		f.must("CreateRole", "RoleName", "r"+string(rune('a'+n)), "AssumeRolePolicyDocument", lambdaTrust)
	}
	rev, err := f.st.CurrentRevision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for n := range roles {
		wg.Go(func() {
			if _, err := f.call("AttachRolePolicy", "RoleName", "r"+string(rune('a'+n)), "PolicyArn", arn); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Go(func() {
		for range 3 {
			if _, err := f.call("CreatePolicyVersion", "PolicyArn", arn, "PolicyDocument", allowDoc("s3:PutObject"), "SetAsDefault", "true"); err != nil {
				t.Error(err)
			}
			if _, err := f.call("DeletePolicyVersion", "PolicyArn", arn, "VersionId", "v1"); err != nil {
				var se *api.Error
				if !errors.As(err, &se) || se.Code != "NoSuchEntity" {
					t.Error(err)
				}
			}
		}
	})
	wg.Wait()
	contains(t, f.must("GetPolicy", "PolicyArn", arn), "<AttachmentCount>12</AttachmentCount>", "<DefaultVersionId>v4</DefaultVersionId>")
	contains(t, f.must("ListPolicies", "Scope", "Local", "OnlyAttached", "true"), "<AttachmentCount>12</AttachmentCount>")
	// The policy itself is written by the version changes only: three
	// made, one deleted.
	policyWrites := 0
	for _, c := range storetest.ChangesSince(t, f.st, rev) {
		switch c.Table {
		case tablePolicies:
			policyWrites++
		case tableRoles, tableUses, tablePolicyEntities: // the attachment and its index
		default:
			t.Errorf("unexpected write %s/%s", c.Table, c.Key)
		}
	}
	if policyWrites != 4 {
		t.Errorf("the policy was written %d times, want 4", policyWrites)
	}
	for n := range roles {
		f.must("DetachRolePolicy", "RoleName", "r"+string(rune('a'+n)), "PolicyArn", arn)
	}
	contains(t, f.must("GetPolicy", "PolicyArn", arn), "<AttachmentCount>0</AttachmentCount>")
	if _, err := f.st.Get(ctx, tableUses, testAccount+"/app"); err != store.ErrNotFound {
		t.Errorf("counts of an unused policy: %v", err)
	}
}

// TestUpgradeMovesHotFields opens a store in layout 2, which kept when a
// role was last assumed and a key last used in their records, and the
// counts of customer managed policies in the policies.
func TestUpgradeMovesHotFields(t *testing.T) {
	ctx := context.Background()
	st, box := rawStore(t)
	var err error
	created := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	used := time.Date(2024, 3, 4, 5, 6, 7, 0, time.UTC)
	const keyID = "AKIAOLDUSERKEY000002"
	seed := func(tx store.Tx, table, key string, v any, extra map[string]any) {
		t.Helper()
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		maps.Copy(m, extra)
		if b, err = json.Marshal(m); err != nil {
			t.Fatal(err)
		}
		if err := tx.Put(ctx, table, key, b); err != nil {
			t.Fatal(err)
		}
	}
	mine := "arn:aws:iam::123456789012:policy/mine"
	_, err = st.Update(ctx, func(tx store.Tx) error {
		if err := tx.Put(ctx, tableMeta, layoutKey, []byte("2")); err != nil {
			t.Fatal(err)
		}
		seed(tx, tableRoles, testAccount+"/fn", roleRecord{Name: "fn", Path: "/", ID: "AROAOLDOLDOLDOLDOLDOL", Created: created, Trust: lambdaTrust,
			MaxSession: 3600, Attached: []string{mine}}, map[string]any{"lastUsed": used, "lastRegion": "ap-south-1"})
		seed(tx, tableUsers, testAccount+"/old", userRecord{Name: "old", Path: "/", ID: "AIDAOLDOLDOLDOLDOLDOL", Created: created, Keys: []string{keyID}}, nil)
		seed(tx, tableKeys, keyID, keyRecord{ID: keyID, Account: testAccount, User: "old", Status: statusActive,
			Secret: box.Seal([]byte("old-secret"), []byte(keyID)), Created: created},
			map[string]any{"lastUsed": used, "lastService": "sts", "lastRegion": "eu-north-1"})
		seed(tx, tablePolicies, testAccount+"/mine", policyRecord{ARN: mine, Name: "mine", ID: "ANPAOLDOLDOLDOLDOLDOL", Path: "/",
			Created: created, Updated: created, Default: "v1", Versions: []versionRecord{{ID: "v1", Doc: allowDoc("s3:GetObject"), Created: created}},
			NextVersion: 2}, map[string]any{"attachments": 1, "boundaryUses": 0})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the upgrade runs once; a second start finds nothing to do
		i, err := New(ctx, Config{Account: testAccount, Store: st, Box: box})
		if err != nil {
			t.Fatal(err)
		}
		f := &fixture{t: t, iam: i, svc: i.Service(), st: st, root: rootOf(testAccount)}
		contains(t, f.must("GetRole", "RoleName", "fn"), "<RoleLastUsed><LastUsedDate>2024-03-04T05:06:07Z</LastUsedDate><Region>ap-south-1</Region></RoleLastUsed>")
		contains(t, f.must("GetAccessKeyLastUsed", "AccessKeyId", keyID),
			"<LastUsedDate>2024-03-04T05:06:07Z</LastUsedDate><ServiceName>sts</ServiceName><Region>eu-north-1</Region>")
		contains(t, f.must("GetPolicy", "PolicyArn", mine), "<AttachmentCount>1</AttachmentCount>")
	}
	for table, key := range map[string]string{tableRoles: testAccount + "/fn", tableKeys: keyID, tablePolicies: testAccount + "/mine"} {
		b, err := st.Get(ctx, table, key)
		if err != nil {
			t.Fatal(err)
		}
		for _, field := range []string{`"lastUsed"`, `"lastRegion"`, `"lastService"`, `"attachments"`} {
			if strings.Contains(string(b), field) {
				t.Errorf("%s/%s still holds %s: %s", table, key, field, b)
			}
		}
	}
	if have, err := get[int](ctx, st, tableMeta, layoutKey); err != nil || have == nil || *have != layout {
		t.Errorf("layout after the upgrade: %v %v", have, err)
	}
}

func TestKeyUse(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.must("CreateUser", "UserName", "alice")
	var created struct {
		AccessKey struct{ AccessKeyId string } `xml:"AccessKey"`
	}
	decode(t, f.must("CreateAccessKey", "UserName", "alice"), &created)
	id := created.AccessKey.AccessKeyId
	if _, _, err := f.iam.LookupAccessKey(ctx, id); err != nil {
		t.Fatal(err)
	}
	cached, _, _ := f.iam.keys.Get(id)
	rev, err := f.st.CurrentRevision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 5, 2, 9, 0, 0, 0, time.UTC)
	record := func(service, region string, at time.Time) {
		t.Helper()
		if err := f.iam.RecordKeyUse(ctx, id, service, region, at); err != nil {
			t.Fatal(err)
		}
	}
	lastUsed := func() string {
		t.Helper()
		return f.must("GetAccessKeyLastUsed", "AccessKeyId", id)
	}
	record("s3", "eu-west-1", at)
	for _, c := range storetest.ChangesSince(t, f.st, rev) {
		if c.Table != tableKeyUse || c.Key != id {
			t.Errorf("RecordKeyUse wrote %s/%s", c.Table, c.Key)
		}
	}
	if now, _, _ := f.iam.keys.Get(id); now != cached {
		t.Error("recording a use dropped the cached key")
	}
	contains(t, lastUsed(), "<LastUsedDate>2024-05-02T09:00:00Z</LastUsedDate><ServiceName>s3</ServiceName><Region>eu-west-1</Region>")
	// Within the interval, the same service and region are not written again...
	record("s3", "eu-west-1", at.Add(30*time.Second))
	contains(t, lastUsed(), "<LastUsedDate>2024-05-02T09:00:00Z</LastUsedDate>")
	// ...another service is, and so is the same one after the interval.
	record("lambda", "eu-west-1", at.Add(40*time.Second))
	contains(t, lastUsed(), "<LastUsedDate>2024-05-02T09:00:40Z</LastUsedDate><ServiceName>lambda</ServiceName>")
	record("lambda", "eu-west-1", at.Add(40*time.Second+keyUseInterval))
	contains(t, lastUsed(), "<LastUsedDate>2024-05-02T09:01:40Z</LastUsedDate><ServiceName>lambda</ServiceName>")

	// Deleting the key deletes its last use, and a late use of it stores nothing.
	f.must("DeleteAccessKey", "UserName", "alice", "AccessKeyId", id)
	record("sts", "us-east-1", at.Add(time.Hour))
	if _, err := f.st.Get(ctx, tableKeyUse, id); err != store.ErrNotFound {
		t.Errorf("last use of a deleted key: %v", err)
	}
}
