package rolecall

import "github.com/rolecall/rolecall/internal/api"

// unusedOps returns the operations of unused access.
func (r *API) unusedOps() []*api.Operation {
	return nil
}
