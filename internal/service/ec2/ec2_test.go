package ec2

import (
	"context"
	"errors"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/gateway"
	"github.com/rolecall/rolecall/internal/store"
)

// node is one process's EC2 on a shared SQLite database, with its feed.
func node(t *testing.T, path string) *EC2 {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st, err := store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	feed, err := store.NewFeed(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	e := New(Config{Account: "123456789012", Region: "us-east-1", Store: st, Endpoints: NewEndpoints(st, feed),
		Services: func() []string { return []string{"s3", "sts"} }})
	go func() { done <- feed.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		_ = st.Close()
	})
	return e
}

// call runs an operation's handler as the account's root.
func call(t *testing.T, e *EC2, op string, params url.Values) (any, error) {
	t.Helper()
	c := &api.Call{Context: context.Background(), Params: params, Account: "123456789012", Region: "us-east-1", OperationName: op,
		Principal: &api.Principal{Type: api.Root, Account: "123456789012", ARN: "arn:aws:iam::123456789012:root"},
		// The account's root outside any organization may do anything the
		// handler asks the gateway to authorize besides the operation.
		Authorize: func(string, api.Resource, map[string][]string) error { return nil }}
	o := e.Service().Operations[op]
	if o == nil {
		t.Fatalf("no operation %s", op)
	}
	return o.Handle(c)
}

func code(err error) string {
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

// eventually polls f until it holds, for changes that reach another
// process through the store's change feed.
func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !f(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: never", what)
		}
	}
}

// TestGatewayEndpointAcrossNodes: a gateway endpoint for S3 on a VPC's main
// route table is what another process sharing the store finds for calls
// from the VPC to S3 (not to STS); a new policy and the endpoint's deletion
// reach it through the change feed.
func TestGatewayEndpointAcrossNodes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	a, b := node(t, path), node(t, path)
	ctx := context.Background()

	out, err := call(t, a, "CreateVpc", url.Values{"CidrBlock": {"10.0.0.0/16"}})
	if err != nil {
		t.Fatal(err)
	}
	vpc := out.(*createVpcResponse).Vpc.VpcID
	out, err = call(t, a, "DescribeRouteTables", url.Values{"Filter.1.Name": {"vpc-id"}, "Filter.1.Value.1": {vpc}})
	if err != nil || len(out.(*describeRouteTablesResponse).RouteTables) != 1 {
		t.Fatalf("main route table: %+v %v", out, err)
	}
	rtb := out.(*describeRouteTablesResponse).RouteTables[0].RouteTableID

	for _, bad := range []url.Values{
		{"VpcId": {vpc}, "ServiceName": {"com.amazonaws.us-east-1.sts"}, "VpcEndpointType": {"Gateway"}},
		{"VpcId": {vpc}, "ServiceName": {"com.amazonaws.us-east-1.s3"}, "VpcEndpointType": {"Gateway"}, "SubnetId.1": {"subnet-0123456789abcdef0"}},
		{"VpcId": {vpc}, "ServiceName": {"com.amazonaws.eu-west-1.s3"}},
		{"VpcId": {vpc}, "ServiceName": {"com.amazonaws.us-east-1.s3"}, "RouteTableId.1": {"rtb-0123456789abcdef0"}},
	} {
		if _, err := call(t, a, "CreateVpcEndpoint", bad); code(err) == "" {
			t.Errorf("CreateVpcEndpoint %v: %v", bad, err)
		}
	}
	out, err = call(t, a, "CreateVpcEndpoint", url.Values{"VpcId": {vpc}, "ServiceName": {"com.amazonaws.us-east-1.s3"}, "RouteTableId.1": {rtb}, "ClientToken": {"t1"}})
	if err != nil {
		t.Fatal(err)
	}
	ep := out.(*createEndpointResponse).VpcEndpoint
	if ep.VpcEndpointType != "Gateway" || len(ep.RouteTableIDs) != 1 || ep.PolicyDocument != DefaultEndpointPolicy {
		t.Fatalf("CreateVpcEndpoint: %+v", ep)
	}
	// A retry with the same client token gets the same endpoint.
	again, err := call(t, a, "CreateVpcEndpoint", url.Values{"VpcId": {vpc}, "ServiceName": {"com.amazonaws.us-east-1.s3"}, "RouteTableId.1": {rtb}, "ClientToken": {"t1"}})
	if err != nil || again.(*createEndpointResponse).VpcEndpoint.VpcEndpointID != ep.VpcEndpointID {
		t.Fatalf("retry with the client token: %+v %v", again, err)
	}
	if _, err := call(t, a, "CreateVpcEndpoint", url.Values{"VpcId": {vpc}, "ServiceName": {"com.amazonaws.us-east-1.sts"}, "VpcEndpointType": {"Interface"}, "ClientToken": {"t1"}}); code(err) != "IdempotentParameterMismatch" {
		t.Errorf("the client token with other parameters: %v", err)
	}
	if _, err := call(t, a, "CreateVpcEndpoint", url.Values{"VpcId": {vpc}, "ServiceName": {"com.amazonaws.us-east-1.s3"}}); code(err) != "RouteAlreadyExists" {
		t.Errorf("a second S3 endpoint: %v", err)
	}
	out, _ = call(t, a, "DescribeRouteTables", url.Values{"RouteTableId.1": {rtb}})
	if routes := out.(*describeRouteTablesResponse).RouteTables[0].Routes; len(routes) != 2 || routes[1].GatewayID != ep.VpcEndpointID {
		t.Errorf("routes: %+v", routes)
	}

	found := func(service string) *gateway.VPCEndpoint {
		got, err := b.endpoints.Endpoint(ctx, vpc, service, "us-east-1")
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := found("s3")
	if got == nil || got.ID != ep.VpcEndpointID || got.VPC != vpc || got.Policy == nil {
		t.Fatalf("Endpoint s3: %+v", got)
	}
	if found("sts") != nil {
		t.Errorf("an endpoint for sts")
	}

	if _, err := call(t, a, "ModifyVpcEndpoint", url.Values{"VpcEndpointId": {ep.VpcEndpointID},
		"PolicyDocument": {`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}`}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the new policy reaches the other node", func() bool { return found("s3").Policy != got.Policy })
	// Off the route table, the endpoint carries no call.
	if _, err := call(t, a, "ModifyVpcEndpoint", url.Values{"VpcEndpointId": {ep.VpcEndpointID}, "RemoveRouteTableId.1": {rtb}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the route table's removal reaches the other node", func() bool { return found("s3") == nil })
	if _, err := call(t, a, "ModifyVpcEndpoint", url.Values{"VpcEndpointId": {ep.VpcEndpointID}, "AddRouteTableId.1": {rtb}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the route table's return reaches the other node", func() bool { return found("s3") != nil })
	if _, err := call(t, a, "ModifyVpcEndpoint", url.Values{"VpcEndpointId": {ep.VpcEndpointID}, "PolicyDocument": {`{"Statement":[]}`}}); code(err) != "MalformedPolicyDocument" {
		t.Errorf("an empty policy: %v", err)
	}
	out, err = call(t, a, "DeleteVpcEndpoints", url.Values{"VpcEndpointId.1": {ep.VpcEndpointID}})
	if err != nil || len(out.(*deleteEndpointsResponse).Unsuccessful) != 0 {
		t.Fatalf("DeleteVpcEndpoints: %+v %v", out, err)
	}
	eventually(t, "the deletion reaches the other node", func() bool { return found("s3") == nil })
}

func TestGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"vpc-*", "vpc-0a", true}, {"10.0.?.0/24", "10.0.1.0/24", true}, {"a*c", "abbbc", true},
		{"a*c", "abd", false}, {"exact", "exact", true}, {"exact", "exactly", false}, {"*", "", true},
	} {
		if got := globMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v", tc.pattern, tc.s, got)
		}
	}
	if z := zoneID("us-east-1", 0); z != "use1-az1" {
		t.Errorf("zoneID = %s", z)
	}
}

// TestPagingAndParameters: MaxResults and NextToken page the Describe
// operations; a parameter the operation does not honour is refused.
func TestPagingAndParameters(t *testing.T) {
	e := node(t, filepath.Join(t.TempDir(), "db"))
	var made []string
	for i := range 7 {
		out, err := call(t, e, "CreateVpc", url.Values{"CidrBlock": {"10." + strconv.Itoa(i) + ".0.0/16"}})
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, out.(*createVpcResponse).Vpc.VpcID)
	}
	var seen []string
	params := url.Values{"MaxResults": {"5"}}
	for pages := 0; ; pages++ {
		out, err := call(t, e, "DescribeVpcs", params)
		if err != nil {
			t.Fatal(err)
		}
		r := out.(*describeVpcsResponse)
		for _, v := range r.Vpcs {
			seen = append(seen, v.VpcID)
		}
		if r.NextToken == "" {
			if pages != 1 {
				t.Errorf("%d pages", pages+1)
			}
			break
		}
		params.Set("NextToken", r.NextToken)
	}
	slices.Sort(made)
	if !slices.Equal(seen, made) {
		t.Errorf("pages gave %v, want %v", seen, made)
	}
	if _, err := call(t, e, "DescribeVpcs", url.Values{"MaxResults": {"4"}}); code(err) != "InvalidParameterValue" {
		t.Errorf("MaxResults 4: %v", err)
	}
	if err := checkParameters(&api.Call{OperationName: "CreateVpc", Params: url.Values{"CidrBlock": {"10.0.0.0/16"}, "AmazonProvidedIpv6CidrBlock": {"true"}}}); err == nil || err.Code != "UnsupportedOperation" {
		t.Errorf("an IPv6 block: %v", err)
	}
	if err := checkParameters(&api.Call{OperationName: "CreateVpc", Params: url.Values{"Action": {"CreateVpc"}, "Version": {"2016-11-15"}, "CidrBlock": {"10.0.0.0/16"}, "TagSpecification.1.ResourceType": {"vpc"}}}); err != nil {
		t.Errorf("CreateVpc's own parameters: %v", err)
	}
}
