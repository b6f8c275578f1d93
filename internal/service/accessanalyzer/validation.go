package accessanalyzer

import "github.com/rolecall/rolecall/internal/api"

// validationOps returns the operations of policy validation and the custom policy checks.
func (a *Analyzer) validationOps() []*api.Operation {
	return nil
}
