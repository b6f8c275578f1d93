package kms

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
)

// callerKeys sets the keys every KMS request carries: kms:CallerAccount,
// and kms:ViaService when a service calls on the principal's behalf
// ("lambda.us-east-1.amazonaws.com").
func (k *KMS) callerKeys(c *api.Call, keys api.Keys) {
	if acct := c.Principal.Account; acct != "" {
		keys.Set("kms:CallerAccount", acct)
	}
	if by := c.Principal.InvokedBy; by != "" {
		svc := strings.TrimSuffix(by, ".amazonaws.com")
		keys.Set("kms:ViaService", svc+"."+c.Region+".amazonaws.com")
	}
}

// keyConditions are the keys of operations on a key.
func (k *KMS) keyConditions(c *api.Call, res api.Resource, keys api.Keys) {
	k.callerKeys(c, keys)
	keys.Set("kms:KeySpec", "SYMMETRIC_DEFAULT")
	keys.Set("kms:KeyUsage", "ENCRYPT_DECRYPT")
	keys.Set("kms:KeyOrigin", "AWS_KMS")
	if kk, err := k.resolve(c, res.ARN); err == nil {
		keys.Set("kms:KeyManager", kk.Manager)
		if len(kk.Aliases) > 0 {
			keys.Set("kms:ResourceAliases", kk.Aliases...)
		}
	}
}

// contextKeys sets kms:EncryptionContext:<key> for each pair of ec and
// kms:EncryptionContextKeys. Condition key names are case-insensitive
// while encryption context keys are not: pairs whose keys differ only in
// case ("Dept" and "dept") give one condition key holding all their
// values, which no single-valued operator matches, so that neither value
// can stand for the other.
func contextKeys(ec map[string]string, keys api.Keys) {
	if len(ec) == 0 {
		return
	}
	names := slices.Sorted(maps.Keys(ec))
	folded := map[string][]string{}
	for _, n := range names {
		l := strings.ToLower(n)
		folded[l] = append(folded[l], ec[n])
	}
	for _, n := range names {
		keys.Set("kms:EncryptionContext:"+n, folded[strings.ToLower(n)]...)
	}
	keys.Set("kms:EncryptionContextKeys", names...)
}

// cryptoConditions are the keys of cryptographic operations: the key's,
// the request's encryption context and algorithm, and kms:RequestAlias
// when the key is named through an alias.
func (k *KMS) cryptoConditions(c *api.Call, res api.Resource, keys api.Keys) {
	k.keyConditions(c, res, keys)
	keys.Set("kms:EncryptionAlgorithm", "SYMMETRIC_DEFAULT")
	var ec map[string]string
	var keyID string
	switch c.OperationName {
	case "Decrypt", "ReEncrypt":
		_, ec, keyID, _ = decryptSource(c)
	case "Encrypt":
		var in EncryptInput
		if decode(c, &in) != nil {
			return
		}
		ec, keyID = in.EncryptionContext, in.KeyId
	default:
		var in GenerateDataKeyInput
		if decode(c, &in) != nil {
			return
		}
		ec, keyID = in.EncryptionContext, in.KeyId
	}
	contextKeys(ec, keys)
	if name := requestAlias(keyID); name != "" {
		keys.Set("kms:RequestAlias", name)
	}
	if c.OperationName == "ReEncrypt" {
		var in reEncryptInput
		if decode(c, &in) != nil {
			return
		}
		if dst, err := k.resolve(c, in.DestinationKeyId); err == nil {
			keys.Set("kms:ReEncryptOnSameKey", fmt.Sprint(dst.ARN == res.ARN))
		}
	}
}

// destinationConditions are ReEncrypt's keys for its destination key.
func (k *KMS) destinationConditions(c *api.Call, res api.Resource, keys api.Keys) {
	k.keyConditions(c, res, keys)
	keys.Set("kms:EncryptionAlgorithm", "SYMMETRIC_DEFAULT")
	var in reEncryptInput
	if decode(c, &in) != nil {
		return
	}
	contextKeys(in.DestinationEncryptionContext, keys)
	if src, err := blobKey(in.CiphertextBlob); err == nil {
		keys.Set("kms:ReEncryptOnSameKey", fmt.Sprint(src == res.ARN))
	}
	if name := requestAlias(in.DestinationKeyId); name != "" {
		keys.Set("kms:RequestAlias", name)
	}
}

// requestAlias returns the alias name a KeyId gives ("alias/name"), or "".
func requestAlias(keyID string) string {
	if i := strings.Index(keyID, "alias/"); i >= 0 && (i == 0 || strings.HasPrefix(keyID, "arn:")) {
		return keyID[i:]
	}
	return ""
}

// describeConditions are DescribeKey's keys: the key's, and
// kms:RequestAlias when the key is named through an alias.
func (k *KMS) describeConditions(c *api.Call, res api.Resource, keys api.Keys) {
	k.keyConditions(c, res, keys)
	if id, err := keyIDOf(c); err == nil {
		if name := requestAlias(id); name != "" {
			keys.Set("kms:RequestAlias", name)
		}
	}
}

// putPolicyConditions are PutKeyPolicy's keys: the key's, and
// kms:BypassPolicyLockoutSafetyCheck.
func (k *KMS) putPolicyConditions(c *api.Call, res api.Resource, keys api.Keys) {
	k.keyConditions(c, res, keys)
	var in keyPolicyInput
	if decode(c, &in) != nil {
		return
	}
	keys.Set("kms:BypassPolicyLockoutSafetyCheck", fmt.Sprint(in.BypassPolicyLockoutSafetyCheck))
}

// grantsConditions are the keys of ListGrants and RevokeGrant: the key's,
// and kms:GrantIsForAWSResource, whether a service calls on the
// principal's behalf.
func (k *KMS) grantsConditions(c *api.Call, res api.Resource, keys api.Keys) {
	k.keyConditions(c, res, keys)
	keys.Set("kms:GrantIsForAWSResource", fmt.Sprint(c.Principal.InvokedBy != ""))
}
