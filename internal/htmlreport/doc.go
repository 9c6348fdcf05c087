// Package htmlreport renders the callscope HTML report: one self-contained
// page (inline CSS, inline SVG drawn by inline JavaScript, no network
// access) with a daily overview and a timeline per call that a QA reviewer
// reads at a glance.
//
// The caller (cmd/report's html command) fills a [Report] from the dataset;
// [Write] renders it with html/template, which escapes every value. The
// timeline data travels as JSON in a <script type="application/json">
// element and the page's script draws it with DOM methods (textContent,
// setAttribute), never with innerHTML, so no dataset value is ever parsed
// as markup.
//
// Privacy: the page never holds a raw participant id. [MaskParticipant]
// keeps only the last four digits of a phone number (and the last four
// characters of other ids); DTMF digits are drawn as stored (masked by the
// analyzer unless the operator opted in) and [Write] masks them again
// unless Report.ShowDigits is set.
//
// Each call section has id="call-<recording id>": `report qa` links its
// worst calls to report.html#call-<recording id>.
//
// After drawing, the script sets data-rendered="ok" on <body>; a script
// error sets data-rendered="error" and writes the message into
// #js-errors. The Chromium test checks both.
package htmlreport
