package iam

import (
	"encoding/json"
	"strings"

	"github.com/rolecall/rolecall/internal/store"
)

// KeptOnReset reports whether it, an item of table, is part of what a
// first start makes and an emptied database keeps, so that nodes that go
// on serving it need not start again: the root users' access keys (their
// records and index), the AWS managed policies, and the version of the
// layout. Every other IAM record belongs to the account's users, roles,
// customer managed policies and keys, and goes.
func KeptOnReset(table string, it store.Item) bool {
	switch table {
	case tableRootKeys, tableMeta:
		return true
	case tablePolicies:
		return strings.HasPrefix(it.Key, "aws/")
	case tableKeys:
		var k keyRecord
		return json.Unmarshal(it.Value, &k) == nil && k.User == ""
	}
	return false
}
