package htmlreport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// FindChromium returns the path of a Chromium (or Chrome) binary: $CHROMIUM
// when set, else the first of chromium, chromium-browser, google-chrome on
// PATH, else "".
func FindChromium() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// DumpDOM opens the local HTML file in headless Chromium (no network, a
// throw-away profile), lets its scripts run and returns the resulting DOM
// and the page's console messages (Chromium logs them to stderr as
// "CONSOLE" lines; script errors show as "Uncaught ..."). It is what the
// tests use to check that the page renders.
func DumpDOM(ctx context.Context, chromium, file string) (dom string, console []string, err error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", nil, err
	}
	profile, err := os.MkdirTemp("", "callscope-chromium-")
	if err != nil {
		return "", nil, err
	}
	defer os.RemoveAll(profile)
	cmd := exec.CommandContext(ctx, chromium,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--user-data-dir="+profile,
		"--enable-logging=stderr", "--v=0",
		"--dump-dom", "file://"+abs)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return "", nil, fmt.Errorf("chromium --dump-dom %s: %w\n%s", abs, err, tail(stderr.String(), 2000))
	}
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(l, ":CONSOLE") || strings.Contains(l, "Uncaught") {
			console = append(console, l)
		}
	}
	return out.String(), console, nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

// VerifyDOM checks a DOM dumped by Chromium after the page's script ran:
// no console messages or script errors, data-rendered="ok", and as many
// timelines, lanes, segments, overlaps, pauses, timed flags, DTMF marks,
// silences and histograms drawn as r holds. It returns every mismatch.
func VerifyDOM(dom string, console []string, r *Report) error {
	var errs []error
	for _, l := range console {
		errs = append(errs, fmt.Errorf("console: %s", l))
	}
	if !strings.Contains(dom, `data-rendered="ok"`) {
		m := regexp.MustCompile(`(?s)<pre id="js-errors"[^>]*>(.*?)</pre>`).FindStringSubmatch(dom)
		js := ""
		if m != nil {
			js = m[1]
		}
		return errors.Join(append(errs, fmt.Errorf("page did not render (no data-rendered=\"ok\"); js-errors: %q", js))...)
	}
	if !strings.Contains(dom, fmt.Sprintf(`data-timelines="%d"`, len(r.Calls))) {
		errs = append(errs, fmt.Errorf("want data-timelines=%d", len(r.Calls)))
	}
	count := func(s string) int { return strings.Count(dom, s) }
	var lanes, segs, ovs, pauses, flags, tones, sils int
	for _, c := range r.Calls {
		lanes += len(c.Lanes)
		segs += len(c.Segments)
		ovs += len(c.Overlaps)
		pauses += len(c.Pauses)
		tones += len(c.DTMF)
		sils += len(c.Silences)
		for _, f := range c.Flags {
			if f.Start != nil {
				flags++
			}
		}
	}
	hist := 0
	if r.Overview.Calls > 0 {
		hist = 4
	}
	for _, tc := range []struct {
		what      string
		got, want int
	}{
		{"timelines", count(`class="tl"`), len(r.Calls)},
		{"lanes", count(`class="lane"`), lanes},
		{"segments", count(`class="seg hit"`), segs},
		{"overlaps", count(`class="ov"`), ovs},
		{"pauses", count(`class="pause"`), pauses},
		{"flag markers", count(`class="flag"`), flags},
		{"DTMF marks", count(`class="dtmf hit"`), tones},
		{"silences", count(`class="sil hit"`), sils},
		{"histograms", count(`class="histogram"`), hist},
	} {
		if tc.got != tc.want {
			errs = append(errs, fmt.Errorf("%s drawn: %d, want %d", tc.what, tc.got, tc.want))
		}
	}
	return errors.Join(errs...)
}
