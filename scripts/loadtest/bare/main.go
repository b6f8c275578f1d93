// Command bare is the reference the gateway's throughput is measured
// against: a plain net/http server that answers every request with the bytes
// and headers rolecall answers sts:GetCallerIdentity with, and nothing else
// (no signature, no authorization, no trail).
//
// Usage: go run ./scripts/loadtest/bare -addr 127.0.0.1:18567
package main

import (
	"crypto/rand"
	"encoding/hex"
	"flag"
	"io"
	"log"
	"net/http"
	"strconv"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18567", "listen address")
	flag.Parse()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		var b [16]byte
		_, _ = rand.Read(b[:])
		h := hex.EncodeToString(b[:])
		id := h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
		body := `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
			`<UserId>123456789012</UserId><Account>123456789012</Account><Arn>arn:aws:iam::123456789012:root</Arn>` +
			`</GetCallerIdentityResult><ResponseMetadata><RequestId>` + id + `</RequestId></ResponseMetadata></GetCallerIdentityResponse>`
		hdr := w.Header()
		hdr.Set("Content-Type", "text/xml")
		hdr.Set("x-amzn-RequestId", id)
		hdr.Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = io.WriteString(w, body)
	})
	log.Fatal(http.ListenAndServe(*addr, nil))
}
