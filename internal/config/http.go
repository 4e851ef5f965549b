package config

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
)

// reHostName is a DNS name such as localhost or metrics.internal.
var reHostName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$`)

// parseHTTP reads the http key: the address where `bot run` serves
// /healthz, /readyz and /metrics; empty means no server.
func parseHTTP(p *problems, m *mapping) string {
	v, n := m.str("http", false)
	if v == "" {
		return ""
	}
	if err := CheckHTTPAddr(v); err != nil {
		p.add(n, "http: %v", err)
	}
	return v
}

// CheckHTTPAddr checks an address to listen on, as the http key and
// `bot run -http` take it: HOST:PORT with an IP address, a host name or
// nothing (every interface) before the colon, and a port from 0 (any free
// one) to 65535.
func CheckHTTPAddr(v string) error {
	const shape = "write it as HOST:PORT, such as 127.0.0.1:9090 (this machine only) or :9090 (every interface)"
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return fmt.Errorf("%q is not an address to listen on: %s", v, shape)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q has no port from 0 to 65535: %s", v, shape)
	}
	if host != "" && net.ParseIP(host) == nil && !reHostName.MatchString(host) {
		return fmt.Errorf("%q names neither an IP address nor a host name: %s", v, shape)
	}
	return nil
}
