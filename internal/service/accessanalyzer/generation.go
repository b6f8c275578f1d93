package accessanalyzer

import "github.com/rolecall/rolecall/internal/api"

// generationOps returns the operations of policy generation.
func (a *Analyzer) generationOps() []*api.Operation {
	return nil
}
