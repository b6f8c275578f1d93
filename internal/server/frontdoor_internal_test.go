package server

import (
	"net"
	"testing"
)

// BenchmarkFunctionPeer is what the main listener pays per accepted
// loopback connection to find whether a function's uid holds it.
func BenchmarkFunctionPeer(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	c, err := ln.Accept()
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if _, limited := functionPeer(c); limited {
		b.Fatal("a connection of rolecall's own uid is limited")
	}
	for b.Loop() {
		functionPeer(c)
	}
}
