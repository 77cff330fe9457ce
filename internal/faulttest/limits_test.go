package faulttest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/varcade/statsctl/internal/e2etest"
	"github.com/varcade/statsctl/internal/testredis"
)

// floodToken is the write token of the flood test's serve.
const floodToken = "flood-token-0123456789"

// TestFaultServeEventsFlood: 16 clients POST a 1 MiB body of `{}` lines
// (349,525 invalid events each) to the real `statsctl serve` at once. Each
// answer is bounded (a summary and at most the first 1000 problems, or 503
// with Retry-After when the write slots are taken) and the process's peak
// RSS (VmHWM) stays bounded; the code before the limits answered 33 MB
// bodies and peaked at 3.1 GB.
func TestFaultServeEventsFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real processes")
	}
	bin := e2etest.BuildStatsctl(t)
	srv := testredis.Start(t)
	sv, api := e2etest.StartServe(t, bin, "--listen", "127.0.0.1:0", "--redis", srv.URL(),
		"--write-token", floodToken, "--access-log=false")
	pid := sv.Cmd.Process.Pid
	body := bytes.Repeat([]byte("{}\n"), (1<<20)/3)
	// Warm up: one small write, so the figure before is of a serving process.
	post := func(b []byte) (int, http.Header, []byte, error) {
		req, _ := http.NewRequest("POST", api+"/v1/events", bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+floodToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil, nil, err
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, out, err
	}
	if code, _, out, err := post([]byte(`{"product_id":"exrps","game_id":"g1","type":"game_over","winner_id":"u1","loser_id":"u2"}`)); err != nil || code != 200 {
		t.Fatalf("warm-up POST: %d %s %v", code, out, err)
	}
	before := e2etest.ProcStatusKB(pid, "VmHWM")

	const clients = 16
	type answer struct {
		code  int
		retry string
		size  int
		body  []byte
		err   error
	}
	answers := make([]answer, clients)
	var wg sync.WaitGroup
	start := make(chan struct{})
	began := time.Now()
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			code, h, out, err := post(body)
			a := answer{code: code, size: len(out), err: err}
			if h != nil {
				a.retry = h.Get("Retry-After")
			}
			if len(out) > 4096 {
				out = out[:4096]
			}
			a.body = out
			answers[i] = a
		}()
	}
	close(start)
	wg.Wait()
	took := time.Since(began)
	after := e2etest.ProcStatusKB(pid, "VmHWM")
	t.Logf("16 concurrent 1 MiB {} bodies: VmHWM %d kB before, %d kB after, in %s", before, after, took.Round(time.Millisecond))

	codes := map[int]int{}
	largest := 0
	for i, a := range answers {
		codes[a.code]++
		largest = max(largest, a.size)
		if a.err != nil {
			t.Errorf("client %d: %v", i, a.err)
			continue
		}
		if a.size > 1<<20 {
			t.Errorf("client %d: %d-byte answer (status %d); a response must stay under 1 MiB", i, a.size, a.code)
		}
		switch a.code {
		case 200:
			if a.size > 4096 {
				break // checked by size above; the layout is TestEventsAnswerBounded's
			}
			var r struct {
				Events, Invalid int
				Omitted         int `json:"results_omitted"`
				Results         []json.RawMessage
			}
			if err := json.Unmarshal(a.body, &r); err != nil {
				t.Errorf("client %d: answer is not JSON: %v", i, err)
			}
		case http.StatusServiceUnavailable, http.StatusTooManyRequests:
			if a.retry == "" {
				t.Errorf("client %d: %d without Retry-After", i, a.code)
			}
			if !strings.Contains(string(a.body), `"code":"too_busy"`) {
				t.Errorf("client %d: %d body %s, want the JSON error too_busy", i, a.code, a.body)
			}
		default:
			t.Errorf("client %d: status %d: %s", i, a.code, a.body)
		}
	}
	t.Logf("answers by status: %v; largest answer %d bytes", codes, largest)
	if codes[200] == 0 {
		t.Errorf("no request was served: %v", codes)
	}
	const boundKB = 400 << 10
	if after > boundKB {
		t.Errorf("peak RSS %d kB under the flood, want under %d kB", after, boundKB)
	}
	if code, _, out, err := post([]byte(`{"product_id":"exrps","game_id":"g2","type":"game_over","winner_id":"u1","loser_id":"u2"}`)); err != nil || code != 200 {
		t.Fatalf("POST after the flood: %d %s %v", code, out, err)
	}
	if code := sv.Stop(t, 10*time.Second); code != 0 {
		t.Fatalf("serve exit %d; log:\n%s", code, e2etest.Tail(sv.Output()))
	}
}
