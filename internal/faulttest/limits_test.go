package faulttest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/varcade/statsctl/internal/e2etest"
	"github.com/varcade/statsctl/internal/server"
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

// TestFaultServeIdleConns: 3,000 clients each make one keep-alive request
// to the real `statsctl serve` and stay connected. With the default
// --max-conns (server.DefaultMaxConns) every one is answered, serve never
// holds more than the cap open (each new connection at the cap closes the
// longest-idle one), and its memory stays bounded; the code before the
// cap held all 3,000 open and grew from 27 to 82 MB.
func TestFaultServeIdleConns(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real processes")
	}
	bin := e2etest.BuildStatsctl(t)
	srv := testredis.Start(t)
	sv, api := e2etest.StartServe(t, bin, "--listen", "127.0.0.1:0", "--redis", srv.URL(), "--access-log=false")
	pid := sv.Cmd.Process.Pid
	addr := strings.TrimPrefix(api, "http://")
	before := e2etest.ProcStatusKB(pid, "VmHWM")
	fdsBefore := openFDs(pid)

	const clients, workers = 3000, 8
	conns := make([]net.Conn, clients)
	failed := make([]error, clients)
	maxFDs := 0
	var mu sync.Mutex
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					failed[i] = err
					continue
				}
				conns[i] = c
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
					failed[i] = err
					continue
				}
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil {
					failed[i] = err
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					failed[i] = fmt.Errorf("status %d", resp.StatusCode)
				}
				if i%100 == 0 {
					n := openFDs(pid)
					mu.Lock()
					maxFDs = max(maxFDs, n)
					mu.Unlock()
				}
			}
		}()
	}
	began := time.Now()
	for i := range clients {
		next <- i
	}
	close(next)
	wg.Wait()
	took := time.Since(began)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	time.Sleep(200 * time.Millisecond)
	after := e2etest.ProcStatusKB(pid, "VmHWM")
	fds := openFDs(pid)
	maxFDs = max(maxFDs, fds)
	t.Logf("%d keep-alive connections, one request each, in %s: VmHWM %d kB before, %d kB after; serve's open fds %d before, at most %d during, %d at the end",
		clients, took.Round(time.Millisecond), before, after, fdsBefore, maxFDs, fds)
	bad := 0
	for i, err := range failed {
		if err != nil {
			if bad < 5 {
				t.Errorf("client %d: %v", i, err)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d clients got no answer", bad, clients)
	}
	// The cap plus what serve holds besides HTTP connections (listener,
	// Redis pool, log, epoll): fdsBefore.
	if limit := server.DefaultMaxConns + fdsBefore + 8; maxFDs > limit {
		t.Errorf("serve held %d fds, want at most %d (--max-conns %d)", maxFDs, limit, server.DefaultMaxConns)
	}
	if code := sv.Stop(t, 15*time.Second); code != 0 {
		t.Fatalf("serve exit %d; log:\n%s", code, e2etest.Tail(sv.Output()))
	}
}

// openFDs counts a process's open file descriptors.
func openFDs(pid int) int {
	ents, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	return len(ents)
}
