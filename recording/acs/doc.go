// Package acs talks to Azure Communication Services: the Call Automation
// recording REST API (Client: start, state, pause, resume, stop) and the
// HMAC-SHA256 request signing scheme of the ACS data plane (HMACSigner).
// The downloader of recording content (content*.go) lives here too.
//
// HMAC signing reproduces every vector of testdata/acs/hmac-test-vectors.json
// (those asserted by the Azure SDK tests and the computed ones): the host in
// the string-to-sign keeps a non-default port, and Sign can sign against
// another host than the URL's (downloads: signed for the ACS resource host,
// sent to the storage host with x-ms-host).
//
// Client authenticates with the access key of a connection string
// ("endpoint=https://…;accesskey=…", see ParseConnectionString; plain http is
// refused unless the host is loopback) or with Entra ID tokens from an
// azcore.TokenCredential (scope TokenScope). Every request is signed at send
// time, so each retry carries a fresh date and signature. Retries (with
// exponential backoff and jitter, honouring Retry-After) cover 5xx, 429, 408
// and connection errors; a start sends Repeatability-Request-ID and
// Repeatability-First-Sent generated once (or supplied by the caller, so they
// survive a restart) and identical on every retry. Recording ids are opaque
// and percent-escaped as one path segment.
//
// Failures are *ResponseError values that keep the status, the
// CommunicationErrorResponse code and message when the body is one (empty
// and HTML bodies are kept as a short excerpt instead), the
// X-Microsoft-Skype-Chain-ID and X-Azure-Ref headers, and match ErrNotFound,
// ErrUnauthorized, ErrBadRequest, ErrConflict, ErrThrottled and ErrServer
// with errors.Is.
package acs
