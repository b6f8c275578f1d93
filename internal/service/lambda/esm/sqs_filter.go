package esm

import "encoding/json"

// sqsFilter returns whether a record (as encoded for the event) passes
// the mapping's filter criteria, the patterns on "body" seeing the
// message body parsed when it is JSON and as a string otherwise; nil
// when there are no criteria (every record passes). Lambda deletes the
// messages that do not pass.
func sqsFilter(fc *FilterCriteria) (func(record []byte, body string) bool, error) {
	f, err := compileFilters(fc)
	if err != nil || f == nil {
		return nil, err
	}
	return func(record []byte, body string) bool {
		var r map[string]any
		if err := json.Unmarshal(record, &r); err != nil {
			return false
		}
		return f.matches(r, "body", []byte(body))
	}, nil
}
