package gateway

import "strings"

// multiValuedKeys are the global condition keys that are multivalued by
// definition (the Service Authorization Reference's ArrayOf* types).
var multiValuedKeys = map[string]bool{
	"aws:tagkeys":                    true,
	"aws:principalservicenameslist":  true,
	"aws:calledvia":                  true,
	"sts:transitivetagkeys":          true,
	"lambda:subnetids":               true,
	"lambda:securitygroupids":        true,
	"lambda:layer":                   true,
	"iam:associatedresourcearn":      false,
	"aws:principalorgpaths":          true,
	"aws:sourceorgpaths":             true,
	"aws:resourceorgpaths":           true,
	"organizations:servicePrincipal": false,
}

// multiValued reports whether a condition key is multivalued by definition.
func multiValued(key string) bool { return multiValuedKeys[strings.ToLower(key)] }
