package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/gateway"
	"github.com/rolecall/rolecall/internal/service/iam"
)

// gatewayIdentities is IAM as the gateway's gateway.Identities (and
// gateway.KeyUseRecorder): an unknown or inactive access key is
// gateway.ErrUnknownAccessKey (InvalidClientTokenId); a key that could not
// be read (the store unreachable) is another error (InternalFailure), so
// that its caller retries instead of taking its key for a bad one.
type gatewayIdentities struct{ *iam.IAM }

func (i gatewayIdentities) LookupAccessKey(ctx context.Context, id string) (*api.Principal, string, error) {
	p, secret, err := i.IAM.LookupAccessKey(ctx, id)
	if errors.Is(err, iam.ErrNoSuchKey) || errors.Is(err, iam.ErrInactiveKey) {
		return nil, "", fmt.Errorf("%w: %w", gateway.ErrUnknownAccessKey, err)
	}
	return p, secret, err
}
