package server

import (
	"context"
	"time"

	"github.com/rolecall/rolecall/internal/gateway"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/service/iam"
	"github.com/rolecall/rolecall/internal/service/sts"
)

// IAM keeps when long-term access keys were last used.
var _ gateway.KeyUseRecorder = (*iam.IAM)(nil)

// stsRoles gives STS the roles and managed policies IAM keeps.
type stsRoles struct{ iam *iam.IAM }

func (r stsRoles) RoleByARN(ctx context.Context, arn string) (*sts.Role, error) {
	ri, err := r.iam.RoleByARN(ctx, arn)
	if err != nil {
		return nil, err
	}
	var tags map[string]string
	if len(ri.Tags) > 0 {
		tags = make(map[string]string, len(ri.Tags))
		for _, t := range ri.Tags {
			tags[t.Key] = t.Value
		}
	}
	return &sts.Role{
		Tags:               tags,
		ARN:                ri.ARN,
		ID:                 ri.RoleID,
		Name:               ri.Name,
		Path:               ri.Path,
		Trust:              ri.Trust,
		MaxSessionDuration: ri.MaxSessionDuration,
	}, nil
}

func (r stsRoles) RecordRoleUse(ctx context.Context, arn, region string, at time.Time) error {
	return r.iam.RecordRoleUse(ctx, arn, region, at)
}

func (r stsRoles) ManagedPolicy(ctx context.Context, arn string) (*policy.Policy, error) {
	return r.iam.ManagedPolicy(ctx, arn)
}
