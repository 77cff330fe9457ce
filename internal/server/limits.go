package server

import "fmt"

// DefaultMaxHeaderBytes is the largest request head serve reads: the
// request line, every header line and the blank line that ends them,
// counted in bytes as they arrive. One more byte is answered 431.
const DefaultMaxHeaderBytes = 16 << 10

// httpHeaderSlack is what net/http adds to http.Server.MaxHeaderBytes
// before it stops reading a request head (its bufio slack), so a promise
// of N bytes is http.Server.MaxHeaderBytes = N - httpHeaderSlack.
const httpHeaderSlack = 4096

// serverMaxHeaderBytes turns a promised request-head limit (0: the
// default) into http.Server.MaxHeaderBytes.
func serverMaxHeaderBytes(limit int) (int, error) {
	if limit == 0 {
		limit = DefaultMaxHeaderBytes
	}
	if limit <= httpHeaderSlack {
		return 0, fmt.Errorf("server: a header limit of %d bytes is too small; use more than %d", limit, httpHeaderSlack)
	}
	return limit - httpHeaderSlack, nil
}
