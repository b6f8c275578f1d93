package s3

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/policy"
)

// bucket is a bucket's record in s3_buckets (JSON).
type bucket struct {
	Name    string    `json:"name"`
	Owner   string    `json:"owner"` // the owning account's ID
	Region  string    `json:"region"`
	Created time.Time `json:"created"`
	// Policy is the bucket policy as it was put ("" when none).
	Policy string            `json:"policy,omitempty"`
	Tags   map[string]string `json:"tags,omitempty"`
	// PublicAccessBlock is nil once deleted; new buckets have all four
	// settings on, as in S3 since April 2023.
	PublicAccessBlock *publicAccessBlock `json:"publicAccessBlock,omitempty"`
	// Ownership is the ObjectOwnership rule ("BucketOwnerEnforced" for new
	// buckets); "" once the ownership controls are deleted.
	Ownership string `json:"ownership,omitempty"`
}

// publicAccessBlock is a bucket's PublicAccessBlockConfiguration.
type publicAccessBlock struct {
	BlockPublicAcls       bool `json:"blockPublicAcls"`
	IgnorePublicAcls      bool `json:"ignorePublicAcls"`
	BlockPublicPolicy     bool `json:"blockPublicPolicy"`
	RestrictPublicBuckets bool `json:"restrictPublicBuckets"`
}

// restrictPublic reports whether RestrictPublicBuckets is on.
func (b *bucket) restrictPublic() bool {
	return b.PublicAccessBlock != nil && b.PublicAccessBlock.RestrictPublicBuckets
}

// blockPublicPolicy reports whether BlockPublicPolicy is on.
func (b *bucket) blockPublicPolicy() bool {
	return b.PublicAccessBlock != nil && b.PublicAccessBlock.BlockPublicPolicy
}

// canonicalID is the canonical user ID S3 shows for an account: 64 hex
// digits, stable per account.
func canonicalID(account string) string {
	sum := sha256.Sum256([]byte("s3-canonical-user:" + account))
	return hex.EncodeToString(sum[:])
}

// fixingKeys are the condition keys that, compared with fixed values,
// make a statement granting "*" non-public (S3 User Guide, "The meaning of
// public": aws:SourceIp with a fixed CIDR, aws:SourceArn, aws:SourceVpc,
// aws:SourceVpce, aws:SourceOwner, aws:SourceAccount, aws:userid outside
// "AROLEID:*", aws:PrincipalOrgID, aws:PrincipalAccount, s3:DataAccessPointArn,
// s3:DataAccessPointAccount), lower-cased.
var fixingKeys = map[string]bool{
	"aws:sourceip": true, "aws:sourcearn": true, "aws:sourcevpc": true, "aws:sourcevpce": true,
	"aws:sourceowner": true, "aws:sourceaccount": true, "aws:userid": true,
	"aws:principalorgid": true, "aws:principalaccount": true, "aws:principalarn": true,
	"aws:principalorgpaths": true,
	"s3:dataaccesspointarn": true, "s3:dataaccesspointaccount": true,
}

// fixingOperators are the operators that pin a key to given values.
var fixingOperators = map[string]bool{
	"stringequals": true, "stringequalsignorecase": true, "arnequals": true,
	"arnlike": true, "stringlike": true, "ipaddress": true,
}

// isPublic reports whether a bucket policy grants public access: an Allow
// statement whose principal is "*" (or that uses NotPrincipal) and that no
// condition pins to fixed principals, networks or sources.
func isPublic(p *policy.Policy) bool {
	for _, st := range p.Statements() {
		if st.Effect != "Allow" {
			continue
		}
		if st.NotPrincipal == nil && !grantsEveryone(st.Principal) {
			continue
		}
		if !pinned(st.Condition) {
			return true
		}
	}
	return false
}

func grantsEveryone(p policy.Principals) bool {
	for _, typ := range []string{"*", "AWS"} {
		for _, v := range p[typ] {
			if v == "*" {
				return true
			}
		}
	}
	return false
}

// pinned reports whether a condition pins a statement to fixed values. A
// ForAllValues condition pins nothing: it holds for a request without the
// key. A CIDR wider than IPv4 /8 or IPv6 /32 is no fixed network.
func pinned(conds []policy.Condition) bool {
	for _, c := range conds {
		if hasPrefixFold(c.Operator, "ForAllValues:") {
			continue
		}
		op := strings.ToLower(strings.TrimPrefix(c.Operator, "ForAnyValue:"))
		if !fixingKeys[strings.ToLower(c.Key)] || !fixingOperators[op] || len(c.Values) == 0 {
			continue
		}
		fixed := true
		for _, v := range c.Values {
			if strings.ContainsAny(v, "*?") || op == "ipaddress" && wideNetwork(v) {
				fixed = false
			}
		}
		if fixed {
			return true
		}
	}
	return false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// wideNetwork reports whether an aws:SourceIp value spans more than an
// IPv4 /8 or an IPv6 /32 (or is no address at all).
func wideNetwork(v string) bool {
	if !strings.Contains(v, "/") {
		_, err := netip.ParseAddr(v)
		return err != nil
	}
	p, err := netip.ParsePrefix(v)
	if err != nil {
		return true
	}
	if p.Addr().Is4() {
		return p.Bits() < 8
	}
	return p.Bits() < 32
}

// sortedKeys returns m's keys in order.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
