package runtime

import (
	"os"
	"testing"
)

func TestParseHWM(t *testing.T) {
	status := []byte("Name:\tbootstrap\nUmask:\t0022\nVmPeak:\t  1236 kB\nVmHWM:\t    5120 kB\nVmRSS:\t 4000 kB\n")
	if v, ok := parseHWM(status); !ok || v != 5120*1024 {
		t.Fatalf("parseHWM = %d, %v", v, ok)
	}
	for _, s := range []string{"", "Name:\tx\n", "Name:\tx\nVmHWM:\t  51", "Name:\tx\nVmHWM:\tlots kB\n"} {
		if v, ok := parseHWM([]byte(s)); ok {
			t.Fatalf("parseHWM(%q) = %d, want none", s, v)
		}
	}
	var h hwmReader
	if v := h.read(os.Getpid()); v <= 0 {
		t.Fatalf("own VmHWM = %d", v)
	}
	h.close()
	if v := h.read(os.Getpid()); v != 0 {
		t.Fatalf("VmHWM after close = %d", v)
	}
}
