package organizations

import (
	"strconv"

	"github.com/rolecall/rolecall/internal/api"
)

// pageInput is the paging members every List operation takes.
type pageInput struct {
	NextToken  string `json:"NextToken"`
	MaxResults int    `json:"MaxResults"`
}

// page returns the page of items (in their stable order) that in asks
// for, and the token of the next page ("" when this is the last). scope
// names the listing, so a token of another listing is refused.
func page[T any](c *api.Call, in pageInput, items []T, scope ...string) ([]T, string, error) {
	sc := api.TokenScope(append([]string{c.OperationName, c.Account}, scope...)...)
	start := 0
	if in.NextToken != "" {
		pos, ok := api.DecodeToken(sc, in.NextToken)
		if !ok {
			return nil, "", invalidToken()
		}
		n, err := strconv.Atoi(pos)
		if err != nil || n < 0 {
			return nil, "", invalidToken()
		}
		start = min(n, len(items))
	}
	max := in.MaxResults
	if max <= 0 {
		max = 20
	}
	end := min(start+max, len(items))
	next := ""
	if end < len(items) {
		next = api.EncodeToken(sc, strconv.Itoa(end))
	}
	out := items[start:end]
	if out == nil {
		out = []T{}
	}
	return out, next, nil
}

// listOut is a List operation's answer: the page under its member name,
// and NextToken when there is more.
func listOut[T any](member string, items []T, next string) map[string]any {
	out := map[string]any{member: items}
	if next != "" {
		out["NextToken"] = next
	}
	return out
}
