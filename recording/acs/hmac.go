package acs

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// EmptyContentHash is x-ms-content-sha256 of an empty body.
const EmptyContentHash = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

// SignedHeaders is the fixed SignedHeaders list of the ACS HMAC scheme.
const SignedHeaders = "x-ms-date;host;x-ms-content-sha256"

// Header names set by [HMACSigner.Sign].
const (
	HeaderDate          = "x-ms-date"
	HeaderContentSHA256 = "x-ms-content-sha256"
	HeaderHost          = "x-ms-host"
)

// HMACSigner signs requests with an ACS resource access key using the
// HMAC-SHA256 scheme of the ACS data plane:
//
//	x-ms-content-sha256 = base64(SHA-256(body))
//	x-ms-date           = RFC 1123 date in GMT
//	string-to-sign      = VERB "\n" pathAndQuery "\n" x-ms-date ";" host ";" x-ms-content-sha256
//	Authorization       = "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=" +
//	                      base64(HMAC-SHA256(base64-decode(accessKey), string-to-sign))
//
// host is the URL authority including a non-default port. A signer is safe
// for concurrent use.
type HMACSigner struct {
	key []byte
}

// NewHMACSigner returns a signer for the base64-encoded access key.
func NewHMACSigner(accessKey string) (*HMACSigner, error) {
	if accessKey == "" {
		return nil, errors.New("acs: empty access key")
	}
	key, err := base64.StdEncoding.DecodeString(accessKey)
	if err != nil {
		return nil, fmt.Errorf("acs: access key is not valid base64: %w", err)
	}
	return &HMACSigner{key: key}, nil
}

// ContentHash returns x-ms-content-sha256 for body.
func ContentHash(body []byte) string {
	sum := sha256.Sum256(body)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// FormatDate formats t as x-ms-date expects (IMF-fixdate, GMT).
func FormatDate(t time.Time) string {
	return t.UTC().Format(http.TimeFormat)
}

// PathAndQuery returns the path-and-query part that is signed for req's URL:
// the escaped path ("/" when empty) plus "?query" when a query is present.
func PathAndQuery(req *http.Request) string {
	u := req.URL
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p
}

// StringToSign builds the string-to-sign of the ACS HMAC scheme.
func StringToSign(method, pathAndQuery, date, host, contentHash string) string {
	return strings.ToUpper(method) + "\n" + pathAndQuery + "\n" + date + ";" + host + ";" + contentHash
}

// Signature returns base64(HMAC-SHA256(key, stringToSign)).
func (s *HMACSigner) Signature(stringToSign string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Authorization returns the Authorization header value for stringToSign.
func (s *HMACSigner) Authorization(stringToSign string) string {
	return "HMAC-SHA256 SignedHeaders=" + SignedHeaders + "&Signature=" + s.Signature(stringToSign)
}

// Sign sets x-ms-date, x-ms-content-sha256 and Authorization on req, whose
// body is body (the caller still sets req.Body). now is the signing time.
//
// signedHost is the host (with a non-default port) that goes into the
// string-to-sign. When empty, req.URL.Host is used and the request is sent
// with that Host. When it differs from req.URL.Host (the recording download
// case: signed against the ACS resource host, sent to the storage host), the
// header x-ms-host: signedHost is also set, as the SDKs do.
func (s *HMACSigner) Sign(req *http.Request, body []byte, signedHost string, now time.Time) error {
	if req == nil || req.URL == nil {
		return errors.New("acs: sign: nil request or URL")
	}
	urlHost := canonicalHost(req.URL.Scheme, req.URL.Host)
	if urlHost == "" {
		return errors.New("acs: sign: request URL has no host")
	}
	host := urlHost
	if signedHost != "" {
		host = signedHost
	}
	date := FormatDate(now)
	hash := ContentHash(body)
	sts := StringToSign(req.Method, PathAndQuery(req), date, host, hash)
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	req.Header.Set(HeaderDate, date)
	req.Header.Set(HeaderContentSHA256, hash)
	req.Header.Set("Authorization", s.Authorization(sts))
	if host != urlHost {
		req.Header.Set(HeaderHost, host)
	} else {
		req.Header.Del(HeaderHost)
	}
	return nil
}

// Verify checks the HMAC headers of a received request (the simulator's
// side of the scheme): the content hash must match body, the date must be
// within maxSkew of now (0 disables the check) and the signature must match
// with host as signed host. It returns a descriptive error on mismatch.
func (s *HMACSigner) Verify(req *http.Request, body []byte, host string, now time.Time, maxSkew time.Duration) error {
	date := req.Header.Get(HeaderDate)
	if date == "" {
		return errors.New("missing x-ms-date")
	}
	if maxSkew > 0 {
		t, err := http.ParseTime(date)
		if err != nil {
			return fmt.Errorf("bad x-ms-date %q: %w", date, err)
		}
		if d := now.Sub(t); d > maxSkew || d < -maxSkew {
			return fmt.Errorf("x-ms-date %q outside allowed skew %s", date, maxSkew)
		}
	}
	hash := req.Header.Get(HeaderContentSHA256)
	if hash != ContentHash(body) {
		return errors.New("x-ms-content-sha256 does not match the body")
	}
	want := s.Authorization(StringToSign(req.Method, PathAndQuery(req), date, host, hash))
	if !hmac.Equal([]byte(want), []byte(req.Header.Get("Authorization"))) {
		return errors.New("signature mismatch")
	}
	return nil
}

// canonicalHost returns host without a default port for scheme.
func canonicalHost(scheme, host string) string {
	switch {
	case strings.EqualFold(scheme, "https") && strings.HasSuffix(host, ":443"):
		return strings.TrimSuffix(host, ":443")
	case strings.EqualFold(scheme, "http") && strings.HasSuffix(host, ":80"):
		return strings.TrimSuffix(host, ":80")
	}
	return host
}
