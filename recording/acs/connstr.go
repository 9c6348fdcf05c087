package acs

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// EnvConnectionString is the environment variable the commands read an ACS
// connection string from when --connection-string is not given.
const EnvConnectionString = "CALLSCOPE_ACS_CONNECTION_STRING"

// MaxConnectionStringLen bounds a connection string.
const MaxConnectionStringLen = 4096

// ConnectionString is a parsed ACS resource connection string,
// "endpoint=https://<resource>.communication.azure.com/;accesskey=<base64>".
type ConnectionString struct {
	Endpoint  *url.URL // scheme and host, path "/" or empty
	AccessKey string   // base64; never log it
}

// String returns the connection string with the access key redacted.
func (c ConnectionString) String() string {
	return "endpoint=" + c.Endpoint.String() + ";accesskey=REDACTED"
}

// ParseConnectionString parses "endpoint=…;accesskey=…" (keys are
// case-insensitive, order free, a trailing ";" allowed). The access key must
// be base64. The endpoint must be https, or http on a loopback host (tests
// and local simulators); errors never contain the key.
func ParseConnectionString(s string) (ConnectionString, error) {
	var cs ConnectionString
	if len(s) > MaxConnectionStringLen {
		return cs, fmt.Errorf("acs connection string: %d bytes, limit %d", len(s), MaxConnectionStringLen)
	}
	var endpoint, key string
	var haveEndpoint, haveKey bool
	for i, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return cs, fmt.Errorf("acs connection string: field %d has no '='", i+1)
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "endpoint":
			if haveEndpoint {
				return cs, errors.New("acs connection string: endpoint given twice")
			}
			endpoint, haveEndpoint = strings.TrimSpace(v), true
		case "accesskey":
			if haveKey {
				return cs, errors.New("acs connection string: accesskey given twice")
			}
			key, haveKey = strings.TrimSpace(v), true
		default:
			return cs, fmt.Errorf("acs connection string: unknown field %q", truncate(strings.TrimSpace(k), 40))
		}
	}
	if !haveEndpoint || endpoint == "" {
		return cs, errors.New("acs connection string: missing endpoint")
	}
	if !haveKey || key == "" {
		return cs, errors.New("acs connection string: missing accesskey")
	}
	u, err := ParseEndpoint(endpoint)
	if err != nil {
		return cs, fmt.Errorf("acs connection string: %w", err)
	}
	if _, err := NewHMACSigner(key); err != nil {
		return cs, errors.New("acs connection string: accesskey is not valid base64")
	}
	cs.Endpoint, cs.AccessKey = u, key
	return cs, nil
}

// ParseEndpoint validates an ACS resource endpoint: an absolute https URL
// without query, fragment or user info, or http when the host is loopback.
func ParseEndpoint(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("endpoint: %w", err)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("endpoint %q: no host", truncate(s, 100))
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("endpoint %q: must not carry user info, query or fragment", u.Host)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !IsLoopback(u.Hostname()) {
			return nil, fmt.Errorf("endpoint %q: plain http is only allowed for loopback hosts", u.Host)
		}
	default:
		return nil, fmt.Errorf("endpoint %q: scheme %q, want https", u.Host, u.Scheme)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// IsLoopback reports whether host (without port) is "localhost" or a
// loopback IP address.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
