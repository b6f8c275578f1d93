package organizations

import (
	"net/http"

	"github.com/rolecall/rolecall/internal/api"
)

// Organizations' errors, as the service words them.

func notInUse() *api.Error {
	return api.Errorf(http.StatusBadRequest, "AWSOrganizationsNotInUseException", "Your account is not a member of an organization.")
}

func managementOnly() *api.Error {
	return api.Errorf(http.StatusBadRequest, "AccessDeniedException", "You don't have permissions to access this resource.")
}

func withReason(e *api.Error, reason string) *api.Error {
	e.Fields = map[string]any{"Reason": reason}
	return e
}

func constraint(reason, format string, args ...any) *api.Error {
	return withReason(api.Errorf(http.StatusBadRequest, "ConstraintViolationException", format, args...), reason)
}

func invalidInput(reason, format string, args ...any) *api.Error {
	return withReason(api.Errorf(http.StatusBadRequest, "InvalidInputException", format, args...), reason)
}

func notFound(code, message string) *api.Error {
	return api.Errorf(http.StatusBadRequest, code, "%s", message)
}

func accountNotFound() *api.Error {
	return notFound("AccountNotFoundException", "You specified an account that doesn't exist.")
}

func ouNotFound() *api.Error {
	return notFound("OrganizationalUnitNotFoundException", "You specified an organizational unit that doesn't exist.")
}

func parentNotFound() *api.Error {
	return notFound("ParentNotFoundException", "You specified parent that doesn't exist.")
}

func policyNotFound() *api.Error {
	return notFound("PolicyNotFoundException", "You specified a policy that doesn't exist.")
}

func targetNotFound() *api.Error {
	return notFound("TargetNotFoundException", "You specified a target that doesn't exist.")
}

func rootNotFound() *api.Error {
	return notFound("RootNotFoundException", "You specified a root that doesn't exist.")
}

func policyTypeNotEnabled() *api.Error {
	return api.Errorf(http.StatusBadRequest, "PolicyTypeNotEnabledException", "This operation can be performed only for enabled policy types.")
}

func malformed() *api.Error {
	return api.Errorf(http.StatusBadRequest, "MalformedPolicyDocumentException", "The provided policy document does not meet the requirements of the specified policy type.")
}

func invalidToken() *api.Error {
	return invalidInput("INVALID_NEXT_TOKEN", "You specified an invalid value for nextToken.")
}
