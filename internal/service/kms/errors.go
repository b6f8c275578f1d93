package kms

import "github.com/rolecall/rolecall/internal/api"

// KMS's errors, as KMS words them. Every KMS client error is HTTP 400.

func kmsError(code, format string, args ...any) *api.Error {
	return api.Errorf(400, code, format, args...)
}

func serializationError() *api.Error {
	return kmsError("SerializationException", "Start of structure or map found where not expected.")
}

func validation(format string, args ...any) *api.Error {
	return kmsError("ValidationException", format, args...)
}

func keyNotFound(arn string) *api.Error {
	return kmsError("NotFoundException", "Key '%s' does not exist", arn)
}

func aliasNotFound(arn string) *api.Error {
	return kmsError("NotFoundException", "Alias %s is not found.", arn)
}

func invalidKeyID(id string) *api.Error {
	return kmsError("NotFoundException", "Invalid keyId '%s'", id)
}

func disabled(arn string) *api.Error {
	return kmsError("DisabledException", "%s is disabled.", arn)
}

func pendingDeletion(arn string) *api.Error {
	return kmsError("KMSInvalidStateException", "%s is pending deletion.", arn)
}

func invalidState(format string, args ...any) *api.Error {
	return kmsError("KMSInvalidStateException", format, args...)
}

func invalidCiphertext() *api.Error {
	return &api.Error{Code: "InvalidCiphertextException", Status: 400}
}

func incorrectKey() *api.Error {
	return kmsError("IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation.")
}

func malformedPolicy(msg string) *api.Error {
	return kmsError("MalformedPolicyDocumentException", "%s", msg)
}

func unsupported(format string, args ...any) *api.Error {
	return kmsError("UnsupportedOperationException", format, args...)
}

func invalidARN(format string, args ...any) *api.Error {
	return kmsError("InvalidArnException", format, args...)
}

func invalidGrantToken() *api.Error {
	return kmsError("InvalidGrantTokenException", "Grant token is invalid.")
}

func invalidGrantID() *api.Error {
	return kmsError("InvalidGrantIdException", "Grant ID is invalid.")
}

func tagError(format string, args ...any) *api.Error {
	return kmsError("TagException", format, args...)
}
