// Package acs is a client for the Azure Communication Services Call
// Automation recording REST API (start, state, pause, resume, stop) and the
// HMAC-SHA256 request signing scheme of the ACS data plane.
//
// HMAC signing follows the ACS scheme (see [HMACSigner]); it reproduces the
// vectors asserted by the Azure SDK tests (testdata/acs/hmac-test-vectors.json).
package acs
