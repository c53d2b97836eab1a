// Command bare204 is the benchmark baseline for the edge: a fasthttp server
// with the edge's server settings that answers every request 204 and does
// nothing else. bench/edge.sh compares the edge against it.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/valyala/fasthttp"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8090", "address to answer on")
	flag.Parse()
	server := &fasthttp.Server{
		Handler:               func(ctx *fasthttp.RequestCtx) { ctx.SetStatusCode(fasthttp.StatusNoContent) },
		Name:                  "bare204",
		ReadBufferSize:        16 << 10,
		NoDefaultContentType:  true,
		NoDefaultServerHeader: true,
		NoDefaultDate:         true,
	}
	if err := server.ListenAndServe(*listen); err != nil {
		fmt.Fprintln(os.Stderr, "bare204:", err)
		os.Exit(1)
	}
}
