package esm

import "github.com/rolecall/rolecall/internal/api"

// Operations returns the event source mapping operations of Lambda's
// operation table.
func (m *Manager) Operations() []*api.Operation { return nil }
