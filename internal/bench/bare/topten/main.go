// Command topten is the bare HTTP server of `make bench-limits`: a plain
// net/http server answering GET /leaderboards/top_ten/<anything> with the
// bytes of a file, read once into memory (the benchmark gives it the
// answer `statsctl serve` gave for the same board). No Redis, no cache,
// no routing, no metrics, no log: the floor under what `statsctl serve`
// costs on the same machine under the same load.
//
//	topten -listen 127.0.0.1:0 -body top_ten.json
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	bodyFile := flag.String("body", "", "file holding the answer")
	flag.Parse()
	body, err := os.ReadFile(*bodyFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "topten:", err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "topten:", err)
		os.Exit(1)
	}
	length := strconv.Itoa(len(body))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /leaderboards/top_ten/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", length)
		_, _ = w.Write(body)
	})
	// The line the benchmark waits for (with :0 the only way to learn the port).
	fmt.Printf("topten: listening on http://%s\n", ln.Addr())
	if err := http.Serve(ln, mux); err != nil {
		fmt.Fprintln(os.Stderr, "topten:", err)
		os.Exit(1)
	}
}
