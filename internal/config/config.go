// Package config loads callscope's YAML configuration file. The file has one
// top-level section per component (dsp, dtmf, quality, store, ingest, rules,
// ...); each component decodes its own section strictly into its Options,
// so an unknown or mistyped key is an error that names the file, the line
// and the key.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"
)

// Config is a loaded configuration file. The zero value (no file) yields
// defaults everywhere.
type Config struct {
	Path     string
	sections map[string]*yaml.Node
}

// MaxSize bounds a configuration file.
const MaxSize = 4 << 20

// Load reads path; an empty path returns an empty Config.
func Load(path string) (*Config, error) {
	c := &Config{Path: path, sections: map[string]*yaml.Node{}}
	if path == "" {
		return c, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("config %s: %d bytes, limit %d", path, len(data), MaxSize)
	}
	return Parse(path, data)
}

// Parse decodes configuration text; name is used in error messages.
func Parse(name string, data []byte) (*Config, error) {
	c := &Config{Path: name, sections: map[string]*yaml.Node{}}
	if len(bytes.TrimSpace(data)) == 0 {
		return c, nil
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("config %s: %w", name, err)
	}
	if len(root.Content) == 0 {
		return c, nil
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("config %s:%d: top level must be a mapping of sections", name, doc.Line)
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		c.sections[k.Value] = v
	}
	return c, nil
}

// Has reports whether the file has the named section.
func (c *Config) Has(section string) bool {
	_, ok := c.sections[section]
	return ok
}

// Sections returns the names of the sections present.
func (c *Config) Sections() []string {
	out := make([]string, 0, len(c.sections))
	for k := range c.sections {
		out = append(out, k)
	}
	return out
}

// Decode decodes the named section into v (which holds defaults already);
// keys absent from the file keep their defaults, unknown keys are errors.
// A missing section leaves v untouched.
func (c *Config) Decode(section string, v any) error {
	n, ok := c.sections[section]
	if !ok {
		return nil
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	if err := enc.Encode(n); err != nil {
		return fmt.Errorf("config %s: section %s: %w", c.Path, section, err)
	}
	dec := yaml.NewDecoder(&buf)
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			// Re-encoding renumbers lines; report relative to the section.
			return fmt.Errorf("config %s: section %q (line %d): %v", c.Path, section, n.Line, te.Errors)
		}
		return fmt.Errorf("config %s: section %q (line %d): %w", c.Path, section, n.Line, err)
	}
	return nil
}

// Node returns the raw YAML node of a section (nil when absent), for
// components that report positions themselves (CEL rules).
func (c *Config) Node(section string) *yaml.Node { return c.sections[section] }
