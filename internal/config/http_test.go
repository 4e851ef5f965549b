package config

import (
	"strings"
	"testing"
)

func TestHTTPKey(t *testing.T) {
	c, err := Parse("sy.yaml", []byte("http: 127.0.0.1:9090\n"+valid))
	if err != nil || c.HTTP != "127.0.0.1:9090" {
		t.Fatalf("http: 127.0.0.1:9090 → %q, %v", c.HTTP, err)
	}
	c, err = Parse("sy.yaml", []byte(valid))
	if err != nil || c.HTTP != "" {
		t.Fatalf("no http key → %q, %v; want no server", c.HTTP, err)
	}
	for _, bad := range []string{"9090", "http://127.0.0.1:9090", "127.0.0.1:99999", "127.0.0.1:http", "bad host!:9090", "[::1]"} {
		_, err := Parse("sy.yaml", []byte("http: '"+bad+"'\n"+valid))
		if err == nil || !strings.Contains(err.Error(), "sy.yaml:1: http: ") || !strings.Contains(err.Error(), "HOST:PORT") {
			t.Errorf("http: %s → %v; want a refusal on line 1", bad, err)
		}
	}
}

func TestCheckHTTPAddr(t *testing.T) {
	for _, ok := range []string{"127.0.0.1:9090", ":9090", "0.0.0.0:9090", "[::1]:9090", "localhost:0", "metrics.internal:80"} {
		if err := CheckHTTPAddr(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", ":", "127.0.0.1", ":-1", ":65536", "a b:1", "host/path:1"} {
		if err := CheckHTTPAddr(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
