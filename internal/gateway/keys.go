package gateway

import "github.com/rolecall/rolecall/internal/catalog"

// multiValued reports whether a condition key is multivalued by definition:
// its type in the Service Authorization Reference is ArrayOfString,
// ArrayOfARN or another ArrayOf type (aws:TagKeys, aws:CalledVia,
// lambda:SubnetIds, ...). A key the catalog does not know is single-valued.
func multiValued(key string) bool {
	k := catalog.Load().ConditionKey(key)
	return k != nil && k.MultiValued()
}
