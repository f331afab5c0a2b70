package main

import (
	"bytes"
	"context"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ddstools/dds/bootstrap/design"
	"github.com/ddstools/dds/bootstrap/design/designtest"
	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/internal/clitest"
	"github.com/ddstools/dds/internal/testenv"
	"github.com/ddstools/dds/refine/refiner"
	"golang.org/x/sys/unix"
)

// plantedError plants the best models at a total depth of 12 blocks and a
// last-stage width near 128: error = 2 + 0.4·|depth − 12| + 1.5·|log2(w_last/128)|
// + |noise|.
func plantedError(c formats.Config) float64 {
	r := rand.New(rand.NewPCG(uint64(c.Seed), 7))
	st := c.Net.Stages
	return 2 + 0.4*math.Abs(float64(c.Net.Depth())-12) + 1.5*math.Abs(math.Log2(float64(st[len(st)-1].W)/128)) + 0.3*math.Abs(r.NormFloat64())
}

// chainSteps are the paper's refinements in the order pipelines/chain.mk takes them.
var chainSteps = []string{formats.SharedB, formats.SharedG, formats.NonDecreasingW, formats.NonDecreasingD, formats.QuantizedLinear}

// writeChain writes a refinement chain's folder with planted errors: n models of
// anynetx-a-mnist as a.eval.arrows, and each next space, made from the previous
// one's models by design.Models.Apply (as refine --step does), as b, c, d, e and
// regnet. It returns the number of models written per space.
func writeChain(t testing.TB, dir string, n, spaces, epochs int) {
	t.Helper()
	space, err := formats.LookupSpace("anynetx-a-mnist")
	if err != nil {
		t.Fatal(err)
	}
	stems := []string{"a", "b", "c", "d", "e", "regnet"}
	for k := 0; k < spaces; k++ {
		data := designtest.Evaluated(t, space, n, uint64(k+1), epochs, plantedError)
		if err := os.WriteFile(filepath.Join(dir, stems[k]+".eval.arrows"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		if k == spaces-1 {
			break
		}
		rd, err := formats.NewReader(bytes.NewReader(data), "chain", nil)
		if err != nil {
			t.Fatal(err)
		}
		s, err := design.Load(rd, design.DefaultError, nil)
		rd.Release()
		if err != nil {
			t.Fatal(err)
		}
		m, err := design.NewModels(s)
		if err != nil {
			t.Fatal(err)
		}
		next, err := refiner.Apply(m, space, chainSteps[k], space.Name+"+"+chainSteps[k], "test chain", refiner.Options{MaxEFit: 100})
		if err != nil {
			t.Fatalf("step %s: %v", chainSteps[k], err)
		}
		space = next
	}
}

// prog runs report in process; prog.Call returns its stdout, stderr and exit status.
var prog = clitest.Program{Name: "report", Run: run}

// external returns every reference of the page to something outside itself: a src
// or href that is not a fragment (#...) or a data: URL, an @import, or a url()
// that is not a fragment or data: URL.
func external(page string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`(?i)\b(src|href|xlink:href|action|poster)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)`).FindAllStringSubmatch(page, -1) {
		v := strings.Trim(m[2], `"'`)
		if !strings.HasPrefix(v, "#") && !strings.HasPrefix(v, "data:") {
			out = append(out, m[0])
		}
	}
	for _, m := range regexp.MustCompile(`(?i)url\(\s*['"]?([^'")]*)`).FindAllStringSubmatch(page, -1) {
		if !strings.HasPrefix(m[1], "#") && !strings.HasPrefix(m[1], "data:") {
			out = append(out, m[0])
		}
	}
	if regexp.MustCompile(`(?i)@import`).MatchString(page) {
		out = append(out, "@import")
	}
	return out
}

func TestExternalCatches(t *testing.T) {
	for _, bad := range []string{
		`<img src="x.png">`, `<script src=http://e/x.js></script>`, `<a href='file:///etc'>`,
		`<link href="style.css">`, `<style>@import "x.css";</style>`, `<div style="background:url(a.png)">`,
	} {
		if len(external(bad)) == 0 {
			t.Errorf("external(%q) found nothing", bad)
		}
	}
	if got := external(`<a href="#space-1">x</a><a download="a.csv" href="data:text/csv;base64,AA==">y</a><g clip-path="url(#c1)">`); len(got) != 0 {
		t.Errorf("in-page references reported: %q", got)
	}
}

// TestChainReport writes the report of a planted chain folder and checks the page:
// nothing outside itself, every space's section with one scatter per varying
// parameter, the chain's steps named as taken, every model in the table; then it
// renders the page in headless Chromium, takes a screenshot and checks the DOM after
// the script ran.
func TestChainReport(t *testing.T) {
	const n, spaces, epochs = 30, 6, 3
	dir := t.TempDir()
	writeChain(t, dir, n, spaces, epochs)
	out := filepath.Join(t.TempDir(), "report.html")
	_, stderr, code := prog.Call(nil, "-B", "500", "--min-models", "5", "--max-efit", "100", "-o", out, dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	mask := unix.Umask(0)
	unix.Umask(mask)
	if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o666&^os.FileMode(mask) {
		t.Errorf("the page's mode is %v (%v), want 0666 less the umask %03o", st.Mode(), err, mask)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	html := string(raw)
	t.Logf("%s: %d bytes", strings.TrimSpace(stderr), len(raw))
	if ext := external(html); len(ext) > 0 {
		t.Errorf("the page references %d things outside itself: %q", len(ext), ext[:min(5, len(ext))])
	}
	for i, stem := range []string{"a", "b", "c", "d", "e", "regnet"} {
		if !strings.Contains(html, `<section class="space" id="space-`+string(rune('1'+i))+`"`) {
			t.Errorf("no section for space %s", stem)
		}
	}
	for _, step := range chainSteps {
		if !strings.Contains(html, "Step taken: <b>"+step+"</b>") {
			t.Errorf("the chain's step %s is not named as taken", step)
		}
	}
	ids := regexp.MustCompile(`<tr data-space="space-\d" data-id="([0-9a-f]{16})"`).FindAllStringSubmatch(html, -1)
	if len(ids) != n*spaces {
		t.Errorf("model table has %d rows, want %d", len(ids), n*spaces)
	}
	figures := strings.Count(html, `<svg class="fig"`)
	chromium(t, out, figures, ids)
}

// chromium renders the page headless: a screenshot that must be a PNG of more than
// one colour, and the DOM after the script ran, which must hold the figures and a
// table row for every model.
func chromium(t *testing.T, page string, figures int, ids [][]string) {
	bin, err := exec.LookPath("chromium")
	testenv.Require(t, "chromium for the rendering check (apt-get install -y chromium)", err)
	tmp := t.TempDir()
	shot := filepath.Join(tmp, "report.png")
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--hide-scrollbars", "--user-data-dir=" + filepath.Join(tmp, "profile")}
	url := "file://" + page
	runChromium := func(args ...string) []byte {
		ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append(append([]string(nil), base...), args...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		start := time.Now()
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
		}
		t.Logf("chromium %s: %.1f s", args[0], time.Since(start).Seconds())
		return stdout.Bytes()
	}
	runChromium("--screenshot="+shot, "--window-size=1280,2400", url)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	colours := map[uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[r>>12<<8|g>>12<<4|bl>>12] = true
		}
	}
	if len(colours) < 8 {
		t.Errorf("screenshot %dx%d has %d colours: nothing rendered", b.Dx(), b.Dy(), len(colours))
	}
	if dst := os.Getenv("DDS_REPORT_SCREENSHOT"); dst != "" {
		data, _ := os.ReadFile(shot)
		os.WriteFile(dst, data, 0o644)
		data, _ = os.ReadFile(page)
		os.WriteFile(strings.TrimSuffix(dst, ".png")+".html", data, 0o644)
	}
	dom := string(runChromium("--dump-dom", "--virtual-time-budget=5000", url))
	if !strings.Contains(dom, `data-script="ran"`) {
		t.Errorf("the page's script did not run to its end")
	}
	if got := strings.Count(dom, `<svg class="fig"`); got != figures || figures < 6*10 {
		t.Errorf("rendered page has %d figures, the HTML %d", got, figures)
	}
	for _, id := range ids {
		if !strings.Contains(dom, `data-id="`+id[1]+`"`) {
			t.Errorf("model %s missing from the rendered table", id[1])
			break
		}
	}
	if got := strings.Count(dom, "<tr data-space="); got < len(ids) {
		t.Errorf("rendered table has %d rows, want %d", got, len(ids))
	}
	if !strings.Contains(dom, `class="on"`) {
		t.Errorf("no space tab is marked as shown after the script ran")
	}
	// Interaction, by a probe script on a copy: a click on the second space's row of
	// the comparison shows only that space and its models; a click on one of its
	// dots marks that model's row; two clicks on the flops header sort the table
	// ascending, then descending. The probe writes what it saw into the page.
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	probe := filepath.Join(tmp, "probe.html")
	os.WriteFile(probe, append(data, interactionProbe...), 0o644)
	dom = string(runChromium("--dump-dom", "--virtual-time-budget=5000", "file://"+probe))
	m := regexp.MustCompile(`<pre id="probe">([^<]*)</pre>`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("the probe wrote nothing")
	}
	want := "shown=space-2 rows=space-2 marked=same ascending=true descending=true"
	if m[1] != want {
		t.Errorf("interaction: %s\nwant         %s", m[1], want)
	}
}

// interactionProbe is the script TestChainReport appends to a copy of the page.
const interactionProbe = `<script>
addEventListener("load", function () {
  var out = [];
  document.querySelectorAll("table.ks tbody tr")[1].click();
  var shown = Array.prototype.filter.call(document.querySelectorAll("section.space"), function (s) { return !s.hidden; });
  out.push("shown=" + shown.map(function (s) { return s.id; }).join(","));
  var rows = Array.prototype.filter.call(document.querySelectorAll("#model-table tbody tr"), function (r) { return !r.hidden; });
  var spaces = {};
  rows.forEach(function (r) { spaces[r.getAttribute("data-space")] = 1; });
  out.push("rows=" + Object.keys(spaces).join(","));
  var dot = document.querySelectorAll("#space-2 .pts circle")[3];
  dot.dispatchEvent(new MouseEvent("click", { bubbles: true }));
  var hl = document.querySelector("#model-table tr.hl");
  out.push("marked=" + (hl && dot.querySelector("title").textContent.indexOf(hl.getAttribute("data-id")) === 0 ? "same" : "other"));
  var th = Array.prototype.filter.call(document.querySelectorAll("#model-table th"), function (h) { return h.textContent === "flops"; })[0];
  var col = th.cellIndex;
  function sorted(sign) {
    var v = Array.prototype.map.call(document.querySelectorAll("#model-table tbody tr"), function (r) { return parseFloat(r.cells[col].getAttribute("data-v")); });
    for (var i = 1; i < v.length; i++) { if (sign * (v[i] - v[i - 1]) < 0) { return false; } }
    return v.length > 1;
  }
  th.click();
  out.push("ascending=" + sorted(1));
  th.click();
  out.push("descending=" + sorted(-1));
  var pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = out.join(" ");
  document.body.appendChild(pre);
});
</script>`

// renderMS loads page in headless Chromium with a probe script appended to a copy
// and returns the milliseconds from navigation start to the first frame after the
// load event (performance.now()), and the page's element count.
func renderMS(t testing.TB, page string) (ms, nodes int) {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skipf("chromium not found (%v)", err)
	}
	tmp := t.TempDir()
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	probe := filepath.Join(tmp, "probe.html")
	data = append(data, `<script>addEventListener("load",function(){requestAnimationFrame(function(){setTimeout(function(){console.log("dds-render-ms "+Math.round(performance.now())+" "+document.getElementsByTagName("*").length)},0)})})</script>`...)
	os.WriteFile(probe, data, 0o644)
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--user-data-dir="+filepath.Join(tmp, "profile"), "--enable-logging=stderr", "--v=0",
		"--screenshot="+filepath.Join(tmp, "shot.png"), "--window-size=1280,2400", "file://"+probe)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`dds-render-ms (\d+) (\d+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no render time in chromium's log:\n%s", out)
	}
	ms, _ = strconv.Atoi(string(m[1]))
	nodes, _ = strconv.Atoi(string(m[2]))
	return ms, nodes
}

// BenchmarkChainReport measures the report of a planted chain of 6 spaces × 100
// models (10 epochs each) at the default bootstrap (B = 10000): the time report
// takes, the page's size, and Chromium's time to the first frame after load, next
// to the same for an empty page. Run with -benchtime 1x.
func BenchmarkChainReport(b *testing.B) {
	dir := b.TempDir()
	writeChain(b, dir, 100, 6, 10)
	out := filepath.Join(b.TempDir(), "report.html")
	blank := filepath.Join(b.TempDir(), "blank.html")
	os.WriteFile(blank, []byte("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>blank</title></head><body></body></html>"), 0o644)
	b.ResetTimer()
	for range b.N {
		var stdout, stderr bytes.Buffer
		start := time.Now()
		if err := run([]string{"--max-efit", "100", "-o", out, dir}, nil, &stdout, &stderr); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "report_s")
	}
	b.StopTimer()
	st, err := os.Stat(out)
	if err != nil {
		b.Fatal(err)
	}
	var ms, blankMS []int
	nodes := 0
	for range 3 {
		m, n := renderMS(b, out)
		ms, nodes = append(ms, m), n
		m, _ = renderMS(b, blank)
		blankMS = append(blankMS, m)
	}
	slices.Sort(ms)
	slices.Sort(blankMS)
	b.ReportMetric(float64(st.Size())/1e6, "html_MB")
	b.ReportMetric(float64(ms[1]), "render_ms")
	b.ReportMetric(float64(blankMS[1]), "blank_render_ms")
	b.ReportMetric(float64(nodes), "elements")
	b.Logf("6 spaces x 100 models: %.2f MB of HTML, %d elements; Chromium to first frame after load: %d ms (median of %v), empty page %d ms (%v), ratio %.1f",
		float64(st.Size())/1e6, nodes, ms[1], ms, blankMS[1], blankMS, float64(ms[1])/float64(max(blankMS[1], 1)))
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.arrows")
	os.WriteFile(junk, []byte("not an arrow stream"), 0o644)
	out := filepath.Join(dir, "r.html")
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"-o", out}, 2, "give the evaluated streams"},
		{[]string{junk}, 2, "-o FILE is required"},
		{[]string{"-o", out, "--normalize", "depth", junk}, 2, "--normalize"},
		{[]string{"-o", out, junk}, 1, "junk.arrows"},
		{[]string{"-o", out, filepath.Join(dir, "missing.arrows")}, 1, "cannot open input"},
		{[]string{"-o", out, t.TempDir()}, 1, "no *.eval.arrows"},
		{[]string{"-o", out, "--labels", "a,b", junk}, 2, "2 labels for 1 spaces"},
	} {
		_, stderr, code := prog.Call(nil, c.args...)
		if code != c.code || !strings.Contains(stderr, c.msg) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and one line with %q", c.args, code, stderr, c.code, c.msg)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a failed run left %s", out)
	}
}
