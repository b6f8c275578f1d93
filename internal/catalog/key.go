package catalog

import "strings"

// A KeyType is the type the reference gives a condition key's values,
// which decides the condition operators that suit it.
type KeyType string

// The key types the reference uses.
const (
	TypeString         KeyType = "String"
	TypeARN            KeyType = "ARN"
	TypeBool           KeyType = "Bool"
	TypeNumeric        KeyType = "Numeric"
	TypeDate           KeyType = "Date"
	TypeIPAddress      KeyType = "IPAddress"
	TypeBinary         KeyType = "Binary"
	TypeArrayOfString  KeyType = "ArrayOfString"
	TypeArrayOfARN     KeyType = "ArrayOfARN"
	TypeArrayOfBool    KeyType = "ArrayOfBool"
	TypeArrayOfNumeric KeyType = "ArrayOfNumeric"
)

// MultiValued reports whether a request may carry several values for a key
// of type t (the ArrayOf types), so that conditions on it need the
// ForAnyValue or ForAllValues set operators.
func (t KeyType) MultiValued() bool { return strings.HasPrefix(string(t), "ArrayOf") }

// Elem returns the type of each value: String for ArrayOfString, and t
// itself for single-valued types.
func (t KeyType) Elem() KeyType { return KeyType(strings.TrimPrefix(string(t), "ArrayOf")) }

// A ConditionKey is a key a policy's Condition element can test.
type ConditionKey struct {
	// Name is the key as the reference writes it. A templated key names
	// its variable parts: "aws:PrincipalTag/${TagKey}".
	Name        string
	Type        KeyType // "" for a key an action lists but no table defines
	Description string

	// Global is true for AWS's global condition keys (aws:*).
	Global bool

	// scoped marks a global key that only the actions listing it support
	// (aws:RequestTag/${TagKey}, aws:ResourceTag/${TagKey}, aws:TagKeys).
	scoped bool

	// pieces holds, for a templated key, the literal text around its
	// variables: "aws:PrincipalTag/${TagKey}" gives ["aws:PrincipalTag/", ""];
	// nil for a key without variables.
	pieces []string
}

func newKey(name string, t KeyType, desc string, global bool) *ConditionKey {
	k := &ConditionKey{Name: name, Type: t, Description: desc, Global: global}
	rest := name
	for {
		i, open, end := nextVar(rest)
		if i < 0 {
			if k.pieces != nil {
				k.pieces = append(k.pieces, rest)
			}
			return k
		}
		j := strings.Index(rest[i+len(open):], end)
		if j < 0 { // an unterminated variable: the rest is literal
			if k.pieces != nil {
				k.pieces = append(k.pieces, rest)
			}
			return k
		}
		k.pieces = append(k.pieces, rest[:i])
		rest = rest[i+len(open)+j+len(end):]
	}
}

// nextVar finds the first variable in s: ${Name}, as most of the reference
// writes them, or <name>, as the s3 object tag keys do. It returns the
// variable's index, or -1, and its delimiters.
func nextVar(s string) (i int, open, end string) {
	i, open, end = strings.Index(s, "${"), "${", "}"
	if j := strings.IndexByte(s, '<'); j >= 0 && (i < 0 || j < i) {
		i, open, end = j, "<", ">"
	}
	return i, open, end
}

// MultiValued reports whether the key's type is an ArrayOf type.
func (k *ConditionKey) MultiValued() bool { return k.Type.MultiValued() }

// Templated reports whether the key's name has variable parts, such as
// ${TagKey} in aws:PrincipalTag/${TagKey} or <key> in s3:ExistingObjectTag/<key>.
func (k *ConditionKey) Templated() bool { return k.pieces != nil }

// Matches reports whether name, as a policy writes it, is this key,
// ignoring case. A templated key's variables each match one or more
// characters: aws:PrincipalTag/${TagKey} matches aws:PrincipalTag/team.
// It does not allocate.
func (k *ConditionKey) Matches(name string) bool {
	if k.pieces == nil {
		return strings.EqualFold(k.Name, name)
	}
	p := k.pieces
	if len(name) < len(p[0]) || !strings.EqualFold(name[:len(p[0])], p[0]) {
		return false
	}
	return matchVars(p[1:], name[len(p[0]):])
}

// matchVars matches s against a variable followed by p[0], then a variable
// followed by p[1], and so on.
func matchVars(p []string, s string) bool {
	lit := p[0]
	if len(p) == 1 {
		return len(s) > len(lit) && strings.EqualFold(s[len(s)-len(lit):], lit)
	}
	for i := 1; i+len(lit) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(lit)], lit) && matchVars(p[1:], s[i+len(lit):]) {
			return true
		}
	}
	return false
}

// matchTemplate returns the first of keys that name matches, or nil.
func matchTemplate(keys []*ConditionKey, name string) *ConditionKey {
	for _, k := range keys {
		if k.Matches(name) {
			return k
		}
	}
	return nil
}
