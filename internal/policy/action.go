package policy

import "strings"

// MatchAction reports whether an Action element's entry pattern ("s3:Get*",
// "iam:?etRole", "*") covers action ("s3:GetObject"), ignoring case, as IAM
// matches actions. A pattern that does not compile matches nothing.
func MatchAction(pattern, action string) bool {
	p, err := compilePattern(strings.ToLower(pattern), true, false, false)
	if err != nil {
		return false
	}
	return p.match(action, nil, true)
}
