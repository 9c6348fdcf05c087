package acs

import (
	"strings"
	"testing"
)

func TestParseConnectionString(t *testing.T) {
	tests := []struct {
		in, endpoint, err string
	}{
		{in: "endpoint=https://contoso.communication.azure.com/;accesskey=cHc=", endpoint: "https://contoso.communication.azure.com"},
		{in: "AccessKey=cHc=;Endpoint=https://contoso.communication.azure.com", endpoint: "https://contoso.communication.azure.com"},
		{in: " endpoint = https://c.example:8443 ; accesskey = cHc= ;", endpoint: "https://c.example:8443"},
		{in: "endpoint=http://127.0.0.1:5000/;accesskey=cHc=", endpoint: "http://127.0.0.1:5000"},
		{in: "endpoint=http://localhost:5000;accesskey=cHc=", endpoint: "http://localhost:5000"},
		{in: "endpoint=http://[::1]:5000;accesskey=cHc=", endpoint: "http://[::1]:5000"},
		{in: "endpoint=http://contoso.communication.azure.com;accesskey=cHc=", err: "plain http"},
		{in: "endpoint=ftp://x;accesskey=cHc=", err: "scheme"},
		{in: "endpoint=https://x;accesskey=not*base64", err: "base64"},
		{in: "accesskey=cHc=", err: "missing endpoint"},
		{in: "endpoint=https://x", err: "missing accesskey"},
		{in: "endpoint=https://x;accesskey=cHc=;foo=bar", err: "unknown field"},
		{in: "endpoint=https://x;endpoint=https://y;accesskey=cHc=", err: "twice"},
		{in: "endpoint=https://u:p@x;accesskey=cHc=", err: "user info"},
		{in: "garbage", err: "no '='"},
		{in: "", err: "missing endpoint"},
	}
	for _, tt := range tests {
		cs, err := ParseConnectionString(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err %v, want %q", tt.in, err, tt.err)
			}
			if err != nil && strings.Contains(err.Error(), "cHc=") {
				t.Errorf("%q: error leaks the key: %v", tt.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if cs.Endpoint.String() != tt.endpoint || cs.AccessKey != "cHc=" {
			t.Errorf("%q: got %s", tt.in, cs.Endpoint)
		}
		if strings.Contains(cs.String(), "cHc=") {
			t.Errorf("String leaks the key: %s", cs)
		}
	}
}

func FuzzParseConnectionString(f *testing.F) {
	f.Add("endpoint=https://contoso.communication.azure.com/;accesskey=cHc=")
	f.Add("endpoint=http://127.0.0.1:1;accesskey=")
	f.Add(";;=;endpoint=;")
	f.Fuzz(func(t *testing.T, s string) {
		cs, err := ParseConnectionString(s)
		if err != nil {
			return
		}
		if cs.Endpoint == nil || cs.AccessKey == "" {
			t.Fatalf("accepted %q without endpoint or key", s)
		}
		if cs.Endpoint.Scheme != "https" && !IsLoopback(cs.Endpoint.Hostname()) {
			t.Fatalf("accepted non-https non-loopback endpoint %q", cs.Endpoint)
		}
	})
}
