package organizations

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// DefaultAccessRole is the role CreateAccount makes in a new account when
// the request names none.
const DefaultAccessRole = "OrganizationAccountAccessRole"

type accountOut struct {
	ID              string  `json:"Id"`
	Arn             string  `json:"Arn"`
	Email           string  `json:"Email,omitempty"`
	Name            string  `json:"Name"`
	Status          string  `json:"Status"`
	State           string  `json:"State"`
	JoinedMethod    string  `json:"JoinedMethod"`
	JoinedTimestamp float64 `json:"JoinedTimestamp"`
}

func (r *orgRecord) accountOut(a *accountRecord) accountOut {
	return accountOut{
		ID: a.ID, Arn: r.accountARN(a.ID), Email: a.Email, Name: a.Name, Status: "ACTIVE", State: "ACTIVE",
		JoinedMethod: a.Method, JoinedTimestamp: epoch(a.Joined),
	}
}

// accounts returns the accounts that keep returns true for, by id.
func (r *orgRecord) accounts(keep func(*accountRecord) bool) []accountOut {
	ids := make([]string, 0, len(r.Accounts))
	for id, a := range r.Accounts {
		if keep(a) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	out := make([]accountOut, 0, len(ids))
	for _, id := range ids {
		out = append(out, r.accountOut(r.Accounts[id]))
	}
	return out
}

type createStatusOut struct {
	ID                 string  `json:"Id"`
	AccountName        string  `json:"AccountName"`
	State              string  `json:"State"`
	RequestedTimestamp float64 `json:"RequestedTimestamp"`
	CompletedTimestamp float64 `json:"CompletedTimestamp,omitempty"`
	AccountID          string  `json:"AccountId,omitempty"`
	FailureReason      string  `json:"FailureReason,omitempty"`
}

func (s *createRecord) out() createStatusOut {
	o := createStatusOut{ID: s.ID, AccountName: s.AccountName, State: s.State, RequestedTimestamp: epoch(s.Requested),
		AccountID: s.AccountID, FailureReason: s.Failure}
	if !s.Completed.IsZero() {
		o.CompletedTimestamp = epoch(s.Completed)
	}
	return o
}

type tagIn struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// createAccount makes a new account of rolecall, a member of the caller's
// organization under its root, and in it the role (RoleName, by default
// OrganizationAccountAccessRole) that trusts the management account and
// has AdministratorAccess. The answer is the request's status, IN_PROGRESS,
// as AWS answers; DescribeCreateAccountStatus reports how it ended.
func (o *Org) createAccount(c *api.Call) (any, error) {
	var in struct {
		Email                  string  `json:"Email"`
		AccountName            string  `json:"AccountName"`
		RoleName               string  `json:"RoleName"`
		IamUserAccessToBilling string  `json:"IamUserAccessToBilling"`
		Tags                   []tagIn `json:"Tags"`
	}
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	if in.RoleName == "" {
		in.RoleName = DefaultAccessRole
	}
	var status createRecord
	var mgmt string
	out, err := o.change(c, func(tx store.Tx, rec *orgRecord) (any, error) {
		now := o.now().UTC()
		status = createRecord{ID: "car-" + randomString(lower, 32), AccountName: in.AccountName, State: "IN_PROGRESS", Requested: now}
		if rec.Created == nil {
			rec.Created = map[string]*createRecord{}
		}
		mgmt = rec.Management
		answer := map[string]any{"CreateAccountStatus": status.out()}
		// An address another account of the organization has: the request
		// fails, as AWS reports it, on DescribeCreateAccountStatus.
		for _, a := range rec.Accounts {
			if a.Email != "" && strings.EqualFold(a.Email, in.Email) {
				failed := status
				failed.State, failed.Failure, failed.Completed = "FAILED", "EMAIL_ALREADY_EXISTS", now
				rec.Created[status.ID] = &failed
				return answer, nil
			}
		}
		id, err := newAccountID(c.Context, tx)
		if err != nil {
			return nil, err
		}
		status.AccountID = id
		rec.Created[status.ID] = &status
		rec.Accounts[id] = &accountRecord{ID: id, Name: in.AccountName, Email: in.Email, Parent: rec.RootID, Method: "CREATED", Joined: now}
		rec.attachDefaults(id)
		if err := rec.setTags(id, in.Tags); err != nil {
			return nil, err
		}
		if err := tx.Put(c.Context, membersTable, id, []byte(rec.ID)); err != nil {
			return nil, err
		}
		return answer, nil
	})
	if err != nil || status.AccountID == "" {
		return out, err
	}
	// The account exists; its access role is made as its root.
	state, failure := "SUCCEEDED", ""
	if err := o.makeAccessRole(context.WithoutCancel(c.Context), status.AccountID, mgmt, in.RoleName); err != nil {
		o.log.Error("organizations: new account's access role", "account", status.AccountID, "err", err)
		state, failure = "FAILED", "INTERNAL_FAILURE"
	}
	ctx := context.WithoutCancel(c.Context)
	_, err = o.st.Update(ctx, func(tx store.Tx) error {
		rec, err := load(ctx, tx, mgmt)
		if err != nil || rec == nil || rec.Created[status.ID] == nil {
			return err
		}
		s := rec.Created[status.ID]
		s.State, s.Failure, s.Completed = state, failure, o.now().UTC()
		if state == "FAILED" && rec.Accounts[status.AccountID] != nil {
			// An account that cannot be reached is not made.
			delete(rec.Accounts, status.AccountID)
			rec.forget(status.AccountID)
			s.AccountID = ""
			if err := tx.Delete(ctx, membersTable, status.AccountID); err != nil {
				return err
			}
		}
		return save(ctx, tx, rec)
	})
	if err != nil {
		return nil, err
	}
	o.gates.invalidate()
	return out, nil
}

// newAccountID picks a 12-digit account id no organization holds.
func newAccountID(ctx context.Context, tx store.Tx) (string, error) {
	for range 10 {
		id := randomString("123456789", 1) + randomString(digits, 11)
		_, err := tx.Get(ctx, membersTable, id)
		if errors.Is(err, store.ErrNotFound) {
			return id, nil
		}
		if err != nil {
			return "", err
		}
	}
	return "", errors.New("organizations: no free account id")
}

// makeAccessRole creates role in account, trusting the management
// account's root and with AdministratorAccess attached, through IAM as the
// account's root.
func (o *Org) makeAccessRole(ctx context.Context, account, management, role string) error {
	root := &api.Principal{Type: api.Root, Account: account, ARN: "arn:aws:iam::" + account + ":root", PrincipalID: account,
		InvokedBy: "organizations.amazonaws.com"}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + management +
		`:root"},"Action":"sts:AssumeRole"}]}`
	calls := []api.Internal{
		{Principal: root, Service: "iam", Operation: "CreateRole", Params: url.Values{
			"RoleName": {role}, "AssumeRolePolicyDocument": {trust}}},
		{Principal: root, Service: "iam", Operation: "AttachRolePolicy", Params: url.Values{
			"RoleName": {role}, "PolicyArn": {"arn:aws:iam::aws:policy/AdministratorAccess"}}},
	}
	for _, in := range calls {
		if _, err := o.inv.Invoke(ctx, in); err != nil {
			return fmt.Errorf("iam %s: %w", in.Operation, err)
		}
	}
	return nil
}

func (o *Org) describeCreateAccountStatus(c *api.Call) (any, error) {
	var in struct {
		CreateAccountRequestID string `json:"CreateAccountRequestId"`
	}
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	rec, err := o.managed(c)
	if err != nil {
		return nil, err
	}
	s := rec.Created[in.CreateAccountRequestID]
	if s == nil {
		return nil, notFound("CreateAccountStatusNotFoundException", "We can't find an create account request with the CreateAccountRequestId that you specified.")
	}
	return map[string]any{"CreateAccountStatus": s.out()}, nil
}

func (o *Org) listCreateAccountStatus(c *api.Call) (any, error) {
	var in struct {
		pageInput
		States []string `json:"States"`
	}
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	rec, err := o.managed(c)
	if err != nil {
		return nil, err
	}
	var all []createStatusOut
	for _, s := range rec.Created {
		if len(in.States) == 0 || contains(in.States, s.State) {
			all = append(all, s.out())
		}
	}
	sort.Slice(all, func(a, b int) bool {
		if all[a].RequestedTimestamp != all[b].RequestedTimestamp {
			return all[a].RequestedTimestamp < all[b].RequestedTimestamp
		}
		return all[a].ID < all[b].ID
	})
	items, next, err := page(c, in.pageInput, all, strings.Join(in.States, ","))
	if err != nil {
		return nil, err
	}
	return listOut("CreateAccountStatuses", items, next), nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (o *Org) describeAccount(c *api.Call) (any, error) {
	var in struct {
		AccountID string `json:"AccountId"`
	}
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	rec, err := o.managed(c)
	if err != nil {
		return nil, err
	}
	a := rec.Accounts[in.AccountID]
	if a == nil {
		return nil, accountNotFound()
	}
	return map[string]any{"Account": rec.accountOut(a)}, nil
}

func (o *Org) listAccounts(c *api.Call) (any, error) {
	var in pageInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	rec, err := o.managed(c)
	if err != nil {
		return nil, err
	}
	items, next, err := page(c, in, rec.accounts(func(*accountRecord) bool { return true }))
	if err != nil {
		return nil, err
	}
	return listOut("Accounts", items, next), nil
}

// isParent reports whether id is the root or an OU.
func (r *orgRecord) isParent(id string) bool { return id == r.RootID || r.OUs[id] != nil }

func (o *Org) listAccountsForParent(c *api.Call) (any, error) {
	var in struct {
		pageInput
		ParentID string `json:"ParentId"`
	}
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	rec, err := o.managed(c)
	if err != nil {
		return nil, err
	}
	if !rec.isParent(in.ParentID) {
		return nil, parentNotFound()
	}
	items, next, err := page(c, in.pageInput, rec.accounts(func(a *accountRecord) bool { return a.Parent == in.ParentID }), in.ParentID)
	if err != nil {
		return nil, err
	}
	return listOut("Accounts", items, next), nil
}

func (o *Org) moveAccount(c *api.Call) (any, error) {
	var in struct {
		AccountID           string `json:"AccountId"`
		SourceParentID      string `json:"SourceParentId"`
		DestinationParentID string `json:"DestinationParentId"`
	}
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	return o.change(c, func(_ store.Tx, rec *orgRecord) (any, error) {
		a := rec.Accounts[in.AccountID]
		switch {
		case a == nil:
			return nil, accountNotFound()
		case !rec.isParent(in.SourceParentID):
			return nil, notFound("SourceParentNotFoundException", "You specified a source parent that doesn't exist.")
		case !rec.isParent(in.DestinationParentID):
			return nil, notFound("DestinationParentNotFoundException", "You specified a destination parent that doesn't exist.")
		case a.Parent != in.SourceParentID:
			return nil, accountNotFound()
		case a.Parent == in.DestinationParentID:
			return nil, api.Errorf(http.StatusBadRequest, "DuplicateAccountException", "That account is already present in the specified destination.")
		}
		a.Parent = in.DestinationParentID
		return struct{}{}, nil
	})
}

// removeAccount makes a member account standalone again.
func (o *Org) removeAccount(c *api.Call) (any, error) {
	var in struct {
		AccountID string `json:"AccountId"`
	}
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	return o.change(c, func(tx store.Tx, rec *orgRecord) (any, error) {
		switch {
		case rec.Accounts[in.AccountID] == nil:
			return nil, accountNotFound()
		case in.AccountID == rec.Management:
			return nil, api.Errorf(http.StatusBadRequest, "MasterCannotLeaveOrganizationException",
				"You can't remove a management account from an organization. If you want the management account to become a member account in another organization, you must first delete the current organization.")
		}
		delete(rec.Accounts, in.AccountID)
		rec.forget(in.AccountID)
		if err := tx.Delete(c.Context, membersTable, in.AccountID); err != nil {
			return nil, err
		}
		return struct{}{}, nil
	})
}

type parentOut struct {
	ID   string `json:"Id"`
	Type string `json:"Type"`
}

func (o *Org) listParents(c *api.Call) (any, error) {
	var in struct {
		pageInput
		ChildID string `json:"ChildId"`
	}
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	rec, err := o.managed(c)
	if err != nil {
		return nil, err
	}
	parent := rec.parentOf(in.ChildID)
	if parent == "" {
		return nil, notFound("ChildNotFoundException", "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.")
	}
	typ := "ORGANIZATIONAL_UNIT"
	if parent == rec.RootID {
		typ = "ROOT"
	}
	items, next, err := page(c, in.pageInput, []parentOut{{ID: parent, Type: typ}}, in.ChildID)
	if err != nil {
		return nil, err
	}
	return listOut("Parents", items, next), nil
}

func (o *Org) listChildren(c *api.Call) (any, error) {
	var in struct {
		pageInput
		ParentID  string `json:"ParentId"`
		ChildType string `json:"ChildType"`
	}
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	rec, err := o.managed(c)
	if err != nil {
		return nil, err
	}
	if !rec.isParent(in.ParentID) {
		return nil, parentNotFound()
	}
	var ids []string
	switch in.ChildType {
	case "ACCOUNT":
		for id, a := range rec.Accounts {
			if a.Parent == in.ParentID {
				ids = append(ids, id)
			}
		}
	case "ORGANIZATIONAL_UNIT":
		for id, ou := range rec.OUs {
			if ou.Parent == in.ParentID {
				ids = append(ids, id)
			}
		}
	default:
		return nil, invalidInput("INVALID_ENUM", "You specified an invalid value.")
	}
	sort.Strings(ids)
	children := make([]parentOut, 0, len(ids))
	for _, id := range ids {
		children = append(children, parentOut{ID: id, Type: in.ChildType})
	}
	items, next, err := page(c, in.pageInput, children, in.ParentID, in.ChildType)
	if err != nil {
		return nil, err
	}
	return listOut("Children", items, next), nil
}
