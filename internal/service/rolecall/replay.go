package rolecall

import "github.com/rolecall/rolecall/internal/api"

// replayOps returns the operations of replay.
func (r *API) replayOps() []*api.Operation {
	return nil
}
