package runtime

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRuntimeAPIProtocol(t *testing.T) {
	dead := make(chan struct{})
	a, err := newRuntimeAPI(dead, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	base := "http://" + a.addr() + "/2018-06-01/runtime/"
	deadline := time.Now().Add(time.Minute)
	inv := newInvocation("req-1", []byte(`{"a":1}`), deadline, "arn:aws:lambda:us-east-1:123456789012:function:f:1",
		InvokeOptions{TraceID: "Root=1-a-b", ClientContext: `{"custom":{}}`})
	go func() { a.next <- inv }()

	resp, err := http.Get(base + "invocation/next")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	h := resp.Header
	if string(body) != `{"a":1}` || h.Get("Lambda-Runtime-Aws-Request-Id") != "req-1" ||
		h.Get("Lambda-Runtime-Deadline-Ms") != jsonNum(deadline.UnixMilli()) ||
		h.Get("Lambda-Runtime-Invoked-Function-Arn") != inv.arn || h.Get("Lambda-Runtime-Trace-Id") != "Root=1-a-b" ||
		h.Get("Lambda-Runtime-Client-Context") != `{"custom":{}}` || h.Get("Lambda-Runtime-Cognito-Identity") != "" {
		t.Fatalf("next: %s %v", body, h)
	}
	select {
	case <-a.ready:
	default:
		t.Fatal("first /next did not end init")
	}

	post := func(path, body string) (int, map[string]string) {
		resp, err := http.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]string
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	if code, m := post("invocation/other/response", "{}"); code != 400 || m["errorType"] != "InvalidRequestID" {
		t.Errorf("unknown id: %d %v", code, m)
	}
	if code, m := post("invocation/req-1/response", `"ok"`); code != 202 || m["status"] != "OK" {
		t.Errorf("response: %d %v", code, m)
	}
	if code, m := post("invocation/req-1/error", `{}`); code != 403 || m["errorType"] != "InvalidStateTransition" {
		t.Errorf("second response: %d %v", code, m)
	}
	if code, _ := post("init/error", `{}`); code != 403 {
		t.Errorf("init error after init: %d", code)
	}
	<-inv.done
	if string(inv.resp) != `"ok"` || inv.errType != "" {
		t.Errorf("outcome %q %q", inv.resp, inv.errType)
	}

	inv2 := newInvocation("req-2", nil, deadline, "arn", InvokeOptions{})
	go func() { a.next <- inv2 }()
	resp, _ = http.Get(base + "invocation/next")
	resp.Body.Close()
	if code, m := post("invocation/req-2/response", strings.Repeat("x", MaxResponsePayload+1)); code != 413 || m["errorType"] != "RequestEntityTooLarge" {
		t.Errorf("too large: %d %v", code, m)
	}
	<-inv2.done
	if !inv2.tooBig {
		t.Error("too large response not recorded")
	}
	if resp, _ := http.Get("http://" + a.addr() + "/2018-06-01/runtime/unknown"); resp.StatusCode != 404 {
		t.Errorf("unknown path: %d", resp.StatusCode)
	}
}

func jsonNum(n int64) string { b, _ := json.Marshal(n); return string(b) }
