package iam

import (
	"fmt"
	"testing"
)

// BenchmarkListRoles lists the roles of an account of 10,000: a page of
// one, a page of 1,000, and a page of ten from the middle (after a
// Marker), with and without a PathPrefix that selects a tenth of them.
// A page costs what it returns, not what the account holds.
func BenchmarkListRoles(b *testing.B) {
	const n = 10000
	f := newFixture(b)
	for k := range n {
		path := "/"
		if k%10 == 0 {
			path = "/tenth/"
		}
		f.must("CreateRole", "RoleName", fmt.Sprintf("role%05d", k), "Path", path, "AssumeRolePolicyDocument", lambdaTrust)
	}
	// skip returns the Marker after the first count roles of the listing.
	skip := func(count int, kv ...string) string {
		var r struct{ Marker string }
		for count > 0 {
			page := min(count, 1000)
			args := append([]string{"MaxItems", fmt.Sprint(page)}, kv...)
			if r.Marker != "" {
				args = append(args, "Marker", r.Marker)
			}
			decode(b, f.must("ListRoles", args...), &r)
			count -= page
		}
		return r.Marker
	}
	mid := skip(n / 2)
	midTenth := skip(n/20, "PathPrefix", "/tenth/")
	for _, bc := range []struct {
		name string
		kv   []string
	}{
		{"MaxItems=1", []string{"MaxItems", "1"}},
		{"MaxItems=1000", []string{"MaxItems", "1000"}},
		{"middle/MaxItems=10", []string{"MaxItems", "10", "Marker", mid}},
		{"PathPrefix/MaxItems=1", []string{"PathPrefix", "/tenth/", "MaxItems", "1"}},
		{"PathPrefix/middle/MaxItems=10", []string{"PathPrefix", "/tenth/", "MaxItems", "10", "Marker", midTenth}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				f.must("ListRoles", bc.kv...)
			}
		})
	}
}
