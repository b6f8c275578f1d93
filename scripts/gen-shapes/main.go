// Command gen-shapes writes internal/shape/models.json.gz: for every AWS
// service model in a directory (the botocore-style JSON models under
// shared/reference/aws-models), the service's protocol, each operation's
// input shape, and every shape reachable from an input with the members'
// wire locations and the constraints AWS validates (required, min, max,
// pattern, enum). Documentation, outputs and errors are left out.
//
// Usage: go run ./scripts/gen-shapes [-models DIR] [-out FILE]
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rolecall/rolecall/internal/shape"
)

// model is the part of a botocore model the generator reads.
type model struct {
	Metadata struct {
		Protocol  string   `json:"protocol"`
		Protocols []string `json:"protocols"`
	} `json:"metadata"`
	Operations map[string]struct {
		Input *struct {
			Shape string `json:"shape"`
		} `json:"input"`
	} `json:"operations"`
	Shapes map[string]rawShape `json:"shapes"`
}

type rawShape struct {
	Type      string     `json:"type"`
	Required  []string   `json:"required"`
	Members   members    `json:"members"`
	Member    *shape.Ref `json:"member"`
	Key       *shape.Ref `json:"key"`
	Value     *shape.Ref `json:"value"`
	Min       *float64   `json:"min"`
	Max       *float64   `json:"max"`
	Pattern   string     `json:"pattern"`
	Enum      []string   `json:"enum"`
	Flattened bool       `json:"flattened"`
}

type rawMember struct {
	Shape        string `json:"shape"`
	Location     string `json:"location"`
	LocationName string `json:"locationName"`
	QueryName    string `json:"queryName"`
	Flattened    bool   `json:"flattened"`
}

// members keeps a structure's members in the model's order.
type members []struct {
	name string
	rawMember
}

func (ms *members) UnmarshalJSON(b []byte) error {
	d := json.NewDecoder(bytes.NewReader(b))
	if _, err := d.Token(); err != nil { // {
		return err
	}
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return err
		}
		var m rawMember
		if err := d.Decode(&m); err != nil {
			return err
		}
		*ms = append(*ms, struct {
			name string
			rawMember
		}{t.(string), m})
	}
	return nil
}

func main() {
	dir := flag.String("models", "../shared/reference/aws-models", "directory of service models")
	out := flag.String("out", "internal/shape/models.json.gz", "output file")
	flag.Parse()
	files, err := filepath.Glob(filepath.Join(*dir, "*.json"))
	if err != nil {
		log.Fatal(err)
	}
	if len(files) == 0 {
		// Writing an empty table would silently drop every service.
		log.Fatalf("no service models (*.json) in %s", *dir)
	}
	all := shape.Models{}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		if strings.Contains(name, ".") { // waiters, paginators
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			log.Fatal(err)
		}
		var m model
		if err := json.Unmarshal(b, &m); err != nil {
			log.Fatalf("%s: %v", f, err)
		}
		if m.Operations == nil {
			continue
		}
		all[name] = convert(&m)
	}
	var buf bytes.Buffer
	if err := shape.Encode(&buf, all); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %d services, %d bytes\n", *out, len(all), buf.Len())
}

// convert keeps the inputs of m's operations and the shapes they reach.
func convert(m *model) *shape.Model {
	out := &shape.Model{Protocol: m.Metadata.Protocol, Operations: map[string]string{}, Shapes: map[string]*shape.Shape{}}
	if out.Protocol == "" && len(m.Metadata.Protocols) > 0 {
		out.Protocol = m.Metadata.Protocols[0]
	}
	var visit func(name string)
	visit = func(name string) {
		if _, done := out.Shapes[name]; done || name == "" {
			return
		}
		raw, ok := m.Shapes[name]
		if !ok {
			log.Fatalf("shape %s not in model", name)
		}
		s := &shape.Shape{
			Type: raw.Type, Member: raw.Member, Key: raw.Key, Value: raw.Value,
			Min: raw.Min, Max: raw.Max, Pattern: raw.Pattern, Enum: raw.Enum, Flattened: raw.Flattened,
		}
		for _, rm := range raw.Members {
			mem := shape.Member{
				Name: rm.name, Shape: rm.Shape, Required: slices.Contains(raw.Required, rm.name),
				Location: rm.Location, QueryName: rm.QueryName, Flattened: rm.Flattened,
			}
			if rm.LocationName != rm.name {
				mem.LocationName = rm.LocationName
			}
			s.Members = append(s.Members, mem)
		}
		out.Shapes[name] = s
		for _, mem := range s.Members {
			visit(mem.Shape)
		}
		for _, r := range []*shape.Ref{s.Member, s.Key, s.Value} {
			if r != nil {
				visit(r.Shape)
			}
		}
	}
	for op, o := range m.Operations {
		in := ""
		if o.Input != nil {
			in = o.Input.Shape
		}
		out.Operations[op] = in
		visit(in)
	}
	return out
}
