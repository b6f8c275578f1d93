package lint

import (
	"fmt"
	"strings"
)

// Finding types, as Access Analyzer names them (ValidatePolicyFindingType).
const (
	Error           = "ERROR"
	SecurityWarning = "SECURITY_WARNING"
	Warning         = "WARNING"
	Suggestion      = "SUGGESTION"
)

// An issue is one of Access Analyzer's policy checks: its finding type and
// the findingDetails text, with fmt verbs where the reference has
// placeholders.
type issue struct {
	typ     string
	details string
}

// issues holds the checks this package runs, by issue code, with the
// wording of the IAM User Guide's "Access Analyzer policy check
// reference". The learnMoreLink of each is that page's anchor for it.
var issues = map[string]issue{
	// Errors: a part of the policy is not functional.
	"JSON_SYNTAX_ERROR":                                   {Error, "Fix the JSON syntax error at index %d line %d column %d."},
	"DATA_TYPE_MISMATCH":                                  {Error, "The text does not match the expected JSON data type %s."},
	"INVALID_POLICY_ELEMENT":                              {Error, "The policy element %s is not valid."},
	"INVALID_VERSION":                                     {Error, "The version %s is not valid. Use one of the following versions: 2012-10-17, 2008-10-17"},
	"MISSING_STATEMENT":                                   {Error, "Add a statement to the policy"},
	"MISSING_EFFECT":                                      {Error, "Add an Effect element to the policy statement with a value of Allow or Deny."},
	"INVALID_EFFECT":                                      {Error, "The effect %s is not valid. Use Allow or Deny."},
	"MISSING_ACTION":                                      {Error, "Add an Action or NotAction element to the policy statement."},
	"MISSING_RESOURCE":                                    {Error, "Add a Resource or NotResource element to the policy statement."},
	"MISSING_PRINCIPAL":                                   {Error, "Add a Principal element to the policy statement."},
	"UNSUPPORTED_ELEMENT_COMBINATION":                     {Error, "The policy elements %s and %s can not be used in the same statement. Remove one of these elements."},
	"UNSUPPORTED_PRINCIPAL":                               {Error, "The policy type %s does not support the Principal element. Remove the Principal element."},
	"INVALID_PRINCIPAL_FORMAT":                            {Error, "The Principal element contents are not valid. Specify a key-value pair in the Principal element."},
	"INVALID_PRINCIPAL_KEY":                               {Error, "The principal key %s is not valid."},
	"UNSUPPORTED_WILDCARD_IN_PRINCIPAL":                   {Error, "Wildcards (*, ?) are not supported with the principal key %s. Replace the wildcard with a valid principal value."},
	"INVALID_ACTION":                                      {Error, "The action %s does not exist."},
	"INVALID_SERVICE_IN_ACTION":                           {Error, "The service %s specified in the action does not exist."},
	"INVALID_ARN_PREFIX":                                  {Error, "Add the required prefix (arn) to the resource ARN."},
	"MISSING_ARN_FIELD":                                   {Error, "Resource ARNs must include at least 6 fields in the following structure: arn:partition:service:region:account:resource"},
	"INVALID_ARN_SERVICE_CASE":                            {Error, "Update the service name %s in the resource ARN to use all lowercase letters."},
	"ARN_ACCOUNT_NOT_ALLOWED":                             {Error, "The service %s does not support specifying an account ID in the resource ARN."},
	"ARN_REGION_NOT_ALLOWED":                              {Error, "The service %s does not support specifying a Region in the resource ARN."},
	"INVALID_ARN_ACCOUNT":                                 {Error, "The resource ARN account ID %s is not valid. Provide a 12-digit account ID."},
	"INVALID_PARTITION":                                   {Error, "The resource ARN for the service %s does not support the partition %s. Use the supported values: aws, aws-cn, aws-us-gov"},
	"INVALID_VARIABLE_FOR_OPERATOR":                       {Error, "Policy variables can only be used with String and ARN condition operators, not with %s. Use a String or ARN operator, or a fixed value."},
	"INVALID_CONDITION_OPERATOR":                          {Error, "The condition operator %s is not valid. Use a valid condition operator."},
	"INVALID_CONDITION_KEY_FORMAT":                        {Error, "The condition key format is not valid. Use the format service:keyname."},
	"INVALID_GLOBAL_CONDITION_KEY":                        {Error, "The condition key %s does not exist. Use a valid condition key."},
	"INVALID_SERVICE_CONDITION_KEY":                       {Error, "The condition key %s does not exist in the service %s. Use a valid condition key."},
	"UNSUPPORTED_GLOBAL_CONDITION_KEY":                    {Error, "The condition key aws:ARN is not supported. Use aws:PrincipalArn or aws:SourceArn instead."},
	"DUPLICATE_KEYS_WITH_DIFFERENT_CASE":                  {Error, "The condition key %s appears more than once with different capitalization in the same condition block. Remove the duplicate condition keys."},
	"NULL_WITH_IF_EXISTS":                                 {Error, "The Null condition operator cannot be used with the IfExists suffix. Update the operator or the suffix."},
	"UNSUPPORTED_ACTION_FOR_CONDITION_KEY":                {Error, "The following actions: %s are not supported by the condition key %s. The condition will not be evaluated for these actions. We recommend that you move these actions to a different statement without this condition key."},
	"UNIQUE_SIDS_REQUIRED":                                {Error, "Duplicate statement IDs are not supported for this policy type. Update the Sid value."},
	"UNSUPPORTED_SID":                                     {Error, "Update the characters in the Sid element to use one of the following character types: [a-z, A-Z, 0-9]"},
	"SCP_SYNTAX_ERROR_PRINCIPAL":                          {Error, "SCPs do not support specifying principals. Remove the Principal or NotPrincipal element."},
	"SCP_SYNTAX_ERROR_NOTRESOURCE":                        {Error, "SCPs do not support the NotResource element. Update the policy to use Resource instead."},
	"SCP_SYNTAX_ERROR_ALLOW_NOTACTION":                    {Error, "SCPs do not support NotAction with effect Allow. Update the element NotAction or the effect."},
	"SCP_SYNTAX_ERROR_ALLOW_RESOURCE":                     {Error, "SCPs do not support Resource with effect Allow. Update the element Resource or the effect."},
	"SCP_SYNTAX_ERROR_ALLOW_CONDITION":                    {Error, "SCPs do not support the Condition element with effect Allow. Update the element Condition or the effect."},
	"SCP_SYNTAX_ERROR_ACTION_WILDCARD":                    {Error, "SCP actions can include wildcards (*) only at the end of a string. Update %s."},
	"POLICY_SIZE_EXCEEDS_SCP_QUOTA":                       {Error, "The %d characters in the service control policy (SCP) exceed the %d character maximum for SCPs. We recommend that you use multiple granular policies."},
	"UNSUPPORTED_ACTION_IN_POLICY":                        {Error, "The action %s is not supported for the resource-based policy attached to the resource type %s."},
	"UNSUPPORTED_RESOURCE_ARN_IN_POLICY":                  {Error, "The resource ARN is not supported for the resource-based policy attached to the resource type %s."},
	"ROLE_TRUST_POLICY_SYNTAX_ERROR_NOTPRINCIPAL":         {Error, "Role trust policies do not support NotPrincipal. Update the policy to use a Principal element instead."},
	"ROLE_TRUST_POLICY_UNSUPPORTED_WILDCARD_IN_PRINCIPAL": {Error, "\"Principal:\" \"*\" is not supported in the principal element of a role trust policy. Replace the wildcard with a valid principal value."},
	"ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE":             {Error, "Role trust policies apply to the role that they are attached to. You cannot specify a resource. Remove the Resource or NotResource element."},

	// Security warnings: the policy allows access that is overly permissive.
	"ALLOW_WITH_NOT_PRINCIPAL":                                      {SecurityWarning, "Using Allow with NotPrincipal can be overly permissive. We recommend that you use Principal instead."},
	"FORALLVALUES_WITH_SINGLE_VALUED_KEY":                           {SecurityWarning, "Using ForAllValues qualifier with the single-valued condition key %s can be overly permissive. We recommend that you remove ForAllValues:."},
	"PASS_ROLE_WITH_NOT_RESOURCE":                                   {SecurityWarning, "Using the iam:PassRole action with NotResource can be overly permissive because it can allow iam:PassRole permissions on multiple resources. We recommend that you specify resource ARNs instead."},
	"PASS_ROLE_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE":                {SecurityWarning, "Using an action with a wildcard (*) and NotResource can be overly permissive because it can allow iam:PassRole permissions on multiple resources. We recommend that you specify resource ARNs instead."},
	"PASS_ROLE_WITH_NOT_ACTION_AND_NOT_RESOURCE":                    {SecurityWarning, "Using NotAction with NotResource can be overly permissive because it can allow iam:PassRole permissions on multiple resources.. We recommend that you specify resource ARNs instead."},
	"PASS_ROLE_WITH_STAR_IN_RESOURCE":                               {SecurityWarning, "Using the iam:PassRole action with wildcards (*) in the resource can be overly permissive because it allows iam:PassRole permissions on multiple resources. We recommend that you specify resource ARNs or add the iam:PassedToService condition key to your statement."},
	"PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE":                    {SecurityWarning, "Using wildcards (*) in the action and the resource can be overly permissive because it allows iam:PassRole permissions on all resources. We recommend that you specify resource ARNs or add the iam:PassedToService condition key to your statement."},
	"PASS_ROLE_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION":                {SecurityWarning, "Using a resource with wildcards (*) and NotAction can be overly permissive because it allows iam:PassRole permissions on all resources. We recommend that you specify resource ARNs or add the iam:PassedToService condition key to your statement."},
	"DENY_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE":           {SecurityWarning, "Using the effect Deny with the tag condition key %s and actions for services with the following prefixes can be overly permissive: %s. Actions for the listed services are not denied by this statement. We recommend that you move these actions to a different statement without this condition key."},
	"DENY_NOTACTION_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE": {SecurityWarning, "Using the effect Deny with NotAction and the tag condition key %s can be overly permissive because some service actions are not denied by this statement. This is because the condition key doesn't apply to some service actions. We recommend that you use Action instead of NotAction."},
	"MISSING_CONDITION_KEY_FOR_OIDC_PRINCIPAL":                      {SecurityWarning, "Using an Open ID Connect principal without a condition can be overly permissive. Add condition keys with a prefix that matches your federated OIDC principals to ensure that only the intended identity provider assumes the role."},
	"MISSING_GITHUB_REPO_CONDITION_KEY":                             {SecurityWarning, "Granting a federated GitHub principal permissions without a condition key can allow more sources to assume the role than you intended. Add the token.actions.githubusercontent.com:sub condition key and specify the branch and repository name in the value."},

	// Warnings: the policy does not follow policy writing best practices.
	"MISSING_VERSION":                                 {Warning, "We recommend that you specify the Version element to help you with debugging permission issues."},
	"UNIQUE_SIDS_RECOMMENDED":                         {Warning, "We recommend that you use statement IDs that are unique to your policy. Update the Sid value."},
	"WILDCARD_WITHOUT_LIKE_OPERATOR":                  {Warning, "Your condition value includes a * or ? character. If you meant to use a wildcard (*, ?), update the condition operator to include Like."},
	"POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA":       {Warning, "The %d characters in the identity policy, excluding whitespace, exceed the %d character maximum for inline and managed policies. We recommend that you use multiple granular policies."},
	"TYPE_MISMATCH_BOOLEAN":                           {Warning, "Add a valid Boolean value (true or false) for the condition operator %s."},
	"TYPE_MISMATCH_NUMBER":                            {Warning, "Add a valid numeric value for the condition operator %s."},
	"TYPE_MISMATCH_DATE":                              {Warning, "The date condition operator is used with an invalid value. Specify a valid date using YYYY-MM-DD or other ISO 8601 date/time format."},
	"TYPE_MISMATCH_IP_RANGE":                          {Warning, "The condition operator %s is used with an invalid IP range value. Specify the IP range in standard CIDR format."},
	"CREATE_SLR_WITH_NOT_RESOURCE":                    {Warning, "Using the iam:CreateServiceLinkedRole action with NotResource can allow creation of unintended service-linked roles for multiple resources. We recommend that you specify resource ARNs instead."},
	"CREATE_SLR_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE": {Warning, "Using an action with a wildcard(*) and NotResource can allow creation of unintended service-linked roles because it can allow iam:CreateServiceLinkedRole permissions on multiple resources. We recommend that you specify resource ARNs instead."},
	"CREATE_SLR_WITH_NOT_ACTION_AND_NOT_RESOURCE":     {Warning, "Using NotAction with NotResource can allow creation of unintended service-linked roles because it allows iam:CreateServiceLinkedRole permissions on multiple resources. We recommend that you specify resource ARNs instead."},
	"CREATE_SLR_WITH_STAR_IN_RESOURCE":                {Warning, "Using the iam:CreateServiceLinkedRole action with wildcards (*) in the resource can allow creation of unintended service-linked roles. We recommend that you specify resource ARNs instead."},
	"CREATE_SLR_WITH_STAR_IN_ACTION_AND_RESOURCE":     {Warning, "Using wildcards (*) in the action and the resource can allow creation of unintended service-linked roles because it allows iam:CreateServiceLinkedRole permissions on all resources. We recommend that you specify resource ARNs instead."},
	"CREATE_SLR_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION": {Warning, "Using a resource with wildcards (*) and NotAction can allow creation of unintended service-linked roles because it allows iam:CreateServiceLinkedRole permissions on all resources. We recommend that you specify resource ARNs instead."},

	// Suggestions: stylistic improvements that do not change access.
	"EMPTY_ARRAY_ACTION":                                   {Suggestion, "This statement includes no actions and does not affect the policy. Specify actions."},
	"EMPTY_ARRAY_RESOURCE":                                 {Suggestion, "This statement includes no resources and does not affect the policy. Specify resources."},
	"EMPTY_ARRAY_PRINCIPAL":                                {Suggestion, "This statement includes no principals and does not affect the policy. Specify principals."},
	"EMPTY_OBJECT_PRINCIPAL":                               {Suggestion, "This statement includes no principals and does not affect the policy. Specify principals."},
	"EMPTY_OBJECT_CONDITION":                               {Suggestion, "This condition block is empty and it does not affect the policy. Specify conditions."},
	"EMPTY_ARRAY_CONDITION":                                {Suggestion, "There are no values for the condition key %s and it does not affect the policy. Specify conditions."},
	"EMPTY_ARRAY_CONDITION_FORALLVALUES":                   {Suggestion, "The ForAllValues prefix with an empty condition key matches only if the key %s is missing from the request context. To determine if the request context is empty, we recommend that you use the Null condition operator with the value of true instead."},
	"EMPTY_ARRAY_CONDITION_FORANYVALUE":                    {Suggestion, "The ForAnyValue prefix with an empty condition key %s never matches the request context and it does not affect the policy. Specify conditions."},
	"EMPTY_ARRAY_CONDITION_IFEXISTS":                       {Suggestion, "The IfExists suffix with an empty condition key matches only if the key %s is missing from the request context. To determine if the request context is empty, we recommend that you use the Null condition operator with the value of true instead."},
	"EMPTY_SID_VALUE":                                      {Suggestion, "Add a value to the empty string in the Sid element."},
	"NULL_WITH_QUALIFIER":                                  {Suggestion, "Avoid using the Null condition operator with the ForAllValues or ForAnyValue qualifiers because they always return a true or false respectively."},
	"REDUNDANT_ACTION":                                     {Suggestion, "The %d action(s) are redundant because they provide similar permissions. Update the policy to remove the redundant action such as: %s."},
	"REDUNDANT_RESOURCE":                                   {Suggestion, "The %d resource ARN(s) are redundant because they reference the same resource. Review the use of wildcards (*)"},
	"REDUNDANT_STATEMENT":                                  {Suggestion, "The statements are redundant because they provide identical permissions. Update the policy to remove the redundant statement."},
	"ALLOW_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE": {Suggestion, "Using the effect Allow with the tag condition key %s and actions for services with the following prefixes does not affect the policy: %s. Actions for the listed service are not allowed by this statement. We recommend that you move these actions to a different statement without this condition key."},
	"ALLOW_NOTACTION_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE": {Suggestion, "Using the effect Allow with NotAction and the tag condition key %s allows only service actions that support the condition key. The condition key doesn't apply to some service actions. We recommend that you use Action instead of NotAction."},
	"WILDCARD_IN_SERVICE_NAME":                                       {Suggestion, "Avoid using wildcards (*, ?) in the service name because it might grant unintended access to other AWS services with similar names."},
}

// referencePage is the IAM User Guide's policy check reference.
const referencePage = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html"

// typeAnchors is how the reference's anchors name each finding type.
var typeAnchors = map[string]string{
	Error: "error", SecurityWarning: "security-warning", Warning: "general-warning", Suggestion: "suggestion",
}

// newFinding builds the finding of code with its details filled in by args.
func newFinding(code string, args ...any) Finding {
	is, ok := issues[code]
	if !ok {
		panic("lint: no issue " + code) // a programming error: every code used is in the table
	}
	details := is.details
	if len(args) > 0 {
		details = fmt.Sprintf(details, args...)
	}
	anchor := "access-analyzer-reference-policy-checks-" + typeAnchors[is.typ] + "-" + strings.ToLower(strings.ReplaceAll(code, "_", "-"))
	return Finding{Type: is.typ, Code: code, Details: details, LearnMoreLink: referencePage + "#" + anchor}
}
