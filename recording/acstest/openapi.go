package acstest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Spec is a small validator over a Swagger 2.0 document (the Call
// Automation REST API) and the common document its external $refs point
// to. It checks what the recording operations use: path templates, required
// query and header parameters and their formats, and bodies against the
// definitions — types, required properties, enums, minimum/maximum, string
// formats (uri, date-time, uuid), array items, additionalProperties where
// declared, and readOnly properties sent in requests. In requests it also
// flags properties the schema does not declare (our client must not invent
// fields); responses may carry extra properties.
type Spec struct {
	docs  map[string]map[string]any // "main" and "common"
	paths []pathTemplate
}

type pathTemplate struct {
	template string
	re       *regexp.Regexp
	item     map[string]any
}

// LoadSpecFiles loads dir/callautomation-2025-06-15.json and
// dir/common-common.json.
func LoadSpecFiles(dir string) (*Spec, error) {
	main, err := os.ReadFile(filepath.Join(dir, "callautomation-2025-06-15.json"))
	if err != nil {
		return nil, err
	}
	common, err := os.ReadFile(filepath.Join(dir, "common-common.json"))
	if err != nil {
		return nil, err
	}
	return LoadSpec(main, common)
}

// LoadSpec parses the main Swagger document and the common one.
func LoadSpec(main, common []byte) (*Spec, error) {
	s := &Spec{docs: map[string]map[string]any{}}
	for name, b := range map[string][]byte{"main": main, "common": common} {
		var d map[string]any
		if err := json.Unmarshal(b, &d); err != nil {
			return nil, fmt.Errorf("parse %s spec: %w", name, err)
		}
		s.docs[name] = d
	}
	paths, _ := s.docs["main"]["paths"].(map[string]any)
	for tpl, item := range paths {
		re := "^" + regexp.MustCompile(`\\\{[^}]+\\\}`).ReplaceAllString(regexp.QuoteMeta(tpl), `[^/:]+`) + "$"
		m, _ := item.(map[string]any)
		s.paths = append(s.paths, pathTemplate{tpl, regexp.MustCompile(re), m})
	}
	sort.Slice(s.paths, func(i, j int) bool { return s.paths[i].template < s.paths[j].template })
	if len(s.paths) == 0 {
		return nil, errors.New("spec has no paths")
	}
	return s, nil
}

func (s *Spec) operation(method, escapedPath string) (string, map[string]any, error) {
	for _, p := range s.paths {
		if p.re.MatchString(escapedPath) {
			op, ok := p.item[strings.ToLower(method)].(map[string]any)
			if !ok {
				return "", nil, fmt.Errorf("path %s has no %s operation", p.template, method)
			}
			return p.template, op, nil
		}
	}
	return "", nil, fmt.Errorf("no path template matches %s", escapedPath)
}

// Operation returns the operationId of a request, or "".
func (s *Spec) Operation(method, escapedPath string) string {
	_, op, err := s.operation(method, escapedPath)
	if err != nil {
		return ""
	}
	id, _ := op["operationId"].(string)
	return id
}

// ref resolves a $ref relative to doc; it returns the target and its doc.
func (s *Spec) ref(doc, ref string) (map[string]any, string, error) {
	file, frag, _ := strings.Cut(ref, "#")
	if file != "" {
		if !strings.HasSuffix(file, "common.json") {
			return nil, "", fmt.Errorf("unresolvable $ref %q", ref)
		}
		doc = "common"
	}
	var cur any = s.docs[doc]
	for _, seg := range strings.Split(strings.Trim(frag, "/"), "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, "", fmt.Errorf("bad $ref %q", ref)
		}
		cur = m[seg]
	}
	m, ok := cur.(map[string]any)
	if !ok {
		return nil, "", fmt.Errorf("$ref %q does not resolve", ref)
	}
	return m, doc, nil
}

func (s *Spec) params(op map[string]any) []map[string]any {
	var out []map[string]any
	list, _ := op["parameters"].([]any)
	for _, p := range list {
		m, _ := p.(map[string]any)
		if r, ok := m["$ref"].(string); ok {
			m, _, _ = s.ref("main", r)
		}
		if m != nil {
			out = append(out, m)
		}
	}
	return out
}

// CheckRequest validates a request against its operation.
func (s *Spec) CheckRequest(method, escapedPath string, query url.Values, header http.Header, body []byte) []error {
	_, op, err := s.operation(method, escapedPath)
	if err != nil {
		return []error{err}
	}
	var errs []error
	hasBody := false
	for _, p := range s.params(op) {
		name, _ := p["name"].(string)
		req, _ := p["required"].(bool)
		switch p["in"] {
		case "query":
			v, ok := query[name]
			if req && (!ok || len(v) == 0 || v[0] == "") {
				errs = append(errs, fmt.Errorf("missing required query parameter %s", name))
			}
		case "header":
			v := header.Get(name)
			if v == "" {
				if req {
					errs = append(errs, fmt.Errorf("missing required header %s", name))
				}
				continue
			}
			if e := checkFormat(p["format"], v); e != nil {
				errs = append(errs, fmt.Errorf("header %s: %w", name, e))
			}
		case "body":
			hasBody = true
			if len(bytes.TrimSpace(body)) == 0 {
				if req {
					errs = append(errs, errors.New("missing required body"))
				}
				continue
			}
			schema, _ := p["schema"].(map[string]any)
			errs = append(errs, s.checkJSON(schema, body, true)...)
		}
	}
	// Repeatability-First-Sent must accompany Repeatability-Request-ID.
	if header.Get("Repeatability-Request-ID") != "" && header.Get("Repeatability-First-Sent") == "" {
		errs = append(errs, errors.New("Repeatability-Request-ID without Repeatability-First-Sent"))
	}
	if !hasBody && len(bytes.TrimSpace(body)) > 0 {
		errs = append(errs, errors.New("operation takes no body but one was sent"))
	}
	return errs
}

// CheckResponse validates a response status and body.
func (s *Spec) CheckResponse(method, escapedPath string, status int, body []byte) []error {
	_, op, err := s.operation(method, escapedPath)
	if err != nil {
		return []error{err}
	}
	responses, _ := op["responses"].(map[string]any)
	r, ok := responses[fmt.Sprint(status)].(map[string]any)
	if !ok {
		if status < 400 {
			return []error{fmt.Errorf("status %d is not a declared response", status)}
		}
		r, ok = responses["default"].(map[string]any)
		if !ok {
			return []error{fmt.Errorf("status %d undeclared and no default response", status)}
		}
	}
	schema, ok := r["schema"].(map[string]any)
	if !ok {
		if len(bytes.TrimSpace(body)) > 0 {
			return []error{fmt.Errorf("status %d declares no body but one was sent", status)}
		}
		return nil
	}
	return s.checkJSON(schema, body, false)
}

func (s *Spec) checkJSON(schema map[string]any, body []byte, request bool) []error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return []error{fmt.Errorf("body is not JSON: %w", err)}
	}
	var errs []error
	s.validate(schema, "main", v, "$", request, &errs)
	return errs
}

// Validate checks a decoded JSON value (from a decoder with UseNumber)
// against the definition named def.
func (s *Spec) Validate(def string, v any, request bool) []error {
	schema, doc, err := s.ref("main", "#/definitions/"+def)
	if err != nil {
		return []error{err}
	}
	var errs []error
	s.validate(schema, doc, v, "$", request, &errs)
	return errs
}

func (s *Spec) validate(schema map[string]any, doc string, v any, path string, request bool, errs *[]error) {
	add := func(format string, a ...any) { *errs = append(*errs, fmt.Errorf(path+": "+format, a...)) }
	if r, ok := schema["$ref"].(string); ok {
		target, tdoc, err := s.ref(doc, r)
		if err != nil {
			add("%v", err)
			return
		}
		s.validate(target, tdoc, v, path, request, errs)
		return
	}
	if all, ok := schema["allOf"].([]any); ok {
		for _, a := range all {
			if m, ok := a.(map[string]any); ok {
				s.validate(m, doc, v, path, request, errs)
			}
		}
	}
	if v == nil {
		if n, _ := schema["x-nullable"].(bool); !n {
			add("null is not allowed")
		}
		return
	}
	typ, _ := schema["type"].(string)
	if typ == "" {
		if _, ok := schema["properties"]; ok {
			typ = "object"
		}
	}
	switch typ {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			add("want object, got %T", v)
			return
		}
		props, _ := schema["properties"].(map[string]any)
		if req, ok := schema["required"].([]any); ok {
			for _, r := range req {
				if _, ok := m[r.(string)]; !ok {
					add("missing required property %q", r)
				}
			}
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			pv := m[k]
			ps, ok := props[k].(map[string]any)
			if !ok {
				switch ap := schema["additionalProperties"].(type) {
				case bool:
					if !ap {
						add("property %q not allowed (additionalProperties: false)", k)
					}
				case map[string]any:
					s.validate(ap, doc, pv, path+"."+k, request, errs)
				default:
					if request {
						add("property %q is not declared by the schema", k)
					}
				}
				continue
			}
			if ro, _ := ps["readOnly"].(bool); ro && request {
				add("property %q is readOnly and must not be sent", k)
			}
			s.validate(ps, doc, pv, path+"."+k, request, errs)
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			add("want array, got %T", v)
			return
		}
		if items, ok := schema["items"].(map[string]any); ok {
			for i, it := range a {
				s.validate(items, doc, it, fmt.Sprintf("%s[%d]", path, i), request, errs)
			}
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			add("want string, got %T", v)
			return
		}
		if e := checkFormat(schema["format"], str); e != nil {
			add("%v", e)
		}
	case "integer", "number":
		n, ok := v.(json.Number)
		if !ok {
			add("want %s, got %T", typ, v)
			return
		}
		f, err := n.Float64()
		if err != nil {
			add("bad number %s", n)
			return
		}
		if typ == "integer" {
			if _, err := n.Int64(); err != nil {
				add("want integer, got %s", n)
			}
			if schema["format"] == "int32" && (f < -2147483648 || f > 2147483647) {
				add("%s out of int32 range", n)
			}
		}
		if min, ok := schema["minimum"].(float64); ok && f < min {
			add("%s below minimum %v", n, min)
		}
		if max, ok := schema["maximum"].(float64); ok && f > max {
			add("%s above maximum %v", n, max)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			add("want boolean, got %T", v)
		}
	}
	if enum, ok := schema["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			if e == v {
				found = true
			}
		}
		if !found {
			add("value %v not in enum %v", v, enum)
		}
	}
}

var uuidFormat = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func checkFormat(format any, v string) error {
	switch format {
	case "uuid":
		if !uuidFormat.MatchString(v) {
			return fmt.Errorf("%q is not a uuid", v)
		}
	case "date-time-rfc1123":
		if _, err := time.Parse(http.TimeFormat, v); err != nil {
			return fmt.Errorf("%q is not an RFC 1123 date (IMF-fixdate)", v)
		}
	case "date-time":
		if _, err := time.Parse(time.RFC3339Nano, v); err != nil {
			return fmt.Errorf("%q is not an RFC 3339 date-time", v)
		}
	case "uri", "url":
		u, err := url.Parse(v)
		if err != nil || !u.IsAbs() {
			return fmt.Errorf("%q is not an absolute URI", v)
		}
	}
	return nil
}
