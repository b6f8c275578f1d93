package accessanalyzer

import "github.com/rolecall/rolecall/internal/api"

// findingOps returns the operations of unused access analyzers and their findings.
func (a *Analyzer) findingOps() []*api.Operation {
	return nil
}
