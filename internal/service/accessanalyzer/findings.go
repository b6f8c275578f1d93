package accessanalyzer

import "github.com/rolecall/rolecall/internal/api"

// findingOps returns the operations of unused access analyzers and their
// findings. rolecall analyzes unused access only (ACCOUNT_UNUSED_ACCESS):
// the other analyzer types are refused. Findings are computed when they
// are read: ListFindingsV2, GetFindingV2, UpdateFindings and
// GetFindingsStatistics first analyze the account's roles and users
// against the trail as it stands at the call (see refresh), so a finding
// always reflects the trail at the time of the call.
func (a *Analyzer) findingOps() []*api.Operation {
	analyzer := a.analyzerResource
	return []*api.Operation{
		{Name: "CreateAnalyzer", Action: "access-analyzer:CreateAnalyzer", HTTP: api.HTTP{Method: "PUT", Path: "/analyzer"},
			Resource: analyzer, Conditions: a.createAnalyzerConditions, Handle: a.createAnalyzer},
		{Name: "GetAnalyzer", Action: "access-analyzer:GetAnalyzer", ReadOnly: true,
			HTTP: api.HTTP{Method: "GET", Path: "/analyzer/{analyzerName}"}, Resource: analyzer, Handle: a.getAnalyzer},
		{Name: "ListAnalyzers", Action: "access-analyzer:ListAnalyzers", ReadOnly: true,
			HTTP: api.HTTP{Method: "GET", Path: "/analyzer"}, Handle: a.listAnalyzers},
		{Name: "UpdateAnalyzer", Action: "access-analyzer:UpdateAnalyzer",
			HTTP: api.HTTP{Method: "PUT", Path: "/analyzer/{analyzerName}"}, Resource: analyzer, Handle: a.updateAnalyzer},
		{Name: "DeleteAnalyzer", Action: "access-analyzer:DeleteAnalyzer",
			HTTP: api.HTTP{Method: "DELETE", Path: "/analyzer/{analyzerName}"}, Resource: analyzer, Handle: a.deleteAnalyzer},
		{Name: "ListFindingsV2", Action: "access-analyzer:ListFindings", ReadOnly: true,
			HTTP: api.HTTP{Method: "POST", Path: "/findingv2"}, Resource: a.bodyAnalyzerResource, Handle: a.listFindingsV2},
		{Name: "GetFindingV2", Action: "access-analyzer:GetFinding", ReadOnly: true,
			HTTP: api.HTTP{Method: "GET", Path: "/findingv2/{id}"}, Resource: a.queryAnalyzerResource, Handle: a.getFindingV2},
		{Name: "UpdateFindings", Action: "access-analyzer:UpdateFindings",
			HTTP: api.HTTP{Method: "PUT", Path: "/finding"}, Resource: a.bodyAnalyzerResource, Handle: a.updateFindings},
		{Name: "GetFindingsStatistics", Action: "access-analyzer:GetFindingsStatistics", ReadOnly: true,
			HTTP: api.HTTP{Method: "POST", Path: "/analyzer/findings/statistics"}, Resource: a.bodyAnalyzerResource, Handle: a.getFindingsStatistics},
		{Name: "TagResource", Action: "access-analyzer:TagResource",
			HTTP: api.HTTP{Method: "POST", Path: "/tags/{resourceArn}"}, Resource: a.tagResource, Conditions: a.tagConditions, Handle: a.tagAnalyzer},
		{Name: "UntagResource", Action: "access-analyzer:UntagResource",
			HTTP: api.HTTP{Method: "DELETE", Path: "/tags/{resourceArn}"}, Resource: a.tagResource, Conditions: a.untagConditions, Handle: a.untagAnalyzer},
		{Name: "ListTagsForResource", Action: "access-analyzer:ListTagsForResource", ReadOnly: true,
			HTTP: api.HTTP{Method: "GET", Path: "/tags/{resourceArn}"}, Resource: a.tagResource, Handle: a.listTags},
	}
}
