package rolecall

import (
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
)

// Fix is a policy change that would allow an explained request.
type Fix struct {
	Description string
}

// addFixes adds to out the fixes of x's decision d.
func (r *API) addFixes(c *api.Call, x *explained, d policy.Decision, out *Explanation) error {
	return nil
}
