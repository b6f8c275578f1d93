package rolecall

import "github.com/rolecall/rolecall/internal/api"

// consoleOps returns the operations of the console's permission helpers.
func (r *API) consoleOps() []*api.Operation {
	return nil
}
