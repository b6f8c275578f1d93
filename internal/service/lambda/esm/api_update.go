package esm

import (
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// update is UpdateEventSourceMapping.
func (m *Manager) update(c *api.Call) (any, error) {
	return nil, errInvalidParam("UpdateEventSourceMapping is not supported yet.")
}

var _ = store.ErrNotFound
