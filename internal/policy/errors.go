package policy

// perr is an internal validation error; its text is the message AWS returns.
type perr string

func (e perr) Error() string { return string(e) }

// AWS's MalformedPolicyDocument messages.
const (
	errSyntax        perr = "Syntax errors in policy."
	errInvalidJSON   perr = "This policy contains invalid Json"
	errVersion       perr = "Policy document must be version 2012-10-17 or greater."
	errSidUnique     perr = "Statement IDs (SID) in a single policy must be unique."
	errSidFormat     perr = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
	errNoActions     perr = "Policy statement must contain actions."
	errNoResources   perr = "Policy statement must contain resources."
	errHasPrincipal  perr = "Policy document should not specify a principal."
	errNoPrincipal   perr = "Missing required field Principal"
	errNoPrincipals  perr = "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!"
	errTrustActions  perr = "AssumeRole policy may only specify STS AssumeRole actions."
	errVendor        perr = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	errOneColon      perr = "Actions/Condition can contain only one colon."
	errResVendor     perr = "Resource vendor must be fully qualified and cannot contain regexes."
	errSCPMalformed  perr = "The provided policy document does not meet the requirements of the specified policy type."
	msgProhibitedFmt      = "Has prohibited field "
)
