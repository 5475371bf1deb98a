package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The serve section: small serve on the corpus, and clients on loopback
// sending manifests of the corpus to POST /v1/validate as fast as it
// answers. Every answer must be 200 and the bytes the same manifest got
// before; the server's resident memory is sampled throughout.

// Goals of the serve section: no error, memory flat (the resident set at
// the end within this share of the one after the first tenth of the
// requests, or within flatSlackMB of it).
const (
	flatShare   = 1.25
	flatSlackMB = 32
	// serveInputs is how many of the corpus's manifests are sent, valid
	// and invalid ones.
	serveInputs = 200
)

type serveReport struct {
	requests, clients, inputs, invalid  int
	errors                              int64
	firstErr                            string
	wall                                time.Duration
	p50, p90, p99, max                  time.Duration
	rssStart, rssTenth, rssPeak, rssEnd int64 // KiB
	samples                             int
}

var listeningLine = regexp.MustCompile(`^small serve: listening on (http://\S+)/$`)

// measureServe runs the serve section.
func (b *bench) measureServe(requests, clients int) (*serveReport, error) {
	rep := &serveReport{requests: requests, clients: clients}
	inputs, err := b.serveInputs()
	if err != nil {
		return nil, err
	}
	rep.inputs = len(inputs)
	for _, in := range inputs {
		if b.c.Invalid[in.path] != "" {
			rep.invalid++
		}
	}
	cmd := exec.Command(b.small, "serve", "--addr", "127.0.0.1:0")
	cmd.Dir = b.c.dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGINT)
		cmd.Wait()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	m := listeningLine.FindStringSubmatch(strings.TrimSuffix(line, "\n"))
	if err != nil || m == nil {
		return nil, fmt.Errorf("small serve said %q, not where it listens: %v\n%s", line, err, stderr.String())
	}
	go io.Copy(io.Discard, out)
	base := m[1]
	logf("serve: small serve listens at %s (pid %d)", base, cmd.Process.Pid)

	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
	post := func(in serveInput) (int, []byte, error) {
		res, err := client.Post(base+"/v1/validate?path="+url.QueryEscape(in.path), "application/yaml", bytes.NewReader(in.data))
		if err != nil {
			return 0, nil, err
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		return res.StatusCode, body, err
	}
	// Each input once, one at a time: the answer every later one must equal.
	want := make([][]byte, len(inputs))
	for i, in := range inputs {
		status, body, err := post(in)
		if err != nil || status != 200 {
			return nil, fmt.Errorf("warm-up %s: %d %v %s", in.path, status, err, head10(body))
		}
		valid := bytes.Contains(body, []byte(`"valid": true`))
		if valid == (b.c.Invalid[in.path] != "") {
			return nil, fmt.Errorf("warm-up %s: small serve says valid=%t, the corpus says the opposite:\n%s", in.path, valid, body)
		}
		want[i] = body
	}
	rep.rssStart = rss(cmd.Process.Pid)

	// Memory, sampled while the clients run.
	var done atomic.Bool
	var next atomic.Int64
	var samples []int64
	var atTenth []int64 // samples taken once a tenth of the requests were answered
	var sampler sync.WaitGroup
	sampler.Add(1)
	go func() {
		defer sampler.Done()
		for !done.Load() {
			kb := rss(cmd.Process.Pid)
			samples = append(samples, kb)
			if next.Load() >= int64(requests/10) && len(atTenth) == 0 {
				atTenth = append(atTenth, kb)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()

	lat := make([]time.Duration, requests)
	var errs atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= requests {
					return
				}
				k := i % len(inputs)
				t0 := time.Now()
				status, body, err := post(inputs[k])
				lat[i] = time.Since(t0)
				if err != nil || status != 200 || !bytes.Equal(body, want[k]) {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("request %d (%s): %d %v %s", i, inputs[k].path, status, err, head10(body)))
				}
			}
		}()
	}
	wg.Wait()
	rep.wall = time.Since(start)
	done.Store(true)
	sampler.Wait()
	rep.rssEnd = rss(cmd.Process.Pid)
	rep.errors = errs.Load()
	if e, ok := firstErr.Load().(string); ok {
		rep.firstErr = e
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	rep.p50, rep.p90, rep.p99, rep.max = pct(0.50), pct(0.90), pct(0.99), lat[len(lat)-1]
	rep.samples = len(samples)
	rep.rssTenth = rep.rssStart
	if len(atTenth) > 0 {
		rep.rssTenth = atTenth[0]
	}
	rep.rssPeak = slices.Max(append(samples, rep.rssEnd))
	return rep, nil
}

type serveInput struct {
	path string
	data []byte
}

// serveInputs are serveInputs manifests of the corpus, spread over its
// kinds, the invalid ones among them.
func (b *bench) serveInputs() ([]serveInput, error) {
	var paths []string
	for _, k := range b.c.kinds() {
		fs := b.c.Files[k]
		step := max(1, len(fs)*len(b.c.Files)/serveInputs)
		for i := 0; i < len(fs); i += step {
			paths = append(paths, fs[i])
		}
	}
	invalid := slices.Sorted(func(yield func(string) bool) {
		for p := range b.c.Invalid {
			if !yield(p) {
				return
			}
		}
	})
	paths = append(paths, first(invalid, serveInputs/10)...)
	slices.Sort(paths)
	paths = slices.Compact(paths)
	var out []serveInput
	for _, p := range paths {
		data, err := os.ReadFile(filepath.Join(b.c.dir, filepath.FromSlash(p)))
		if err != nil {
			return nil, err
		}
		out = append(out, serveInput{p, data})
	}
	return out, nil
}

// rss is a process's resident set in KiB (Linux), 0 where it cannot be read.
func rss(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n
		}
	}
	return 0
}

// flat says whether memory stayed flat: the resident set at the end and
// at its peak within flatShare (or flatSlackMB) of the one a tenth into
// the run.
func (r *serveReport) flat() bool {
	limit := max(int64(float64(r.rssTenth)*flatShare), r.rssTenth+flatSlackMB*1024)
	return r.rssTenth > 0 && r.rssEnd <= limit && r.rssPeak <= limit
}

func (r *serveReport) print(w io.Writer, b *bench) {
	fmt.Fprintf(w, "\nserve: POST /v1/validate, %d requests from %d concurrent clients on loopback, keep-alive,\n", r.requests, r.clients)
	fmt.Fprintf(w, "       %d manifests of the corpus (%d invalid) in turn, each answer compared with its first\n", r.inputs, r.invalid)
	fmt.Fprintf(w, "errors:    %d (goal 0) %s\n", r.errors, goal(r.errors == 0))
	if r.firstErr != "" {
		fmt.Fprintf(w, "           first: %s\n", r.firstErr)
	}
	fmt.Fprintf(w, "rate:      %.0f requests/s (%s for all, %d cores)\n", float64(r.requests)/r.wall.Seconds(), secs(r.wall), b.cores)
	fmt.Fprintf(w, "latency:   p50 %s  p90 %s  p99 %s  max %s\n", ms(r.p50), ms(r.p90), ms(r.p99), ms(r.max))
	fmt.Fprintf(w, "memory:    resident %d MB after the warm-up, %d MB a tenth in, %d MB at the peak, %d MB at the end\n",
		mb(r.rssStart), mb(r.rssTenth), mb(r.rssPeak), mb(r.rssEnd))
	fmt.Fprintf(w, "           (%d samples, every 50 ms): flat (peak and end <= %.2fx or +%d MB of a tenth in) %s\n", r.samples, flatShare, flatSlackMB, goal(r.flat()))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }
