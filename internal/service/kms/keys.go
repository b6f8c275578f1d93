package kms

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/crypt"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/store"
)

// Key states (KeyState).
const (
	stateEnabled         = "Enabled"
	stateDisabled        = "Disabled"
	statePendingDeletion = "PendingDeletion"
)

// key is a KMS key as the store keeps it.
type key struct {
	ID          string    `json:"id"`
	ARN         string    `json:"arn"`
	Account     string    `json:"account"`
	Region      string    `json:"region"`
	Description string    `json:"description,omitempty"`
	State       string    `json:"state"`
	Created     time.Time `json:"created"`
	Deletion    time.Time `json:"deletion,omitzero"`
	Policy      string    `json:"policy"`
	Manager     string    `json:"manager"` // CUSTOMER or AWS
	// Sealed is the 32-byte key material sealed with the server key,
	// bound to the key's ARN.
	Sealed []byte `json:"sealed"`
	Tags   []Tag  `json:"tags,omitempty"`
	// Aliases are the names of the aliases that point to the key
	// (kms:ResourceAliases), kept by the alias operations.
	Aliases []string `json:"aliases,omitempty"`
}

// Tag is one tag of a key (KMS spells its members TagKey and TagValue).
type Tag struct {
	TagKey   string `json:"TagKey"`
	TagValue string `json:"TagValue"`
}

func keyARN(region, account, id string) string {
	return "arn:aws:kms:" + region + ":" + account + ":key/" + id
}

func aliasARN(region, account, name string) string {
	return "arn:aws:kms:" + region + ":" + account + ":" + name
}

func materialAD(arn string) []byte { return []byte("kms key material " + arn) }

// defaultPolicy is the key policy CreateKey gives a key when none is given.
func defaultPolicy(account string) string {
	return `{
  "Version" : "2012-10-17",
  "Id" : "key-default-1",
  "Statement" : [ {
    "Sid" : "Enable IAM User Permissions",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "arn:aws:iam::` + account + `:root"
    },
    "Action" : "kms:*",
    "Resource" : "*"
  } ]
}`
}

// managedServices are the services whose AWS managed keys (alias/aws/NAME)
// are created on first use, with the key policy AWS gives them.
var managedServices = map[string]bool{
	"lambda": true, "s3": true, "sqs": true, "sns": true, "secretsmanager": true,
	"ssm": true, "ebs": true, "rds": true, "dynamodb": true, "logs": true,
}

// managedPolicy is the key policy of the AWS managed key of service.
func managedPolicy(service, account, region string) string {
	return `{"Version":"2012-10-17","Id":"auto-` + service + `","Statement":[` +
		`{"Sid":"Allow access through ` + service + ` for all principals in the account that are authorized to use ` + service + `","Effect":"Allow","Principal":{"AWS":"*"},` +
		`"Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:CreateGrant","kms:DescribeKey"],"Resource":"*",` +
		`"Condition":{"StringEquals":{"kms:CallerAccount":"` + account + `","kms:ViaService":"` + service + `.` + region + `.amazonaws.com"}}},` +
		`{"Sid":"Allow direct access to key metadata to the account","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:root"},` +
		`"Action":["kms:Describe*","kms:Get*","kms:List*","kms:RevokeGrant"],"Resource":"*"}]}`
}

// newKey returns a fresh enabled key with new material.
func (k *KMS) newKey(account, region, description, pol, manager string, tags []Tag) *key {
	id := uuid.NewString()
	arn := keyARN(region, account, id)
	material := crypt.NewKey()
	return &key{
		ID: id, ARN: arn, Account: account, Region: region,
		Description: description, State: stateEnabled, Created: k.cfg.Now().UTC(),
		Policy: pol, Manager: manager, Sealed: k.cfg.Box.Seal(material, materialAD(arn)), Tags: tags,
	}
}

// ref is where a KeyId points: a key, directly or through an alias.
type ref struct {
	account, region string
	id              string // key ID, when given directly
	alias           string // "alias/name", when given through an alias
}

// parseRef parses a KeyId as KMS accepts it: a key ID, a key ARN, an alias
// name or an alias ARN.
func parseRef(c *api.Call, keyID string) (ref, error) {
	r := ref{account: c.Account, region: c.Region}
	s := keyID
	if strings.HasPrefix(s, "arn:") {
		parts := strings.SplitN(s, ":", 6)
		if len(parts) != 6 || parts[2] != "kms" || parts[3] == "" || parts[4] == "" {
			return r, invalidARN("Invalid arn %s", keyID)
		}
		r.region, r.account, s = parts[3], parts[4], parts[5]
		if !strings.HasPrefix(s, "key/") && !strings.HasPrefix(s, "alias/") {
			return r, invalidARN("Invalid arn %s", keyID)
		}
		if r.region != c.Region {
			// Keys are regional: an endpoint knows only its own region's.
			return r, kmsError("NotFoundException", "Invalid arn %s", r.region)
		}
		s = strings.TrimPrefix(s, "key/")
	}
	switch {
	case strings.HasPrefix(s, "alias/"):
		r.alias = s
	case uuid.Validate(s) == nil && len(s) == 36:
		r.id = strings.ToLower(s)
	default:
		return r, invalidKeyID(keyID)
	}
	return r, nil
}

// crossAccount are the operations that may name a key of another account
// by its key or alias ARN ("Cross-account use: Yes" in the AWS KMS API
// Reference); the others find only keys of the caller's account.
var crossAccount = map[string]bool{
	"CreateGrant": true, "Decrypt": true, "DescribeKey": true, "Encrypt": true,
	"GenerateDataKey": true, "GenerateDataKeyWithoutPlaintext": true, "ListGrants": true,
	"ReEncrypt": true, "RetireGrant": true, "RevokeGrant": true,
}

// resolve returns the key KeyId names. An AWS managed key named by its
// alias (alias/aws/lambda) is created on first use.
func (k *KMS) resolve(c *api.Call, keyID string) (*key, error) {
	if keyID == "" {
		return nil, validation("1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null")
	}
	r, err := parseRef(c, keyID)
	if err != nil {
		return nil, err
	}
	if r.account != c.Account && !crossAccount[c.OperationName] {
		// The operation looks in the caller's own account only.
		if r.alias != "" {
			return nil, aliasNotFound(aliasARN(r.region, r.account, r.alias))
		}
		return nil, keyNotFound(keyARN(r.region, r.account, r.id))
	}
	ctx := c.Context
	if r.alias != "" {
		var a alias
		err := store.GetJSON(ctx, k.cfg.Store, aliasesTable, r.account+"/"+r.region+"/"+r.alias, &a)
		switch {
		case errors.Is(err, store.ErrNotFound):
			svc, ok := strings.CutPrefix(r.alias, "alias/aws/")
			if !ok || !managedServices[svc] || r.account != c.Account {
				return nil, aliasNotFound(aliasARN(r.region, r.account, r.alias))
			}
			return k.managedKey(ctx, r.account, r.region, svc)
		case err != nil:
			return nil, fmt.Errorf("kms: alias %s: %w", r.alias, err)
		}
		r.id = a.KeyID
	}
	var kk key
	err = store.GetJSON(ctx, k.cfg.Store, keysTable, r.account+"/"+r.region+"/"+r.id, &kk)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, keyNotFound(keyARN(r.region, r.account, r.id))
	case err != nil:
		return nil, fmt.Errorf("kms: key %s: %w", r.id, err)
	}
	if kk.State == statePendingDeletion && !k.cfg.Now().Before(kk.Deletion) {
		// The waiting period is over: the key is deleted.
		return nil, keyNotFound(kk.ARN)
	}
	return &kk, nil
}

// managedKey returns the AWS managed key of service, creating it and its
// alias on first use.
func (k *KMS) managedKey(ctx context.Context, account, region, service string) (*key, error) {
	name := "alias/aws/" + service
	var out *key
	_, err := k.cfg.Store.Update(ctx, func(tx store.Tx) error {
		out = nil
		var a alias
		err := store.GetJSON(ctx, tx, aliasesTable, account+"/"+region+"/"+name, &a)
		if err == nil {
			var kk key
			if err := store.GetJSON(ctx, tx, keysTable, account+"/"+region+"/"+a.KeyID, &kk); err != nil {
				return err
			}
			out = &kk
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		kk := k.newKey(account, region, "Default key that protects my "+service+" data when no other key is defined",
			managedPolicy(service, account, region), "AWS", nil)
		now := k.cfg.Now().UTC()
		a = alias{Name: name, KeyID: kk.ID, Created: now, Updated: now}
		kk.Aliases = []string{name}
		if err := store.PutJSON(ctx, tx, keysTable, account+"/"+region+"/"+kk.ID, kk); err != nil {
			return err
		}
		out = kk
		return store.PutJSON(ctx, tx, aliasesTable, account+"/"+region+"/"+name, &a)
	})
	if err != nil {
		return nil, fmt.Errorf("kms: AWS managed key %s: %w", name, err)
	}
	return out, nil
}

// updateKey applies fn to the key with ARN arn in one transaction.
func (k *KMS) updateKey(ctx context.Context, kk *key, fn func(*key) error) (*key, error) {
	var out *key
	id := kk.Account + "/" + kk.Region + "/" + kk.ID
	_, err := k.cfg.Store.Update(ctx, func(tx store.Tx) error {
		out = nil
		var cur key
		if err := store.GetJSON(ctx, tx, keysTable, id, &cur); err != nil {
			return err
		}
		if err := fn(&cur); err != nil {
			return err
		}
		out = &cur
		return store.PutJSON(ctx, tx, keysTable, id, &cur)
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, keyNotFound(kk.ARN)
	}
	if err != nil {
		var ae *api.Error
		if errors.As(err, &ae) {
			return nil, ae
		}
		return nil, fmt.Errorf("kms: key %s: %w", kk.ARN, err)
	}
	return out, nil
}

// keyInput holds the member that names the key.
type keyInput struct {
	KeyId string `json:"KeyId"`
}

// keyIDOf returns the KeyId member of the call's input.
func keyIDOf(c *api.Call) (string, error) {
	switch in := c.Input.(type) {
	case *EncryptInput:
		return in.KeyId, nil
	case *GenerateDataKeyInput:
		return in.KeyId, nil
	case *CreateGrantInput:
		return in.KeyId, nil
	case *RetireGrantInput:
		return in.KeyId, nil
	case *DecryptInput:
		return in.KeyId, nil
	}
	var in keyInput
	if err := decode(c, &in); err != nil {
		return "", err
	}
	return in.KeyId, nil
}

// keyResource is the key an operation's KeyId names, with its policy and
// grants as the key policy the request is authorized against.
func (k *KMS) keyResource(c *api.Call) (api.Resource, error) {
	id, err := keyIDOf(c)
	if err != nil {
		return api.Resource{}, err
	}
	kk, err := k.resolve(c, id)
	if err != nil {
		return api.Resource{}, err
	}
	return k.resourceOf(c.Context, kk)
}

// resourceOf is the authorization resource of kk.
func (k *KMS) resourceOf(ctx context.Context, kk *key) (api.Resource, error) {
	pol, err := k.keyPolicy(ctx, kk)
	if err != nil {
		return api.Resource{}, err
	}
	res := api.Resource{ARN: kk.ARN, Type: "AWS::KMS::Key", Account: kk.Account, Policy: pol, Mode: api.KeyPolicy}
	if len(kk.Tags) > 0 {
		res.Tags = make(map[string]string, len(kk.Tags))
		for _, t := range kk.Tags {
			res.Tags[t.TagKey] = t.TagValue
		}
	}
	return res, nil
}

// keyMetadata is DescribeKey's KeyMetadata.
type keyMetadata struct {
	AWSAccountId          string   `json:"AWSAccountId"`
	KeyId                 string   `json:"KeyId"`
	Arn                   string   `json:"Arn"`
	CreationDate          float64  `json:"CreationDate"`
	Enabled               bool     `json:"Enabled"`
	Description           string   `json:"Description"`
	KeyUsage              string   `json:"KeyUsage"`
	KeyState              string   `json:"KeyState"`
	DeletionDate          *float64 `json:"DeletionDate,omitempty"`
	Origin                string   `json:"Origin"`
	KeyManager            string   `json:"KeyManager"`
	CustomerMasterKeySpec string   `json:"CustomerMasterKeySpec"`
	KeySpec               string   `json:"KeySpec"`
	EncryptionAlgorithms  []string `json:"EncryptionAlgorithms"`
	MultiRegion           bool     `json:"MultiRegion"`
}

func (kk *key) metadata() keyMetadata {
	m := keyMetadata{
		AWSAccountId: kk.Account, KeyId: kk.ID, Arn: kk.ARN, CreationDate: epoch(kk.Created),
		Enabled: kk.State == stateEnabled, Description: kk.Description, KeyUsage: "ENCRYPT_DECRYPT",
		KeyState: kk.State, Origin: "AWS_KMS", KeyManager: kk.Manager,
		CustomerMasterKeySpec: "SYMMETRIC_DEFAULT", KeySpec: "SYMMETRIC_DEFAULT",
		EncryptionAlgorithms: []string{"SYMMETRIC_DEFAULT"},
	}
	if !kk.Deletion.IsZero() {
		d := epoch(kk.Deletion)
		m.DeletionDate = &d
	}
	return m
}

type createKeyInput struct {
	Policy                         string `json:"Policy"`
	Description                    string `json:"Description"`
	KeyUsage                       string `json:"KeyUsage"`
	CustomerMasterKeySpec          string `json:"CustomerMasterKeySpec"`
	KeySpec                        string `json:"KeySpec"`
	Origin                         string `json:"Origin"`
	CustomKeyStoreId               string `json:"CustomKeyStoreId"`
	BypassPolicyLockoutSafetyCheck bool   `json:"BypassPolicyLockoutSafetyCheck"`
	Tags                           []Tag  `json:"Tags"`
	MultiRegion                    bool   `json:"MultiRegion"`
	XksKeyId                       string `json:"XksKeyId"`
}

func (in *createKeyInput) spec() string {
	switch {
	case in.KeySpec != "":
		return in.KeySpec
	case in.CustomerMasterKeySpec != "":
		return in.CustomerMasterKeySpec
	}
	return "SYMMETRIC_DEFAULT"
}

func (in *createKeyInput) usage() string {
	if in.KeyUsage == "" {
		return "ENCRYPT_DECRYPT"
	}
	return in.KeyUsage
}

func (in *createKeyInput) origin() string {
	if in.Origin == "" {
		return "AWS_KMS"
	}
	return in.Origin
}

func (k *KMS) createKeyConditions(c *api.Call, _ api.Resource, keys api.Keys) {
	var in createKeyInput
	if decode(c, &in) != nil {
		return
	}
	keys.Set("kms:KeySpec", in.spec())
	keys.Set("kms:KeyUsage", in.usage())
	keys.Set("kms:KeyOrigin", in.origin())
	keys.Set("kms:MultiRegion", fmt.Sprint(in.MultiRegion))
	keys.Set("kms:BypassPolicyLockoutSafetyCheck", fmt.Sprint(in.BypassPolicyLockoutSafetyCheck))
	k.callerKeys(c, keys)
	requestTags(in.Tags, keys)
}

func (k *KMS) createKey(c *api.Call) (any, error) {
	var in createKeyInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	switch {
	case in.spec() != "SYMMETRIC_DEFAULT":
		return nil, unsupported("KeySpec %s is not supported by this endpoint: it keeps symmetric encryption keys only.", in.spec())
	case in.usage() != "ENCRYPT_DECRYPT":
		return nil, validation("KeyUsage %s is not compatible with KeySpec SYMMETRIC_DEFAULT", in.usage())
	case in.origin() != "AWS_KMS":
		return nil, unsupported("Origin %s is not supported by this endpoint: it generates key material itself.", in.origin())
	case in.CustomKeyStoreId != "" || in.XksKeyId != "":
		return nil, unsupported("Custom key stores are not supported by this endpoint.")
	case in.MultiRegion:
		return nil, unsupported("Multi-Region keys are not supported by this endpoint.")
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	pol := in.Policy
	if pol == "" {
		pol = defaultPolicy(c.Account)
	} else if err := checkPolicy(c, pol, in.BypassPolicyLockoutSafetyCheck); err != nil {
		return nil, err
	}
	kk := k.newKey(c.Account, c.Region, in.Description, pol, "CUSTOMER", in.Tags)
	_, err := k.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		return store.PutJSON(c.Context, tx, keysTable, c.Account+"/"+c.Region+"/"+kk.ID, kk)
	})
	if err != nil {
		return nil, fmt.Errorf("kms: create key: %w", err)
	}
	c.Trail.Resources = append(c.Trail.Resources, api.TrailResource{ARN: kk.ARN, AccountID: kk.Account, Type: "AWS::KMS::Key"})
	return map[string]any{"KeyMetadata": kk.metadata()}, nil
}

// checkPolicy validates a key policy as KMS does: a document the policy
// language refuses, and (unless bypassed) one that would not let the
// caller change the key policy again, are MalformedPolicyDocumentException.
func checkPolicy(c *api.Call, doc string, bypass bool) error {
	if len(doc) > 32768 {
		return validation("1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to 32768")
	}
	p, err := policy.Parse(doc, policy.Resource)
	if err != nil {
		var pe *policy.Error
		if errors.As(err, &pe) {
			return malformedPolicy(pe.Message)
		}
		return malformedPolicy("Policy contains a statement with one or more invalid principals.")
	}
	if bypass {
		return nil
	}
	// The caller must keep kms:PutKeyPolicy through the new policy alone
	// or through IAM where the policy delegates to the account.
	pp := policy.Principal{ARN: c.Principal.ARN, Account: c.Principal.Account, RoleARN: c.Principal.RoleARN}
	switch c.Principal.Type {
	case api.Root:
		pp.Type = policy.Root
	case api.IAMUser:
		pp.Type, pp.ID = policy.User, c.Principal.PrincipalID
	case api.AssumedRole:
		pp.Type, pp.ID = policy.AssumedRole, c.Principal.RoleID
	default:
		return nil
	}
	r := policy.Request{Principal: pp, Action: "kms:PutKeyPolicy", Resource: "*", ResourceAccount: c.Account, ResourcePolicy: p}
	if d := policy.EvaluateKey(policy.Compile(policy.SetInput{Identity: []policy.Named{{ID: "any", Policy: allowAll}}}), &r); !d.Allowed() {
		return malformedPolicy("The new key policy will not allow you to update the key policy in the future.")
	}
	return nil
}

// allowAll stands for the caller's identity-based policies in the lockout
// check: KMS only asks whether the key policy names the caller or
// delegates to its account.
var allowAll = func() *policy.Policy {
	p, err := policy.Parse(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, policy.Identity)
	if err != nil {
		panic(err)
	}
	return p
}()

func (k *KMS) describeKey(c *api.Call) (any, error) {
	var in keyInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	kk, err := k.resolve(c, in.KeyId)
	if err != nil {
		return nil, err
	}
	return map[string]any{"KeyMetadata": kk.metadata()}, nil
}

type listInput struct {
	Limit  int    `json:"Limit"`
	Marker string `json:"Marker"`
	KeyId  string `json:"KeyId"`
}

func (in *listInput) limit() int {
	if in.Limit <= 0 {
		return 100
	}
	return in.Limit
}

func (k *KMS) listKeys(c *api.Call) (any, error) {
	var in listInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	items, err := k.cfg.Store.List(c.Context, keysTable, scope(c), scope(c)+in.Marker, in.limit()+1)
	if err != nil {
		return nil, fmt.Errorf("kms: list keys: %w", err)
	}
	type entry struct {
		KeyId  string `json:"KeyId"`
		KeyArn string `json:"KeyArn"`
	}
	out := struct {
		Keys       []entry `json:"Keys"`
		NextMarker string  `json:"NextMarker,omitempty"`
		Truncated  bool    `json:"Truncated"`
	}{Keys: []entry{}}
	for i, it := range items {
		id := strings.TrimPrefix(it.Key, scope(c))
		if i == in.limit() {
			out.Truncated, out.NextMarker = true, out.Keys[i-1].KeyId
			break
		}
		out.Keys = append(out.Keys, entry{KeyId: id, KeyArn: keyARN(c.Region, c.Account, id)})
	}
	return out, nil
}

type keyPolicyInput struct {
	KeyId                          string `json:"KeyId"`
	PolicyName                     string `json:"PolicyName"`
	Policy                         string `json:"Policy"`
	BypassPolicyLockoutSafetyCheck bool   `json:"BypassPolicyLockoutSafetyCheck"`
}

func checkPolicyName(name string) error {
	if name != "" && name != "default" {
		return kmsError("NotFoundException", "No such policy exists")
	}
	return nil
}

func (k *KMS) getKeyPolicy(c *api.Call) (any, error) {
	var in keyPolicyInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if err := checkPolicyName(in.PolicyName); err != nil {
		return nil, err
	}
	kk, err := k.resolve(c, in.KeyId)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Policy": kk.Policy, "PolicyName": "default"}, nil
}

func (k *KMS) putKeyPolicy(c *api.Call) (any, error) {
	var in keyPolicyInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if err := checkPolicyName(in.PolicyName); err != nil {
		return nil, err
	}
	if err := checkPolicy(c, in.Policy, in.BypassPolicyLockoutSafetyCheck); err != nil {
		return nil, err
	}
	kk, err := k.resolve(c, in.KeyId)
	if err != nil {
		return nil, err
	}
	if _, err := k.updateKey(c.Context, kk, func(cur *key) error {
		if cur.State == statePendingDeletion {
			return pendingDeletion(cur.ARN)
		}
		cur.Policy = in.Policy
		return nil
	}); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (k *KMS) listKeyPolicies(c *api.Call) (any, error) {
	var in keyInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	if _, err := k.resolve(c, in.KeyId); err != nil {
		return nil, err
	}
	return map[string]any{"PolicyNames": []string{"default"}, "Truncated": false}, nil
}

// setState changes a key's state as EnableKey and DisableKey do.
func (k *KMS) setState(c *api.Call, state string) (any, error) {
	var in keyInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	kk, err := k.resolve(c, in.KeyId)
	if err != nil {
		return nil, err
	}
	if _, err := k.updateKey(c.Context, kk, func(cur *key) error {
		if cur.State == statePendingDeletion {
			return pendingDeletion(cur.ARN)
		}
		if cur.Manager == "AWS" {
			return kmsError("UnsupportedOperationException", "%s is an AWS managed key.", cur.ARN)
		}
		cur.State = state
		return nil
	}); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (k *KMS) enableKey(c *api.Call) (any, error)  { return k.setState(c, stateEnabled) }
func (k *KMS) disableKey(c *api.Call) (any, error) { return k.setState(c, stateDisabled) }

// scheduleInput is ScheduleKeyDeletion's input.
type scheduleInput struct {
	KeyId               string `json:"KeyId"`
	PendingWindowInDays *int   `json:"PendingWindowInDays"`
}

// days is the waiting period the request asks for: 30 days when it names
// none.
func (in *scheduleInput) days() int {
	if in.PendingWindowInDays == nil {
		return 30
	}
	return *in.PendingWindowInDays
}

// scheduleConditions are ScheduleKeyDeletion's keys: the key's, and
// kms:ScheduleKeyDeletionPendingWindowInDays, the waiting period asked for
// (30 when the request names none).
func (k *KMS) scheduleConditions(c *api.Call, res api.Resource, keys api.Keys) {
	k.keyConditions(c, res, keys)
	var in scheduleInput
	if decode(c, &in) != nil {
		return
	}
	keys.Set("kms:ScheduleKeyDeletionPendingWindowInDays", strconv.Itoa(in.days()))
}

func (k *KMS) scheduleKeyDeletion(c *api.Call) (any, error) {
	var in scheduleInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	days := in.days()
	if days < 7 || days > 30 {
		return nil, validation("PendingWindowInDays must be between 7 and 30")
	}
	kk, err := k.resolve(c, in.KeyId)
	if err != nil {
		return nil, err
	}
	when := k.cfg.Now().UTC().Add(time.Duration(days) * 24 * time.Hour)
	kk, err = k.updateKey(c.Context, kk, func(cur *key) error {
		if cur.Manager == "AWS" {
			return kmsError("UnsupportedOperationException", "%s is an AWS managed key.", cur.ARN)
		}
		if cur.State == statePendingDeletion {
			return pendingDeletion(cur.ARN)
		}
		cur.State, cur.Deletion = statePendingDeletion, when
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"KeyId": kk.ARN, "DeletionDate": epoch(kk.Deletion), "KeyState": kk.State, "PendingWindowInDays": days}, nil
}

func (k *KMS) cancelKeyDeletion(c *api.Call) (any, error) {
	var in keyInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	kk, err := k.resolve(c, in.KeyId)
	if err != nil {
		return nil, err
	}
	kk, err = k.updateKey(c.Context, kk, func(cur *key) error {
		if cur.State != statePendingDeletion {
			return invalidState("%s is not pending deletion.", cur.ARN)
		}
		// A key whose deletion is cancelled is disabled, as in KMS.
		cur.State, cur.Deletion = stateDisabled, time.Time{}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"KeyId": kk.ARN}, nil
}
