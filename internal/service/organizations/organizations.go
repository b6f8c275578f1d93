// Package organizations is AWS Organizations (awsJson1.1, target prefix
// AWSOrganizationsV20161128, global: us-east-1): an organization whose
// management account is the caller's, member accounts that CreateAccount
// makes as real accounts of rolecall, organizational units, and service
// control and resource control policies attached to the root, OUs and
// accounts. It also answers the gateway's question of where an account
// stands in an organization (Org.Account), with the compiled policies
// that apply to it.
package organizations

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/shape"
	"github.com/rolecall/rolecall/internal/store"
)

// TargetPrefix is the X-Amz-Target prefix of Organizations requests.
const TargetPrefix = "AWSOrganizationsV20161128"

// Store tables. An organization is one record (its accounts, OUs,
// policies and attachments), changed in one transaction; members maps
// each account in an organization to it.
const (
	orgsTable    = "org_organizations" // organization id → orgRecord
	membersTable = "org_members"       // account id → organization id
)

// Config configures the service.
type Config struct {
	Store store.Store
	// Invoker runs the IAM calls that set up a new member account
	// (OrganizationAccountAccessRole) as the account's root.
	Invoker api.Invoker
	// Feed, when set, drops the compiled policies of accounts whose
	// organization changed on another node sharing Store.
	Feed *store.Feed
	Now  func() time.Time
	// Logger receives what a request cannot report to its caller (an
	// account whose access role could not be made); nil is slog.Default().
	Logger *slog.Logger
}

// Org is the Organizations service.
type Org struct {
	st    store.Store
	inv   api.Invoker
	now   func() time.Time
	log   *slog.Logger
	gates gateCache
}

// New returns the service.
func New(cfg Config) (*Org, error) {
	if cfg.Store == nil || cfg.Invoker == nil {
		return nil, errors.New("organizations: Config needs Store and Invoker")
	}
	o := &Org{st: cfg.Store, inv: cfg.Invoker, now: cfg.Now, log: cfg.Logger}
	if o.now == nil {
		o.now = time.Now
	}
	if o.log == nil {
		o.log = slog.Default()
	}
	o.gates.init()
	if cfg.Feed != nil {
		cfg.Feed.Subscribe([]string{orgsTable, membersTable}, func(store.Change) { o.gates.invalidate() }, o.gates.invalidate)
	}
	return o, nil
}

// Service returns the operation table. An action on a policy, root, OU or
// account is authorized on its ARN (AttachPolicy and DetachPolicy on both
// the policy's and the target's, as IAM's catalog lists them); the others
// on "*".
func (o *Org) Service() *api.Service {
	op := func(name string, h func(c *api.Call) (any, error), readOnly bool, on ...member) *api.Operation {
		action := "organizations:" + name
		x := &api.Operation{Name: name, Action: action, ReadOnly: readOnly, Conditions: o.conditions, Handle: h}
		for i, m := range on {
			if i == 0 {
				x.Resource = o.resource(m)
				continue
			}
			x.Also = append(x.Also, api.Check{Action: action, Resource: o.resource(m), Conditions: o.conditions})
		}
		return x
	}
	return api.NewService(api.Service{
		Name:         "organizations",
		EventSource:  "organizations.amazonaws.com",
		Protocols:    []string{"awsJson1_1"},
		TargetPrefix: TargetPrefix,
		Global:       true,
		Validate:     shape.Hook("organizations", "InvalidInputException"),
	},
		op("CreateOrganization", o.createOrganization, false),
		op("DescribeOrganization", o.describeOrganization, true),
		op("DeleteOrganization", o.deleteOrganization, false),
		op("ListRoots", o.listRoots, true),
		op("EnablePolicyType", o.enablePolicyType, false, byRoot),
		op("DisablePolicyType", o.disablePolicyType, false, byRoot),
		op("CreateAccount", o.createAccount, false),
		op("DescribeCreateAccountStatus", o.describeCreateAccountStatus, true),
		op("ListCreateAccountStatus", o.listCreateAccountStatus, true),
		op("DescribeAccount", o.describeAccount, true, byAccount),
		op("ListAccounts", o.listAccounts, true),
		op("ListAccountsForParent", o.listAccountsForParent, true, byParent),
		op("MoveAccount", o.moveAccount, false, byAccount, byDestination),
		op("RemoveAccountFromOrganization", o.removeAccount, false, byAccount),
		op("ListParents", o.listParents, true, byChild),
		op("ListChildren", o.listChildren, true, byParent),
		op("CreateOrganizationalUnit", o.createOU, false, byParent),
		op("DescribeOrganizationalUnit", o.describeOU, true, byOU),
		op("UpdateOrganizationalUnit", o.updateOU, false, byOU),
		op("DeleteOrganizationalUnit", o.deleteOU, false, byOU),
		op("ListOrganizationalUnitsForParent", o.listOUsForParent, true, byParent),
		op("CreatePolicy", o.createPolicy, false),
		op("DescribePolicy", o.describePolicy, true, byPolicy),
		op("UpdatePolicy", o.updatePolicy, false, byPolicy),
		op("DeletePolicy", o.deletePolicy, false, byPolicy),
		op("ListPolicies", o.listPolicies, true),
		op("AttachPolicy", o.attachPolicy, false, byPolicy, byTarget),
		op("DetachPolicy", o.detachPolicy, false, byPolicy, byTarget),
		op("ListPoliciesForTarget", o.listPoliciesForTarget, true, byTarget),
		op("ListTargetsForPolicy", o.listTargetsForPolicy, true, byPolicy),
		op("TagResource", o.tagResource, false, byResource),
		op("UntagResource", o.untagResource, false, byResource),
		op("ListTagsForResource", o.listTagsForResource, true, byResource),
	)
}

// Policy types.
const (
	typeSCP = "SERVICE_CONTROL_POLICY"
	typeRCP = "RESOURCE_CONTROL_POLICY"
)

// orgRecord is an organization, whole.
type orgRecord struct {
	ID         string `json:"id"`
	Management string `json:"management"` // account id
	Email      string `json:"email"`
	FeatureSet string `json:"featureSet"`
	RootID     string `json:"rootId"`
	// PolicyTypes enabled on the root.
	PolicyTypes []string                     `json:"policyTypes,omitempty"`
	Accounts    map[string]*accountRecord    `json:"accounts"`
	OUs         map[string]*ouRecord         `json:"ous,omitempty"`
	Policies    map[string]*policyRecord     `json:"policies,omitempty"`
	Attached    map[string][]string          `json:"attached,omitempty"` // target id → policy ids
	Created     map[string]*createRecord     `json:"created,omitempty"`  // car- id → status
	Tags        map[string]map[string]string `json:"tags,omitempty"`     // resource id → tags
}

type accountRecord struct {
	ID     string    `json:"id"`
	Name   string    `json:"name"`
	Email  string    `json:"email"`
	Parent string    `json:"parent"`
	Method string    `json:"method"` // CREATED or INVITED
	Joined time.Time `json:"joined"`
}

type ouRecord struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Parent string `json:"parent"`
}

type policyRecord struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Type        string `json:"type"`
	Content     string `json:"content"`
	AWSManaged  bool   `json:"awsManaged,omitempty"`
}

type createRecord struct {
	ID          string    `json:"id"`
	AccountName string    `json:"accountName"`
	AccountID   string    `json:"accountId,omitempty"`
	State       string    `json:"state"`
	Failure     string    `json:"failure,omitempty"`
	Requested   time.Time `json:"requested"`
	Completed   time.Time `json:"completed,omitempty"`
}

// The AWS managed policies every organization has.
var awsPolicies = map[string]*policyRecord{
	"p-FullAWSAccess": {
		ID: "p-FullAWSAccess", Name: "FullAWSAccess", Type: typeSCP, AWSManaged: true,
		Description: "Allows access to every operation",
		Content:     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
	},
	"p-RCPFullAWSAccess": {
		ID: "p-RCPFullAWSAccess", Name: "RCPFullAWSAccess", Type: typeRCP, AWSManaged: true,
		Description: "Allows access to every operation",
		Content:     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`,
	},
}

// fullAccess is the AWS managed policy each type attaches everywhere when
// enabled.
var fullAccess = map[string]string{typeSCP: "p-FullAWSAccess", typeRCP: "p-RCPFullAWSAccess"}

// policy returns the policy id, the organization's or AWS's.
func (r *orgRecord) policy(id string) *policyRecord {
	if p, ok := awsPolicies[id]; ok {
		return p
	}
	return r.Policies[id]
}

func (r *orgRecord) enabled(typ string) bool {
	for _, t := range r.PolicyTypes {
		if t == typ {
			return true
		}
	}
	return false
}

// ARNs.
func (r *orgRecord) arn() string {
	return "arn:aws:organizations::" + r.Management + ":organization/" + r.ID
}

func (r *orgRecord) rootARN() string {
	return "arn:aws:organizations::" + r.Management + ":root/" + r.ID + "/" + r.RootID
}

func (r *orgRecord) accountARN(id string) string {
	return "arn:aws:organizations::" + r.Management + ":account/" + r.ID + "/" + id
}

func (r *orgRecord) ouARN(id string) string {
	return "arn:aws:organizations::" + r.Management + ":ou/" + r.ID + "/" + id
}

func (r *orgRecord) policyARN(p *policyRecord) string {
	typ := strings.ToLower(p.Type)
	if p.AWSManaged {
		return "arn:aws:organizations::aws:policy/" + typ + "/" + p.ID
	}
	return "arn:aws:organizations::" + r.Management + ":policy/" + r.ID + "/" + typ + "/" + p.ID
}

// targetARN returns the ARN and kind of a root, OU or account id, or "".
func (r *orgRecord) target(id string) (arn, kind, name string) {
	switch {
	case id == r.RootID:
		return r.rootARN(), "ROOT", "Root"
	case r.OUs[id] != nil:
		return r.ouARN(id), "ORGANIZATIONAL_UNIT", r.OUs[id].Name
	case r.Accounts[id] != nil:
		return r.accountARN(id), "ACCOUNT", r.Accounts[id].Name
	}
	return "", "", ""
}

// parentOf returns the parent of an OU or account ("" for the root or an
// unknown id).
func (r *orgRecord) parentOf(id string) string {
	if ou := r.OUs[id]; ou != nil {
		return ou.Parent
	}
	if a := r.Accounts[id]; a != nil {
		return a.Parent
	}
	return ""
}

// path returns the ids from the root down to id, inclusive.
func (r *orgRecord) path(id string) []string {
	var ids []string
	for cur := id; cur != ""; cur = r.parentOf(cur) {
		ids = append([]string{cur}, ids...)
		if cur == r.RootID || len(ids) > 10 {
			break
		}
	}
	return ids
}

// The alphabets of AWS's identifiers: o-, r-, ou-, p- and car- ids are
// lower-case letters and digits, account ids twelve digits.
const (
	lower  = "abcdefghijklmnopqrstuvwxyz0123456789"
	digits = "0123456789"
)

// maxOUDepth is how deep OUs nest under the root.
const maxOUDepth = 5

// randomString returns n characters drawn from alphabet.
func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			panic(fmt.Sprintf("organizations: random: %v", err))
		}
		b[i] = alphabet[k.Int64()]
	}
	return string(b)
}

// load reads the organization of account; nil, nil when it is in none.
func load(ctx context.Context, r store.Reader, account string) (*orgRecord, error) {
	id, err := r.Get(ctx, membersTable, account)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("organizations: read %s/%s: %w", membersTable, account, err)
	}
	b, err := r.Get(ctx, orgsTable, string(id))
	if err != nil {
		return nil, fmt.Errorf("organizations: read %s/%s: %w", orgsTable, id, err)
	}
	var rec orgRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("organizations: decode %s/%s: %w", orgsTable, id, err)
	}
	return &rec, nil
}

func save(ctx context.Context, tx store.Tx, rec *orgRecord) error {
	if err := store.PutJSON(ctx, tx, orgsTable, rec.ID, rec); err != nil {
		return fmt.Errorf("organizations: write %s: %w", rec.ID, err)
	}
	return nil
}

// view reads the caller's organization, or AWSOrganizationsNotInUseException.
func (o *Org) view(c *api.Call) (*orgRecord, error) {
	rec, err := load(c.Context, o.st, c.Account)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, notInUse()
	}
	return rec, nil
}

// change runs fn on the caller's organization in one transaction; only
// the management account may (AccessDeniedException otherwise). fn
// returns the output; the record is saved when fn returns no error.
func (o *Org) change(c *api.Call, fn func(tx store.Tx, rec *orgRecord) (any, error)) (any, error) {
	var out any
	_, err := o.st.Update(c.Context, func(tx store.Tx) error {
		out = nil
		rec, err := load(c.Context, tx, c.Account)
		if err != nil {
			return err
		}
		if rec == nil {
			return notInUse()
		}
		if rec.Management != c.Account {
			return managementOnly()
		}
		if out, err = fn(tx, rec); err != nil {
			return err
		}
		return save(c.Context, tx, rec)
	})
	if err != nil {
		return nil, err
	}
	o.gates.invalidate()
	return out, nil
}

// managed reads the caller's organization for an operation only the
// management account may call.
func (o *Org) managed(c *api.Call) (*orgRecord, error) {
	rec, err := o.view(c)
	if err != nil {
		return nil, err
	}
	if rec.Management != c.Account {
		return nil, managementOnly()
	}
	return rec, nil
}

func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }
