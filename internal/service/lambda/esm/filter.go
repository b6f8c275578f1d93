package esm

// filters is the mapping's compiled event filtering. This stand-in
// refuses any filter criteria until the pattern engine lands.
type filters struct{}

func compileFilters(fc *FilterCriteria) (*filters, error) {
	if fc == nil || len(fc.Filters) == 0 {
		return nil, nil
	}
	return nil, errInvalidParam("FilterCriteria is not supported yet.")
}

func (f *filters) matches(record map[string]any, field string, payload []byte) bool { return true }
