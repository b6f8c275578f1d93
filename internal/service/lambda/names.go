package lambda

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
)

// Patterns of the model, quoted in ValidationException messages.
const (
	patternFunctionName           = `(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?`
	patternNamespacedFunctionName = `(arn:(aws[a-zA-Z-]*)?:lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:|(((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?))(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?`
	patternRoleARN                = `arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+`
	patternQualifier              = `\$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+`
	patternAlias                  = `(?!^[0-9]+$)([a-zA-Z0-9-_]+)`
)

var (
	reName           = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
	reNamespaced     = regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`)
	reQualifier      = regexp.MustCompile(`^(\$LATEST|[a-zA-Z0-9_-]+)$`)
	reQualifierParam = regexp.MustCompile(`^(\$LATEST|[a-zA-Z0-9_$-]+)$`)
	reRegion         = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$`)
	reAccount        = regexp.MustCompile(`^\d{12}$`)
	reRoleARN        = regexp.MustCompile(`^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$`)
	reAlias          = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
	reNumeric        = regexp.MustCompile(`^[0-9]+$`)
)

// fnRef names a function, possibly qualified, in an account and region.
type fnRef struct {
	Account, Region, Name, Qualifier string
}

// arn is the function's unqualified ARN.
func (r fnRef) arn() string { return functionARN(r.Region, r.Account, r.Name) }

// qualifiedARN is the ARN with the qualifier, if any.
func (r fnRef) qualifiedARN() string {
	if r.Qualifier == "" {
		return r.arn()
	}
	return r.arn() + ":" + r.Qualifier
}

// key is the store key of the function.
func (r fnRef) key() string { return r.Account + "/" + r.Name }

func functionARN(region, account, name string) string {
	return "arn:aws:lambda:" + region + ":" + account + ":function:" + name
}

// parseFunctionName parses a function name in any of the forms Lambda
// accepts (name, name:qualifier, account:function:name[:qualifier], or the
// full ARN). namespaced selects the NamespacedFunctionName shape.
func parseFunctionName(s, account, region string, namespaced bool) (fnRef, error) {
	invalid := func() (fnRef, error) {
		p := patternFunctionName
		if namespaced {
			p = patternNamespacedFunctionName
		}
		return fnRef{}, errValidationPattern(s, "functionName", p)
	}
	max := 140
	if namespaced {
		max = 256
	}
	if s == "" || len(s) > max {
		return invalid()
	}
	ref := fnRef{Account: account, Region: region}
	parts := strings.Split(s, ":")
	switch {
	case len(parts) >= 7 && parts[0] == "arn":
		// arn:aws:lambda:region:account:function:name[:qualifier]
		if len(parts) > 8 || !strings.HasPrefix(parts[1], "aws") || parts[2] != "lambda" ||
			!reRegion.MatchString(parts[3]) || !reAccount.MatchString(parts[4]) || parts[5] != "function" {
			return invalid()
		}
		ref.Region, ref.Account, ref.Name = parts[3], parts[4], parts[6]
		if len(parts) == 8 {
			ref.Qualifier = parts[7]
		}
	case len(parts) >= 3 && parts[1] == "function" && reAccount.MatchString(parts[0]):
		if len(parts) > 4 {
			return invalid()
		}
		ref.Account, ref.Name = parts[0], parts[2]
		if len(parts) == 4 {
			ref.Qualifier = parts[3]
		}
	case len(parts) <= 2:
		ref.Name = parts[0]
		if len(parts) == 2 {
			ref.Qualifier = parts[1]
		}
	default:
		return invalid()
	}
	re := reName
	if namespaced {
		re = reNamespaced
	}
	if !re.MatchString(ref.Name) {
		return invalid()
	}
	hasQualifier := len(parts) == 2 || len(parts) == 4 || len(parts) == 8
	if hasQualifier && !reQualifier.MatchString(ref.Qualifier) {
		return invalid()
	}
	if len(ref.Name) > 64 {
		return fnRef{}, errValidation("1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64", s)
	}
	return ref, nil
}

// withQualifier merges the Qualifier parameter into ref: they must agree
// when both are given.
func withQualifier(ref fnRef, q string) (fnRef, error) {
	if q == "" {
		return ref, nil
	}
	if !reQualifierParam.MatchString(q) || len(q) > 128 {
		return ref, errValidationPattern(q, "qualifier", patternQualifier)
	}
	if ref.Qualifier != "" && ref.Qualifier != q {
		return ref, errInvalidParam("The derived qualifier from the function name does not match the specified qualifier.")
	}
	ref.Qualifier = q
	return ref, nil
}

// Errors as Lambda renders them.

func errValidation(format string, args ...any) *api.Error {
	return api.Errorf(http.StatusBadRequest, "ValidationException", format, args...)
}

func errValidationPattern(value, member, pattern string) *api.Error {
	return errValidation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", value, member, pattern)
}

func errInvalidParam(format string, args ...any) *api.Error {
	return api.Errorf(http.StatusBadRequest, "InvalidParameterValueException", format, args...)
}

func errNotFound(format string, args ...any) *api.Error {
	msg := fmt.Sprintf(format, args...)
	return &api.Error{Code: "ResourceNotFoundException", Status: http.StatusNotFound, Message: msg,
		Fields: map[string]any{"Message": msg}}
}

func errFunctionNotFound(arn string) *api.Error {
	return errNotFound("Function not found: %s", arn)
}

func errConflict(format string, args ...any) *api.Error {
	return api.Errorf(http.StatusConflict, "ResourceConflictException", format, args...)
}

func errPrecondition() *api.Error {
	return api.Errorf(http.StatusPreconditionFailed, "PreconditionFailedException",
		"The RevisionId provided does not match the latest RevisionId for the Lambda function or alias. Call the GetFunction or the GetAlias API to retrieve the latest RevisionId for your resource.")
}

func errRequestContent(format string, args ...any) *api.Error {
	return api.Errorf(http.StatusBadRequest, "InvalidRequestContentException", format, args...)
}

// errInternal is Lambda's answer to a failure of the host: the model's
// ServiceException, "The Lambda service encountered an internal error."
func errInternal() *api.Error { return errService("The Lambda service encountered an internal error.") }

func errService(format string, args ...any) *api.Error {
	e := api.Errorf(http.StatusInternalServerError, "ServiceException", format, args...)
	e.Receiver = true
	return e
}

// errState is Lambda's answer to an invocation or an update of a function
// in a state that does not allow it (Pending).
func errState(state string) *api.Error {
	return errConflict("The operation cannot be performed at this time. The function is currently in the following state: %s", state)
}

func errUpdateInProgress(arn string) *api.Error {
	return errConflict("The operation cannot be performed at this time. An update is in progress for resource: %s", arn)
}

// cutKey splits a store key account/name[/rest].
func cutKey(k string) (account, name, rest string) {
	account, r, _ := strings.Cut(k, "/")
	name, rest, _ = strings.Cut(r, "/")
	return account, name, rest
}

// isNotFound reports whether err is Lambda's ResourceNotFoundException.
func isNotFound(err error) bool {
	var e *api.Error
	return errors.As(err, &e) && e.Code == "ResourceNotFoundException"
}
