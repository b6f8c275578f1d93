package lambda

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
)

// refusedMembers are the request members of each operation that rolecall
// cannot honour, with Lambda's InvalidParameterValueException message for
// them: a request that sets one is refused rather than accepted and then
// ignored. A member set to null, an empty string, an empty list or an
// empty object is not set (as in Lambda, where these leave the setting
// unchanged or clear it). Members not listed here are honoured by the
// operation's handler.
var refusedMembers = map[string][]refusal{
	"CreateFunction": {
		{"Layers", "Layers are not supported by this endpoint."},
		{"FileSystemConfigs", "FileSystemConfigs are not supported by this endpoint: it has no Amazon EFS."},
		{"ImageConfig", "ImageConfig is not supported by this endpoint: it runs .zip file archives only."},
		{"CodeSigningConfigArn", "CodeSigningConfigArn is not supported by this endpoint: it has no code signing configurations."},
		{"DeadLetterConfig.TargetArn", "DeadLetterConfig is not supported by this endpoint: it has no Amazon SQS queue or Amazon SNS topic to deliver to."},
		{"PublishTo", "PublishTo is not supported by this endpoint."},
		{"TenancyConfig", "TenancyConfig is not supported by this endpoint."},
		{"CapacityProviderConfig", "CapacityProviderConfig is not supported by this endpoint."},
		{"DurableConfig", "DurableConfig is not supported by this endpoint."},
		{"Code.S3Bucket", "Only Code.ZipFile is supported by this endpoint."},
		{"Code.S3Key", "Only Code.ZipFile is supported by this endpoint."},
		{"Code.S3ObjectVersion", "Only Code.ZipFile is supported by this endpoint."},
		{"Code.ImageUri", "Only Code.ZipFile is supported by this endpoint."},
		{"Code.SourceKMSKeyArn", "Code.SourceKMSKeyArn is not supported by this endpoint: it has no AWS KMS keys."},
	},
	"UpdateFunctionConfiguration": {
		{"Layers", "Layers are not supported by this endpoint."},
		{"FileSystemConfigs", "FileSystemConfigs are not supported by this endpoint: it has no Amazon EFS."},
		{"ImageConfig", "ImageConfig is not supported by this endpoint: it runs .zip file archives only."},
		{"DeadLetterConfig.TargetArn", "DeadLetterConfig is not supported by this endpoint: it has no Amazon SQS queue or Amazon SNS topic to deliver to."},
		{"CapacityProviderConfig", "CapacityProviderConfig is not supported by this endpoint."},
		{"DurableConfig", "DurableConfig is not supported by this endpoint."},
	},
	"UpdateFunctionCode": {
		{"S3Bucket", "Only ZipFile is supported by this endpoint."},
		{"S3Key", "Only ZipFile is supported by this endpoint."},
		{"S3ObjectVersion", "Only ZipFile is supported by this endpoint."},
		{"S3ObjectStorageMode", "Only ZipFile is supported by this endpoint."},
		{"ImageUri", "Only ZipFile is supported by this endpoint."},
		{"SourceKMSKeyArn", "SourceKMSKeyArn is not supported by this endpoint: it has no AWS KMS keys."},
		{"PublishTo", "PublishTo is not supported by this endpoint."},
	},
	"PublishVersion": {
		{"PublishTo", "PublishTo is not supported by this endpoint."},
	},
}

// refusal is a member path (Parent.Member for a nested member) and the message
// that refuses it.
type refusal struct{ member, message string }

// refuseUnsupported refuses a request of op that sets a member of
// refusedMembers. The body is read once, and each nested object once (a
// deployment package is tens of megabytes).
func refuseUnsupported(c *api.Call, op string) error {
	body, err := c.Payload()
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil // decodeBody reports it
	}
	nested := map[string]map[string]json.RawMessage{}
	for _, r := range refusedMembers[op] {
		m := top
		parent, member, ok := strings.Cut(r.member, ".")
		if ok {
			inner, seen := nested[parent]
			if !seen {
				if raw, ok := top[parent]; ok && json.Unmarshal(raw, &inner) != nil {
					inner = nil
				}
				nested[parent] = inner
			}
			m = inner
		} else {
			member = parent
		}
		if isSet(m[member]) {
			return errInvalidParam("%s", r.message)
		}
	}
	return nil
}

// isSet reports whether a member's value is there and not null, "", []
// or {}.
func isSet(raw json.RawMessage) bool {
	if raw == nil {
		return false
	}
	v := strings.Join(strings.Fields(string(raw)), "")
	return !slices.Contains([]string{"null", `""`, "[]", "{}"}, v)
}

// settingsInput are the members CreateFunction and
// UpdateFunctionConfiguration share beyond the basic ones; each is
// honoured (applyTo) or refused (check).
type settingsInput struct {
	EphemeralStorage *struct {
		Size int `json:"Size"`
	} `json:"EphemeralStorage"`
	SnapStart *struct {
		ApplyOn string `json:"ApplyOn"`
	} `json:"SnapStart"`
	LoggingConfig *loggingInput `json:"LoggingConfig"`
}

// check refuses what rolecall cannot honour: SnapStart snapshots.
func (in *settingsInput) check() error {
	if in.SnapStart != nil && in.SnapStart.ApplyOn == "PublishedVersions" {
		return errInvalidParam("SnapStart is not supported by this endpoint: every execution environment runs its function's init phase.")
	}
	return nil
}

// applyTo sets the members given on cfg.
func (in *settingsInput) applyTo(cfg *config) error {
	if in.EphemeralStorage != nil {
		cfg.EphemeralMB = in.EphemeralStorage.Size
		if cfg.EphemeralMB == 512 {
			cfg.EphemeralMB = 0
		}
	}
	lg, err := in.LoggingConfig.apply(cfg.Logging)
	if err != nil {
		return err
	}
	cfg.Logging = lg
	return nil
}

// architecture is the stored form of Architectures (one member, checked by
// the model): "" for x86_64, the default.
func architecture(list []string) string {
	if len(list) == 0 || list[0] == "x86_64" {
		return ""
	}
	return list[0]
}
