package main

import (
	"os"
	"strings"
	"testing"
)

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o644) }

func TestRulesCommands(t *testing.T) {
	code, out, _ := runRecCmd(t, "rules", "check", "../../testdata/rules/pci.yaml")
	if code != 0 || !strings.Contains(out, "5 rules OK") {
		t.Errorf("check good: %d %s", code, out)
	}
	code, out, errs := runRecCmd(t, "rules", "check", "../../testdata/rules/bad.yaml")
	if code != 1 || !strings.Contains(out, `bad.yaml:6: rule "typo-in-cel": when: column 29`) || !strings.Contains(errs, "3 rule errors") {
		t.Errorf("check bad: %d %s %s", code, out, errs)
	}
	code, out, errs = runRecCmd(t, "rules", "test", "../../testdata/rules/pci.yaml",
		"../../testdata/rules/events-callstarted-tollfree.json", "../../testdata/rules/events-dtmf-tone.json",
		"../../testdata/rules/events-callstarted-tollfree.json")
	if code != 0 {
		t.Fatalf("test: %d %s", code, errs)
	}
	for _, want := range []string{
		"rule record-sales: start -> ok",
		"rule pci-pause: pause -> ok",
		"duplicate event: ignored",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "asterisk") || strings.Contains(errs, "asterisk") {
		t.Error("dry run printed a DTMF tone")
	}
	if code, _, _ := runRecCmd(t, "rules", "test", "../../testdata/rules/pci.yaml"); code != 2 {
		t.Errorf("missing events: exit %d", code)
	}
}
