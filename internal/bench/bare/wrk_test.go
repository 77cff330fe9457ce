package bare_test

import "testing"

// TestParseWrk pins the parsing of wrk's output the benchmark's table
// comes from (units differ by magnitude).
func TestParseWrk(t *testing.T) {
	out := `Running 10s test @ http://127.0.0.1:4000/leaderboards/top_ten/exrps
  2 threads and 32 connections
  Latency Distribution
     50%  254.00us
     75%  400.00us
     90%    1.20ms
     99%    6.91ms
  1100000 requests in 10.00s, 500.00MB read
Requests/sec: 110012.34
Transfer/sec:     50.00MB
`
	r, err := parseWrk(out)
	if err != nil || r.rate != 110012.34 || r.p99ms != 6.91 {
		t.Fatalf("got %+v, %v", r, err)
	}
	for in, want := range map[string]float64{"     99%  812.00us\n": 0.812, "     99%    1.50s\n": 1500} {
		r, err := parseWrk("Requests/sec: 1\n" + in)
		if err != nil || r.p99ms != want {
			t.Errorf("%q: got %+v, %v; want p99 %v ms", in, r, err, want)
		}
	}
	if _, err := parseWrk("nothing"); err == nil {
		t.Error("no error for output without figures")
	}
}
