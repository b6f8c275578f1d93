package accessanalyzer

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service/cloudtrail"
	"github.com/rolecall/rolecall/internal/service/sts"
)

// servicePrincipal is Access Analyzer's service principal: the access role
// of a policy generation must trust it.
const servicePrincipal = "access-analyzer.amazonaws.com"

// checkAccess checks what Access Analyzer checks before it reads a trail:
// every trail named is one it can find (rolecall's trail, see
// cloudtrail.TrailName), the access role can be assumed by
// access-analyzer.amazonaws.com, and its session may read the trail
// (cloudtrail:GetTrail, the permission AWS documents for the policy
// generation service role; the S3 and KMS permissions it also lists are
// those of a trail's log bucket, which rolecall's trail does not have).
// Failures are the job's RESOURCE_NOT_FOUND_ERROR or AUTHORIZATION_ERROR.
func (a *Analyzer) checkAccess(ctx context.Context, j *job) (code, msg string, err error) {
	want := cloudtrail.TrailARN(a.cfg.Region, j.Account)
	for _, t := range j.Trails {
		if t.CloudTrailARN != want {
			return errResourceNotFound, fmt.Sprintf("Trail %s could not be found. Policies are generated from the trail %s.", t.CloudTrailARN, want), nil
		}
	}
	if a.cfg.Invoker == nil {
		return "", "", errors.New("no invoker to assume the access role")
	}
	role := j.AccessRole
	if parts := strings.SplitN(role, ":", 6); len(parts) < 6 || parts[4] != j.Account {
		return errAuthorization, fmt.Sprintf("Unable to assume role %s: the access role must be in the account %s.", role, j.Account), nil
	}
	out, err := api.Invoke[*sts.AssumeRoleResult](ctx, a.cfg.Invoker, api.Internal{
		Principal: &api.Principal{Type: api.AWSService, ARN: servicePrincipal, PrincipalID: servicePrincipal,
			Account: j.Account, InvokedBy: servicePrincipal},
		Service:   "sts",
		Operation: "AssumeRole",
		Params:    url.Values{"RoleArn": {role}, "RoleSessionName": {"AccessAnalyzer-" + j.ID[:8]}},
		Region:    a.cfg.Region,
	})
	var se *api.Error
	switch {
	case errors.As(err, &se):
		return errAuthorization, fmt.Sprintf("Unable to assume role %s: %s", role, se.Message), nil
	case err != nil:
		return "", "", fmt.Errorf("assume the access role: %w", err)
	case out == nil || out.Credentials == nil:
		return "", "", errors.New("assume the access role: no credentials")
	}
	roleName := role[strings.LastIndexByte(role, '/')+1:]
	roleID, session, _ := strings.Cut(out.AssumedRoleUser.AssumedRoleID, ":")
	p := &api.Principal{Type: api.AssumedRole, Account: j.Account, ARN: out.AssumedRoleUser.ARN,
		PrincipalID: out.AssumedRoleUser.AssumedRoleID, AccessKeyID: out.Credentials.AccessKeyID,
		RoleARN: role, RoleName: roleName, RoleID: roleID, SessionName: session, InvokedBy: servicePrincipal}
	name := want
	_, err = a.cfg.Invoker.Invoke(ctx, api.Internal{Principal: p, Service: "cloudtrail", Operation: "GetTrail",
		Input: &cloudtrail.TrailNameInput{Name: &name}, Region: a.cfg.Region, AuthorizeOnly: true})
	switch {
	case errors.As(err, &se):
		return errAuthorization, fmt.Sprintf("The access role %s is not authorized to perform cloudtrail:GetTrail on %s: %s", role, want, se.Message), nil
	case err != nil:
		return "", "", fmt.Errorf("check the access role: %w", err)
	}
	return "", "", nil
}
