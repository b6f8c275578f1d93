package iam

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/store"
)

// Customer and AWS managed policies and their versions.

func policyOut(p *policyRecord, full bool) policyXML {
	x := policyXML{
		PolicyName:                    p.Name,
		PolicyId:                      p.ID,
		Arn:                           p.ARN,
		Path:                          p.Path,
		DefaultVersionId:              p.Default,
		AttachmentCount:               p.Attachments,
		PermissionsBoundaryUsageCount: p.BoundaryUses,
		IsAttachable:                  true,
		CreateDate:                    iso(p.Created),
		UpdateDate:                    iso(p.Updated),
	}
	if full {
		x.Description = p.Description
		x.Tags = p.Tags
	}
	return x
}

func versionOut(p *policyRecord, v *versionRecord, withDoc bool) policyVersionXML {
	x := policyVersionXML{VersionId: v.ID, IsDefaultVersion: v.ID == p.Default, CreateDate: iso(v.Created)}
	if withDoc {
		x.Document = encodeDocument(v.Doc)
	}
	return x
}

// mustPolicy reads the managed policy arn names, or the error IAM gives.
func (i *IAM) mustPolicy(c *api.Call, r store.Reader, arn string) (*policyRecord, error) {
	if !validARN(arn) {
		return nil, invalidInput("ARN %s is not valid.", arn)
	}
	p, _, err := i.policy(c.Context, r, arn)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, noSuchEntity("Policy %s was not found.", arn)
	}
	return p, nil
}

// changePolicy applies fn to the customer managed policy arn names. AWS
// managed policies cannot be changed.
func (i *IAM) changePolicy(c *api.Call, arn string, fn func(p *policyRecord) error) (*policyRecord, error) {
	var out *policyRecord
	err := i.update(c.Context, func(tx store.Tx) error {
		p, err := i.mustPolicy(c, tx, arn)
		if err != nil {
			return err
		}
		if p.AWS {
			return notModifiable(c, arn)
		}
		if err := fn(p); err != nil {
			return err
		}
		out = p
		key, _ := i.policyKey(arn)
		return i.putPolicy(c.Context, tx, key, p)
	})
	return out, err
}

// notModifiable is IAM's answer to changing a policy AWS owns.
func notModifiable(c *api.Call, arn string) error {
	caller := "arn:aws:iam::" + c.Account + ":root"
	if c.Principal != nil && c.Principal.ARN != "" {
		caller = c.Principal.ARN
	}
	op := ""
	if c.Operation != nil {
		op = c.Operation.Name
	}
	if op == "DeletePolicy" {
		return api.AccessDenied("Cannot delete policies outside your own account.")
	}
	return api.AccessDenied("User: " + caller + " is not authorized to perform: iam:" + op + " on resource: policy " + arn)
}

// checkManagedDocument validates a managed policy document.
func checkManagedDocument(doc string) error {
	if _, err := parseDocument(doc, policy.Identity); err != nil {
		return err
	}
	if policy.Size(doc) > maxManagedSize {
		return limitExceeded("Cannot exceed quota for PolicySize: %d", maxManagedSize)
	}
	return nil
}

type policyResult struct {
	Policy policyXML `xml:"Policy"`
}

func createPolicy(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	name := f.str("PolicyName")
	path := f.str("Path")
	doc := f.str("PolicyDocument")
	desc := f.str("Description")
	tags := f.tags("Tags")
	if err := f.err(); err != nil {
		return nil, err
	}
	if path == "" {
		path = "/"
	}
	if err := checkTags(tags); err != nil {
		return nil, err
	}
	if err := checkManagedDocument(doc); err != nil {
		return nil, err
	}
	now := i.clock()
	p := &policyRecord{
		ARN:         i.policyARN(path, name),
		Name:        name,
		ID:          uniqueID(prefixPolicy),
		Path:        path,
		Description: desc,
		Created:     now,
		Updated:     now,
		Default:     "v1",
		Versions:    []versionRecord{{ID: "v1", Doc: doc, Created: now}},
		NextVersion: 2,
		Tags:        tags,
	}
	key := i.nameKey(name)
	err := i.update(c.Context, func(tx store.Tx) error {
		have, err := get[policyRecord](c.Context, tx, tablePolicies, key)
		if err != nil {
			return err
		}
		if have != nil {
			return alreadyExists("A policy called %s already exists. Duplicate names are not allowed.", name)
		}
		return put(c.Context, tx, tablePolicies, key, p)
	})
	if err != nil {
		return nil, err
	}
	return policyResult{Policy: policyOut(p, false)}, nil
}

func getPolicy(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	arn := f.str("PolicyArn")
	if err := f.err(); err != nil {
		return nil, err
	}
	p, err := i.mustPolicy(c, i.store, arn)
	if err != nil {
		return nil, err
	}
	return policyResult{Policy: policyOut(p, true)}, nil
}

type listPoliciesResult struct {
	Policies list[policyXML] `xml:"Policies"`
	page
}

func listPolicies(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	scope := f.str("Scope")
	onlyAttached := f.boolean("OnlyAttached")
	prefix := f.str("PathPrefix")
	usage := f.str("PolicyUsageFilter")
	marker, max := f.paging()
	if err := f.err(); err != nil {
		return nil, err
	}
	after, err := marker.after()
	if err != nil {
		return nil, err
	}
	keep := func(p *policyRecord) bool {
		if !strings.HasPrefix(p.Path, prefix) {
			return false
		}
		if usage == "PermissionsBoundary" && p.BoundaryUses == 0 {
			return false
		}
		if onlyAttached {
			if usage == "PermissionsPolicy" {
				return p.Attachments > 0
			}
			return p.Attachments > 0 || p.BoundaryUses > 0
		}
		return true
	}
	// The listing is the AWS managed policies ("aws/<name>"), then the
	// account's ("local/<name>"), each by name; the Marker holds the last
	// of these keys returned. Each part is read from where the Marker
	// points until the page is full.
	var match []*policyRecord
	var keys []string
	add := func(key string, p *policyRecord) bool {
		if keep(p) {
			match = append(match, p)
			keys = append(keys, key)
		}
		return len(match) <= max
	}
	chunk := min(max+1, 100)
	if scope != "Local" && after < "local/" {
		if err := i.scanAWSPolicies(c.Context, after, onlyAttached || usage == "PermissionsBoundary", chunk, add); err != nil {
			return nil, err
		}
	}
	if scope != "AWS" && len(match) <= max {
		start := ""
		if name, ok := strings.CutPrefix(after, "local/"); ok {
			start = i.prefix() + name
		}
		err := scan(c.Context, i.store, tablePolicies, i.prefix(), start, chunk, func(it store.Item) (bool, error) {
			var p policyRecord
			if err := json.Unmarshal(it.Value, &p); err != nil {
				return false, fmt.Errorf("iam: read %s/%s: %w", tablePolicies, it.Key, err)
			}
			// The counts live apart from the record (tableUses).
			if err := i.countUses(c.Context, i.store, &p); err != nil {
				return false, err
			}
			return add("local/"+strings.TrimPrefix(it.Key, i.prefix()), &p), nil
		})
		if err != nil {
			return nil, err
		}
	}
	pg := page{}
	if len(match) > max {
		match = match[:max]
		pg = page{IsTruncated: true, Marker: api.EncodeToken(marker.scope, keys[max-1])}
	}
	out := make(list[policyXML], 0, len(match))
	for _, p := range match {
		out = append(out, policyOut(p, false))
	}
	return listPoliciesResult{Policies: out, page: pg}, nil
}

func deletePolicy(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	arn := f.str("PolicyArn")
	if err := f.err(); err != nil {
		return nil, err
	}
	err := i.update(c.Context, func(tx store.Tx) error {
		p, err := i.mustPolicy(c, tx, arn)
		if err != nil {
			return err
		}
		if p.AWS {
			return notModifiable(c, arn)
		}
		if p.Attachments > 0 || p.BoundaryUses > 0 {
			return deleteConflict("Cannot delete a policy attached to entities.")
		}
		if len(p.Versions) > 1 {
			return deleteConflict("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
		}
		key, _ := i.policyKey(arn)
		return del(c.Context, tx, tablePolicies, key)
	})
	return nil, err
}

type policyVersionResult struct {
	PolicyVersion policyVersionXML `xml:"PolicyVersion"`
}

func createPolicyVersion(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	arn := f.str("PolicyArn")
	doc := f.str("PolicyDocument")
	setDefault := f.boolean("SetAsDefault")
	if err := f.err(); err != nil {
		return nil, err
	}
	if err := checkManagedDocument(doc); err != nil {
		return nil, err
	}
	var v versionRecord
	p, err := i.changePolicy(c, arn, func(p *policyRecord) error {
		if len(p.Versions) >= maxVersions {
			return limitExceeded("A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", maxVersions)
		}
		v = versionRecord{ID: "v" + strconv.Itoa(p.NextVersion), Doc: doc, Created: i.clock()}
		p.NextVersion++
		p.Versions = append(p.Versions, v)
		if setDefault {
			p.Default = v.ID
			p.Updated = v.Created
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if setDefault {
		i.sets.invalidateAll()
	}
	return policyVersionResult{PolicyVersion: versionOut(p, &v, false)}, nil
}

func getPolicyVersion(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	arn := f.str("PolicyArn")
	vid := f.str("VersionId")
	if err := f.err(); err != nil {
		return nil, err
	}
	p, err := i.mustPolicy(c, i.store, arn)
	if err != nil {
		return nil, err
	}
	v := p.version(vid)
	if v == nil {
		return nil, noVersion(arn, vid)
	}
	return policyVersionResult{PolicyVersion: versionOut(p, v, true)}, nil
}

func noVersion(arn, vid string) error {
	return noSuchEntity("Policy %s version %s does not exist or is not attachable.", arn, vid)
}

type listVersionsResult struct {
	Versions list[policyVersionXML] `xml:"Versions"`
	page
}

func listPolicyVersions(i *IAM, c *api.Call) (any, error) {
	f := newForm(c)
	arn := f.str("PolicyArn")
	marker, max := f.paging()
	if err := f.err(); err != nil {
		return nil, err
	}
	p, err := i.mustPolicy(c, i.store, arn)
	if err != nil {
		return nil, err
	}
	// Newest first.
	items := make([]policyVersionXML, 0, len(p.Versions))
	for n := range p.Versions {
		items = append(items, versionOut(p, &p.Versions[len(p.Versions)-1-n], false))
	}
	got, pg, err := pageInOrder(items, marker, max)
	if err != nil {
		return nil, err
	}
	return listVersionsResult{Versions: got, page: pg}, nil
}

// changeVersion applies fn to the customer managed policy PolicyArn names
// once the version VersionId names is known to exist.
func (i *IAM) changeVersion(c *api.Call, fn func(p *policyRecord, vid string) error) error {
	f := newForm(c)
	arn := f.str("PolicyArn")
	vid := f.str("VersionId")
	if err := f.err(); err != nil {
		return err
	}
	_, err := i.changePolicy(c, arn, func(p *policyRecord) error {
		if p.version(vid) == nil {
			return noVersion(arn, vid)
		}
		return fn(p, vid)
	})
	return err
}

func deletePolicyVersion(i *IAM, c *api.Call) (any, error) {
	err := i.changeVersion(c, func(p *policyRecord, vid string) error {
		if vid == p.Default {
			return deleteConflict("Cannot delete the default version of a policy.")
		}
		kept := p.Versions[:0:0]
		for _, v := range p.Versions {
			if v.ID != vid {
				kept = append(kept, v)
			}
		}
		p.Versions = kept
		return nil
	})
	return nil, err
}

func setDefaultPolicyVersion(i *IAM, c *api.Call) (any, error) {
	err := i.changeVersion(c, func(p *policyRecord, vid string) error {
		if p.Default != vid {
			p.Default = vid
			p.Updated = i.clock()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	i.sets.invalidateAll()
	return nil, nil
}
