// Package kms is AWS Key Management Service (awsJson1_1).
//
// It keeps symmetric encryption keys (SYMMETRIC_DEFAULT, AES-256-GCM) in
// the store, their material sealed with the server key, with KMS's key
// policies, aliases, grants, scheduled deletion and tags. A key's policy
// and its grants are authorized as KMS does: the key policy must allow, or
// delegate to IAM through the account principal (policy.EvaluateKey); a
// grant allows its operations to its grantee on its own.
package kms

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/crypt"
	"github.com/rolecall/rolecall/internal/shape"
	"github.com/rolecall/rolecall/internal/store"
)

// TargetPrefix is the X-Amz-Target prefix of KMS requests.
const TargetPrefix = "TrentService"

// Store tables, keyed by account/region/...
const (
	keysTable    = "kms_keys"    // account/region/keyID → key
	aliasesTable = "kms_aliases" // account/region/alias/name → alias
	grantsTable  = "kms_grants"  // account/region/keyID/grantID → grant
)

// Config configures KMS.
type Config struct {
	// Account is the default account.
	Account string
	// Region is the default region.
	Region string
	Store  store.Store
	// Box seals key material at rest: the store never holds it in clear.
	Box *crypt.Box
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// PrincipalID returns the unique ID (AIDA..., AROA...) of the IAM user
	// or role arn, and whether IAM knows it: a grant names its grantee and
	// retiring principal by unique ID, as KMS does.
	PrincipalID func(ctx context.Context, arn string) (id string, known bool, err error)
}

// KMS is the Key Management Service.
type KMS struct {
	cfg Config

	mu       sync.Mutex
	policies map[string]*cachedPolicy // key ARN → compiled key policy and grants
}

// New returns KMS configured by cfg.
func New(cfg Config) (*KMS, error) {
	if cfg.Store == nil || cfg.Box == nil {
		return nil, fmt.Errorf("kms: a store and a box are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &KMS{cfg: cfg, policies: map[string]*cachedPolicy{}}, nil
}

// Service returns the operation table.
func (k *KMS) Service() *api.Service {
	key := k.keyResource
	return api.NewService(api.Service{
		Name:         "kms",
		EventSource:  "kms.amazonaws.com",
		Protocols:    []string{"awsJson1_1"},
		DeniedStatus: 400,
		TargetPrefix: TargetPrefix,
		Validate:     shape.HookLeaving("kms", "ValidationException", leftToHandlers),
	}, []*api.Operation{
		{Name: "CreateKey", Action: "kms:CreateKey", Conditions: k.createKeyConditions, Handle: k.createKey},
		{Name: "DescribeKey", Action: "kms:DescribeKey", ReadOnly: true, Resource: key, Conditions: k.describeConditions, Handle: k.describeKey},
		{Name: "ListKeys", Action: "kms:ListKeys", ReadOnly: true, Handle: k.listKeys},
		{Name: "GetKeyPolicy", Action: "kms:GetKeyPolicy", ReadOnly: true, Resource: key, Conditions: k.keyConditions, Handle: k.getKeyPolicy},
		{Name: "PutKeyPolicy", Action: "kms:PutKeyPolicy", Resource: key, Conditions: k.putPolicyConditions, Handle: k.putKeyPolicy},
		{Name: "ListKeyPolicies", Action: "kms:ListKeyPolicies", ReadOnly: true, Resource: key, Conditions: k.keyConditions, Handle: k.listKeyPolicies},
		{Name: "EnableKey", Action: "kms:EnableKey", Resource: key, Conditions: k.keyConditions, Handle: k.enableKey},
		{Name: "DisableKey", Action: "kms:DisableKey", Resource: key, Conditions: k.keyConditions, Handle: k.disableKey},
		{Name: "ScheduleKeyDeletion", Action: "kms:ScheduleKeyDeletion", Resource: key, Conditions: k.scheduleConditions, Handle: k.scheduleKeyDeletion},
		{Name: "CancelKeyDeletion", Action: "kms:CancelKeyDeletion", Resource: key, Conditions: k.keyConditions, Handle: k.cancelKeyDeletion},
		{Name: "TagResource", Action: "kms:TagResource", Resource: key, Conditions: k.tagConditions, Handle: k.tagResource},
		{Name: "UntagResource", Action: "kms:UntagResource", Resource: key, Conditions: k.tagConditions, Handle: k.untagResource},
		{Name: "ListResourceTags", Action: "kms:ListResourceTags", ReadOnly: true, Resource: key, Conditions: k.keyConditions, Handle: k.listResourceTags},

		{Name: "Encrypt", Action: "kms:Encrypt", ReadOnly: true, Resource: key, Conditions: k.cryptoConditions, Handle: k.encrypt},
		{Name: "Decrypt", Action: "kms:Decrypt", ReadOnly: true, Resource: k.decryptResource, Conditions: k.cryptoConditions, Handle: k.decrypt},
		{Name: "GenerateDataKey", Action: "kms:GenerateDataKey", ReadOnly: true, Resource: key, Conditions: k.cryptoConditions, Handle: k.generateDataKey},
		{Name: "GenerateDataKeyWithoutPlaintext", Action: "kms:GenerateDataKeyWithoutPlaintext", ReadOnly: true, Resource: key, Conditions: k.cryptoConditions, Handle: k.generateDataKeyWithoutPlaintext},
		{Name: "ReEncrypt", Action: "kms:ReEncryptFrom", ReadOnly: true, Resource: k.decryptResource, Conditions: k.cryptoConditions,
			Also: []api.Check{{Action: "kms:ReEncryptTo", Resource: k.destinationResource, Conditions: k.destinationConditions}}, Handle: k.reEncrypt},

		{Name: "CreateAlias", Action: "kms:CreateAlias", Resource: k.aliasResource, Conditions: k.aliasConditions,
			Also: []api.Check{{Action: "kms:CreateAlias", Resource: k.targetKeyResource, Conditions: k.keyConditions}}, Handle: k.createAlias},
		{Name: "UpdateAlias", Action: "kms:UpdateAlias", Resource: k.aliasResource, Conditions: k.aliasConditions,
			Also: []api.Check{
				{Action: "kms:UpdateAlias", Resource: k.aliasKeyResource, Conditions: k.keyConditions},
				{Action: "kms:UpdateAlias", Resource: k.targetKeyResource, Conditions: k.keyConditions},
			}, Handle: k.updateAlias},
		{Name: "DeleteAlias", Action: "kms:DeleteAlias", Resource: k.aliasResource, Conditions: k.aliasConditions,
			Also: []api.Check{{Action: "kms:DeleteAlias", Resource: k.aliasKeyResource, Conditions: k.keyConditions}}, Handle: k.deleteAlias},
		{Name: "ListAliases", Action: "kms:ListAliases", ReadOnly: true, Handle: k.listAliases},

		{Name: "CreateGrant", Action: "kms:CreateGrant", Resource: key, Conditions: k.grantConditions, Handle: k.createGrant},
		{Name: "ListGrants", Action: "kms:ListGrants", ReadOnly: true, Resource: key, Conditions: k.grantsConditions, Handle: k.listGrants},
		{Name: "RevokeGrant", Action: "kms:RevokeGrant", Resource: key, Conditions: k.grantsConditions, Handle: k.revokeGrant},
		{Name: "RetireGrant", Action: "kms:RetireGrant", Resource: k.retireResource, Conditions: k.keyConditions, Handle: k.retireGrant},
		{Name: "ListRetirableGrants", Action: "kms:ListRetirableGrants", ReadOnly: true, Handle: k.listRetirableGrants},
	}...)
}

// leftToHandlers are members whose constraints the handlers word as KMS
// does.
var leftToHandlers = map[string][]string{
	"Encrypt":                         {"plaintext"},
	"GenerateDataKey":                 {"numberOfBytes"},
	"GenerateDataKeyWithoutPlaintext": {"numberOfBytes"},
	"ScheduleKeyDeletion":             {"pendingWindowInDays"},
	"CreateAlias":                     {"aliasName"},
	"UpdateAlias":                     {"aliasName"},
	"DeleteAlias":                     {"aliasName"},
}

// decode decodes the call's input into v, after the model's check.
func decode(c *api.Call, v any) error {
	if c.Input != nil {
		return c.Decode(v)
	}
	if e := c.Validate(); e != nil {
		return e
	}
	body, err := c.Payload()
	if err != nil {
		return err
	}
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return serializationError()
	}
	return nil
}

// scope is the key prefix of the call's account and region.
func scope(c *api.Call) string { return c.Account + "/" + c.Region + "/" }

// epoch renders t as the JSON protocols' timestamp: seconds since the epoch.
func epoch(t time.Time) float64 {
	return float64(t.UnixMilli()) / 1000
}
