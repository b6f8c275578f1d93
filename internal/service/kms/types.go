// Package kms is AWS Key Management Service (awsJson1_1).
package kms

// The inputs and outputs of the operations other services call on a
// caller's behalf through an api.Invoker (Lambda for functions' environment
// variables, S3 for SSE-KMS): an in-process call passes a pointer to one of
// the input types as api.Internal.Input and receives the output type's
// pointer. Their fields are KMS's wire members (blobs are base64 in JSON).

// EncryptInput is Encrypt's input.
type EncryptInput struct {
	KeyId               string            `json:"KeyId"`
	Plaintext           []byte            `json:"Plaintext"`
	EncryptionContext   map[string]string `json:"EncryptionContext,omitempty"`
	GrantTokens         []string          `json:"GrantTokens,omitempty"`
	EncryptionAlgorithm string            `json:"EncryptionAlgorithm,omitempty"`
}

// EncryptOutput is Encrypt's output.
type EncryptOutput struct {
	CiphertextBlob      []byte `json:"CiphertextBlob"`
	KeyId               string `json:"KeyId"`
	EncryptionAlgorithm string `json:"EncryptionAlgorithm"`
}

// DecryptInput is Decrypt's input.
type DecryptInput struct {
	CiphertextBlob      []byte            `json:"CiphertextBlob"`
	EncryptionContext   map[string]string `json:"EncryptionContext,omitempty"`
	GrantTokens         []string          `json:"GrantTokens,omitempty"`
	KeyId               string            `json:"KeyId,omitempty"`
	EncryptionAlgorithm string            `json:"EncryptionAlgorithm,omitempty"`
}

// DecryptOutput is Decrypt's output.
type DecryptOutput struct {
	KeyId               string `json:"KeyId"`
	Plaintext           []byte `json:"Plaintext"`
	EncryptionAlgorithm string `json:"EncryptionAlgorithm"`
}

// GenerateDataKeyInput is GenerateDataKey's input.
type GenerateDataKeyInput struct {
	KeyId             string            `json:"KeyId"`
	EncryptionContext map[string]string `json:"EncryptionContext,omitempty"`
	NumberOfBytes     *int32            `json:"NumberOfBytes,omitempty"`
	KeySpec           string            `json:"KeySpec,omitempty"`
	GrantTokens       []string          `json:"GrantTokens,omitempty"`
}

// GenerateDataKeyOutput is GenerateDataKey's output.
type GenerateDataKeyOutput struct {
	CiphertextBlob []byte `json:"CiphertextBlob"`
	Plaintext      []byte `json:"Plaintext"`
	KeyId          string `json:"KeyId"`
}

// GrantConstraints is CreateGrant's Constraints member.
type GrantConstraints struct {
	EncryptionContextSubset map[string]string `json:"EncryptionContextSubset,omitempty"`
	EncryptionContextEquals map[string]string `json:"EncryptionContextEquals,omitempty"`
}

// CreateGrantInput is CreateGrant's input.
type CreateGrantInput struct {
	KeyId             string            `json:"KeyId"`
	GranteePrincipal  string            `json:"GranteePrincipal"`
	RetiringPrincipal string            `json:"RetiringPrincipal,omitempty"`
	Operations        []string          `json:"Operations"`
	Constraints       *GrantConstraints `json:"Constraints,omitempty"`
	GrantTokens       []string          `json:"GrantTokens,omitempty"`
	Name              string            `json:"Name,omitempty"`
}

// CreateGrantOutput is CreateGrant's output.
type CreateGrantOutput struct {
	GrantToken string `json:"GrantToken"`
	GrantId    string `json:"GrantId"`
}

// RetireGrantInput is RetireGrant's input.
type RetireGrantInput struct {
	GrantToken string `json:"GrantToken,omitempty"`
	KeyId      string `json:"KeyId,omitempty"`
	GrantId    string `json:"GrantId,omitempty"`
}
