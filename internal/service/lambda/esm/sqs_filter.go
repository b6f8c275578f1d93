package esm

// sqsFilter returns whether a record passes the mapping's filter
// criteria (nil when there are none: every record passes).
func sqsFilter(fc *FilterCriteria) (func(record []byte, body string) bool, error) {
	if fc == nil || len(fc.Filters) == 0 {
		return nil, nil
	}
	return nil, errInvalidParam("FilterCriteria are not supported for this event source.")
}
