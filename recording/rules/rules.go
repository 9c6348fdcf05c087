package rules

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/ext"
	"go.yaml.in/yaml/v3"
)

// Action is what a rule does.
type Action string

// Actions.
const (
	Start  Action = "start"
	Pause  Action = "pause"
	Resume Action = "resume"
	Stop   Action = "stop"
)

// Params are a rule's "with" options. Channel, Content, Format,
// CallbackURI, PauseOnStart and BYOSContainer apply to start. Resumes
// applies to resume: whose pauses the rule may lift — rule names,
// "operator" (paused from the command line through the controller),
// "external" (paused by someone else: seen only as a RecordingStateChanged),
// or "*" for any. Without it a resume rule lifts only its own pauses.
type Params struct {
	Channel       string   `yaml:"channel" json:"channel,omitempty"`              // mixed | unmixed
	Content       string   `yaml:"content" json:"content,omitempty"`              // audio | audioVideo
	Format        string   `yaml:"format" json:"format,omitempty"`                // wav | mp3 | mp4
	CallbackURI   string   `yaml:"callback_uri" json:"callbackUri,omitempty"`     // recordingStateCallbackUri
	PauseOnStart  bool     `yaml:"pause_on_start" json:"pauseOnStart,omitempty"`  //
	BYOSContainer string   `yaml:"byos_container" json:"byosContainer,omitempty"` // bring-your-own-storage container URL
	Resumes       []string `yaml:"resumes" json:"resumes,omitempty"`
}

// Rule is one compiled rule.
type Rule struct {
	Name string
	On   []string // event types
	When string   // CEL source; empty means true
	Do   Action
	With Params
	File string
	Line int // line of the rule in File
	prg  cel.Program
}

// Pos returns "file:line".
func (r *Rule) Pos() string { return fmt.Sprintf("%s:%d", r.File, r.Line) }

// Set is a loaded rule file.
type Set struct {
	File  string
	Rules []*Rule
}

// MaxFileSize bounds a rules file.
const MaxFileSize = 1 << 20

// Error is a problem with one rule (or the file when Rule is empty).
type Error struct {
	File   string
	Line   int    // line of the rule (or of the file problem)
	Rule   string // rule name, "" when unknown
	Field  string // "when", "do", ...
	Column int    // CEL column (1-based) inside "when", 0 when not applicable
	Err    error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d", e.File, e.Line)
	if e.Rule != "" {
		fmt.Fprintf(&b, ": rule %q", e.Rule)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": %s", e.Field)
	}
	if e.Column > 0 {
		fmt.Fprintf(&b, ": column %d", e.Column)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Load reads and compiles a rules file.
func Load(path string) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read rules: %w", err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(&limited{f, MaxFileSize + 1}); err != nil {
		return nil, fmt.Errorf("read rules %s: %w", path, err)
	}
	return Parse(path, buf.Bytes())
}

type limited struct {
	f interface{ Read([]byte) (int, error) }
	n int64
}

func (l *limited) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errors.New("file too large")
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.f.Read(p)
	l.n -= int64(n)
	return n, err
}

var env = mustEnv()

func mustEnv() *cel.Env {
	e, err := cel.NewEnv(
		cel.Variable("event", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("call", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("recording", cel.MapType(cel.StringType, cel.DynType)),
		cel.Function("hash",
			cel.Overload("hash_string", []*cel.Type{cel.StringType}, cel.IntType,
				cel.UnaryBinding(func(v ref.Val) ref.Val {
					s, ok := v.(types.String)
					if !ok {
						return types.NewErr("hash: want string")
					}
					return types.Int(Hash(string(s)))
				}))),
		ext.Strings(),
	)
	if err != nil {
		panic(err)
	}
	return e
}

// Hash is the sampling hash: FNV-1a 32-bit over the UTF-8 bytes of s, as a
// non-negative int64 (0 … 4294967295).
func Hash(s string) int64 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return int64(h.Sum32())
}

type fileRule struct {
	Name string    `yaml:"name"`
	On   yaml.Node `yaml:"on"`
	When string    `yaml:"when"`
	Do   string    `yaml:"do"`
	With yaml.Node `yaml:"with"`
}

// Parse compiles rules text; name is the file name used in errors. All
// problems are reported (joined), each naming its rule and position.
func Parse(name string, data []byte) (*Set, error) {
	if len(data) > MaxFileSize {
		return nil, &Error{File: name, Line: 1, Err: fmt.Errorf("file is %d bytes, limit %d", len(data), MaxFileSize)}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &Error{File: name, Line: yamlLine(err), Err: err}
	}
	set := &Set{File: name}
	if len(root.Content) == 0 {
		return set, nil
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil, &Error{File: name, Line: doc.Line, Err: errors.New("top level must be a mapping with a rules list")}
	}
	var list *yaml.Node
	for i := 0; i+1 < len(doc.Content); i += 2 {
		switch k := doc.Content[i]; k.Value {
		case "rules":
			list = doc.Content[i+1]
		default:
			return nil, &Error{File: name, Line: k.Line, Err: fmt.Errorf("unknown top-level key %q (want rules)", k.Value)}
		}
	}
	if list == nil {
		return set, nil
	}
	if list.Kind != yaml.SequenceNode {
		return nil, &Error{File: name, Line: list.Line, Err: errors.New("rules must be a list")}
	}
	var errs []error
	seen := map[string]int{}
	for _, n := range list.Content {
		r, err := compileRule(name, n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if line, dup := seen[r.Name]; dup {
			errs = append(errs, &Error{File: name, Line: r.Line, Rule: r.Name, Field: "name", Err: fmt.Errorf("duplicate name (first at line %d)", line)})
			continue
		}
		seen[r.Name] = r.Line
		set.Rules = append(set.Rules, r)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return set, nil
}

func yamlLine(err error) int {
	var te *yaml.TypeError
	s := err.Error()
	if errors.As(err, &te) && len(te.Errors) > 0 {
		s = te.Errors[0]
	}
	var line int
	if i := strings.Index(s, "line "); i >= 0 {
		fmt.Sscanf(s[i:], "line %d", &line)
	}
	if line == 0 {
		line = 1
	}
	return line
}

func compileRule(file string, n *yaml.Node) (*Rule, error) {
	if n.Kind != yaml.MappingNode {
		return nil, &Error{File: file, Line: n.Line, Err: errors.New("a rule must be a mapping")}
	}
	var fr fileRule
	// Strict keys: decode through a node with KnownFields.
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	_ = enc.Encode(n)
	dec := yaml.NewDecoder(&buf)
	dec.KnownFields(true)
	if err := dec.Decode(&fr); err != nil {
		nameGuess := ""
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "name" {
				nameGuess = n.Content[i+1].Value
			}
		}
		return nil, &Error{File: file, Line: n.Line, Rule: nameGuess, Err: fmt.Errorf("%s", strings.TrimPrefix(yamlMsg(err), "yaml: "))}
	}
	r := &Rule{Name: fr.Name, When: strings.TrimSpace(fr.When), Do: Action(fr.Do), File: file, Line: n.Line}
	fail := func(field string, col int, err error) error {
		return &Error{File: file, Line: r.Line, Rule: r.Name, Field: field, Column: col, Err: err}
	}
	if r.Name == "" {
		return nil, fail("name", 0, errors.New("missing name"))
	}
	switch fr.On.Kind {
	case yaml.ScalarNode:
		r.On = []string{fr.On.Value}
	case yaml.SequenceNode:
		for _, c := range fr.On.Content {
			if c.Kind != yaml.ScalarNode {
				return nil, fail("on", 0, errors.New("want an event type or a list of them"))
			}
			r.On = append(r.On, c.Value)
		}
	case 0:
		return nil, fail("on", 0, errors.New("missing event type"))
	default:
		return nil, fail("on", 0, errors.New("want an event type or a list of them"))
	}
	if len(r.On) == 0 {
		return nil, fail("on", 0, errors.New("empty list of event types"))
	}
	for _, t := range r.On {
		if !strings.HasPrefix(t, "Microsoft.Communication.") {
			return nil, fail("on", 0, fmt.Errorf("event type %q: want Microsoft.Communication.<Name>", t))
		}
	}
	switch r.Do {
	case Start, Pause, Resume, Stop:
	case "":
		return nil, fail("do", 0, errors.New("missing action (start, pause, resume or stop)"))
	default:
		return nil, fail("do", 0, fmt.Errorf("unknown action %q (want start, pause, resume or stop)", r.Do))
	}
	if fr.With.Kind != 0 {
		dec := fr.With
		var buf bytes.Buffer
		_ = yaml.NewEncoder(&buf).Encode(&dec)
		d := yaml.NewDecoder(&buf)
		d.KnownFields(true)
		if err := d.Decode(&r.With); err != nil {
			return nil, fail("with", 0, errors.New(strings.TrimPrefix(yamlMsg(err), "yaml: ")))
		}
	}
	if err := r.With.validate(r.Do); err != nil {
		return nil, fail("with", 0, err)
	}
	src := r.When
	if src == "" {
		src = "true"
	}
	ast, iss := env.Compile(src)
	if iss != nil && iss.Err() != nil {
		e := iss.Errors()[0]
		return nil, fail("when", e.Location.Column()+1, fmt.Errorf("%s (CEL line %d)", e.Message, e.Location.Line()))
	}
	if t := ast.OutputType(); !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
		return nil, fail("when", 0, fmt.Errorf("expression has type %s, want bool", t))
	}
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize), cel.CostLimit(100000))
	if err != nil {
		return nil, fail("when", 0, err)
	}
	r.prg = prg
	return r, nil
}

func yamlMsg(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return strings.Join(te.Errors, "; ")
	}
	return err.Error()
}

func (p Params) validate(do Action) error {
	if do != Start && (p.Channel != "" || p.Content != "" || p.Format != "" || p.CallbackURI != "" || p.PauseOnStart || p.BYOSContainer != "") {
		return fmt.Errorf("channel, content, format, callback_uri, pause_on_start and byos_container apply to start only")
	}
	if do != Resume && len(p.Resumes) > 0 {
		return errors.New("resumes applies to resume only")
	}
	for _, r := range p.Resumes {
		if r == "" {
			return errors.New("resumes: empty name")
		}
	}
	check := func(field, v string, ok ...string) error {
		if v == "" {
			return nil
		}
		for _, o := range ok {
			if v == o {
				return nil
			}
		}
		return fmt.Errorf("%s %q: want one of %s", field, v, strings.Join(ok, ", "))
	}
	if err := check("channel", p.Channel, "mixed", "unmixed"); err != nil {
		return err
	}
	if err := check("content", p.Content, "audio", "audioVideo"); err != nil {
		return err
	}
	if err := check("format", p.Format, "wav", "mp3", "mp4"); err != nil {
		return err
	}
	if p.Channel == "unmixed" && (p.Format != "" && p.Format != "wav" || p.Content == "audioVideo") {
		return errors.New("unmixed recordings are audio in wav only")
	}
	for _, u := range []struct{ f, v string }{{"callback_uri", p.CallbackURI}, {"byos_container", p.BYOSContainer}} {
		if u.v != "" && !strings.HasPrefix(u.v, "https://") && !strings.HasPrefix(u.v, "http://") {
			return fmt.Errorf("%s %q: want an absolute http(s) URL", u.f, u.v)
		}
	}
	return nil
}
