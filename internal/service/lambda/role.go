package lambda

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service/sts"
)

// servicePrincipal is Lambda's own service principal.
const servicePrincipal = "lambda.amazonaws.com"

// errRoleCannotBeAssumed is Lambda's answer when the role is missing or does
// not trust lambda.amazonaws.com.
func errRoleCannotBeAssumed() *api.Error {
	return errInvalidParam("The role defined for the function cannot be assumed by Lambda.")
}

// checkRole applies Lambda's rules for an execution role given at
// CreateFunction or UpdateFunctionConfiguration: the ARN's form, the
// account, iam:PassRole for the caller, and that Lambda can assume it.
func (l *Lambda) checkRole(c *api.Call, role, fnARN, fnName string) error {
	if !reRoleARN.MatchString(role) || len(role) > 10000 {
		return errValidationPattern(role, "role", patternRoleARN)
	}
	if acct := strings.Split(role, ":")[4]; acct != c.Account {
		return &api.Error{Code: "AccessDeniedException", Status: http.StatusForbidden,
			Message: "Cross-account pass role is not allowed."}
	}
	if c.Authorize != nil {
		err := c.Authorize("iam:PassRole", api.Resource{ARN: role, Type: "AWS::IAM::Role"}, map[string][]string{
			"iam:PassedToService":       {servicePrincipal},
			"iam:AssociatedResourceArn": {fnARN},
		})
		if err != nil {
			return accessDeniedException(err)
		}
	}
	if _, err := l.assumeRole(c.Context, c.Account, role, fnName, nil); err != nil {
		var se *api.Error
		if errors.As(err, &se) {
			return errRoleCannotBeAssumed()
		}
		return fmt.Errorf("lambda: checking role %s: %w", role, err)
	}
	return nil
}

// accessDeniedException renders an authorization failure in Lambda's
// spelling, keeping AWS's message.
func accessDeniedException(err error) error {
	var se *api.Error
	if errors.As(err, &se) {
		return &api.Error{Code: "AccessDeniedException", Status: http.StatusForbidden, Message: se.Message}
	}
	return err
}

// session is an execution-role session issued to Lambda.
type session struct {
	AccessKeyID, SecretAccessKey, SessionToken string
	Expiration                                 time.Time
	AssumedRoleID                              string // ROLEID:SESSION
	ARN                                        string // arn:aws:sts::ACCT:assumed-role/ROLE/SESSION
}

// lambdaPrincipal is the principal Lambda acts as when it assumes roles.
func lambdaPrincipal(account string) *api.Principal {
	return &api.Principal{
		Type:        api.AWSService,
		ARN:         servicePrincipal,
		PrincipalID: servicePrincipal,
		Account:     account,
		InvokedBy:   servicePrincipal,
	}
}

// assumeRole assumes role as lambda.amazonaws.com through the gateway, with
// the function name as the session name. A denial or a missing role is a
// *api.Error.
func (l *Lambda) assumeRole(ctx context.Context, account, role, fnName string, binding *api.EnvironmentBinding) (*session, error) {
	out, err := api.Invoke[*sts.AssumeRoleResult](ctx, l.cfg.Invoker, api.Internal{
		Principal:   lambdaPrincipal(account),
		Service:     "sts",
		Operation:   "AssumeRole",
		Params:      url.Values{"RoleArn": {role}, "RoleSessionName": {fnName}},
		Region:      l.cfg.Region,
		Environment: binding,
	})
	if err != nil {
		return nil, err
	}
	if out == nil || out.Credentials == nil {
		return nil, errors.New("lambda: AssumeRole returned no credentials")
	}
	r := out
	return &session{
		AccessKeyID:     r.Credentials.AccessKeyID,
		SecretAccessKey: r.Credentials.SecretAccessKey,
		SessionToken:    r.Credentials.SessionToken,
		Expiration:      r.Credentials.Expiration,
		AssumedRoleID:   r.AssumedRoleUser.AssumedRoleID,
		ARN:             r.AssumedRoleUser.ARN,
	}, nil
}

// principal is the role session as a principal, for the calls Lambda makes
// with it on the function's behalf (its logs).
func (s *session) principal(account, role, fnName, envID string, issued time.Time) *api.Principal {
	roleID, _, _ := strings.Cut(s.AssumedRoleID, ":")
	roleName := role[strings.LastIndexByte(role, '/')+1:]
	return &api.Principal{
		Type:          api.AssumedRole,
		Account:       account,
		ARN:           s.ARN,
		PrincipalID:   s.AssumedRoleID,
		AccessKeyID:   s.AccessKeyID,
		RoleARN:       role,
		RoleName:      roleName,
		RoleID:        roleID,
		SessionName:   fnName,
		InvokedBy:     servicePrincipal,
		SessionIssued: issued,
		EnvironmentID: envID,
	}
}
