// Package servecmd implements small serve: the repository, read only, over
// HTTP: the small/v1 contract, a JSON API and a playground in the browser
// (package httpapi).
package servecmd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/smallhq/small/cmd/internal/cmdutil"
	"github.com/smallhq/small/cmd/internal/httpapi"
)

// DefaultAddr is where small serve listens unless told otherwise.
const DefaultAddr = "127.0.0.1:7474"

// Timeouts of the server. Writing an answer may take as long as an
// evaluation may (limits.evalSeconds) and a verification of the whole
// artifact branch, hence the generous write timeout.
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 30 * time.Second
	WriteTimeout      = 5 * time.Minute
	IdleTimeout       = 2 * time.Minute
	MaxHeaderBytes    = 64 << 10
	// ShutdownTimeout is how long requests in flight may take to finish
	// after SIGINT or SIGTERM.
	ShutdownTimeout = 10 * time.Second
)

// Options are the inputs of small serve.
type Options struct {
	IO          *cmdutil.IOStreams
	Factory     *cmdutil.Factory
	Addr        string
	AllowRemote bool
	Hosts       []string
	MaxBody     int64
}

// NewCmdServe returns the serve command.
func NewCmdServe(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "serve [--addr 127.0.0.1:7474]",
		Short: "Serve the repository, read only, over HTTP: a JSON API and a playground",
		Long: `Serve the repository small runs in over HTTP, read only:

  GET  /                          the playground, status and artifact pages
  GET  /protocol/small/v1         the small/v1 contract (small protocol)
  POST /v1/validate[?path=P]      a manifest in the body: small validate's report
  POST /v1/render[?path=P]        a manifest in the body: what it would build
  GET  /v1/kinds                  small schema list
  GET  /v1/kinds/KIND             small schema show KIND
  GET  /v1/kinds/KIND/schema      small schema export KIND
  GET  /v1/status[?kind=&state=]  small status
  GET  /v1/artifacts/PATH         small show PATH: the bytes as built
  GET  /v1/lineage/TARGET[?all=]  small lineage TARGET
  GET  /v1/history/TARGET         small history TARGET
  GET  /v1/verify[?since=REV]     small verify

Each answer is the --format json output of the matching command, byte for
byte, read from the commit HEAD is at when the request arrives (never the
working tree); errors are small/v1's failure object with an HTTP status.
Nothing is written to the repository.

It listens on loopback unless --allow-remote says otherwise, and refuses
requests whose Host or Origin is not the address served, so that a web
page elsewhere cannot reach it by DNS rebinding. --addr 127.0.0.1:0 picks
a free port. The address is printed once listening; SIGINT or SIGTERM
stops it, letting requests in flight finish. See docs/serve.md.`,
		Example: `  $ small serve
  small serve: listening on http://127.0.0.1:7474/
  $ curl -s --data-binary @manifests/articles/hello-world.yaml \
      'http://127.0.0.1:7474/v1/validate?path=manifests/articles/hello-world.yaml'
  $ small serve --addr 0.0.0.0:7474 --allow-remote --allow-host docs.internal`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Addr, "addr", DefaultAddr, "listen on `host:port` (port 0 picks a free one)")
	cmd.Flags().BoolVar(&opts.AllowRemote, "allow-remote", false, "allow an --addr that is not loopback: anyone who can reach it reads the repository")
	cmd.Flags().StringSliceVar(&opts.Hosts, "allow-host", nil, "also accept requests addressed to host `name` (repeatable), e.g. the machine's name with --allow-remote")
	cmd.Flags().Int64Var(&opts.MaxBody, "max-body", httpapi.DefaultMaxBody, "refuse request bodies over `bytes` (413)")
	return cmd
}

// Run serves until the context ends or a signal arrives.
func Run(ctx context.Context, opts *Options) error {
	if opts.MaxBody <= 0 {
		return cmdutil.Usagef("--max-body %d: expected a positive number of bytes", opts.MaxBody)
	}
	for _, h := range opts.Hosts {
		if h == "" || strings.ContainsAny(h, ":/[] \t") {
			return cmdutil.Usagef("--allow-host %q: expected a host name without port, e.g. docs.internal", h)
		}
	}
	if _, err := opts.Factory.Repository(); err != nil {
		return err
	}
	tcp, err := net.ResolveTCPAddr("tcp", opts.Addr)
	if err != nil {
		return cmdutil.Usagef("--addr %q: %v: expected host:port, e.g. %s", opts.Addr, err, DefaultAddr)
	}
	loopback := tcp.IP != nil && tcp.IP.IsLoopback()
	if !loopback && !opts.AllowRemote {
		return cmdutil.Usagef("--addr %s is not a loopback address: small serve would serve this repository to anyone who can reach it; give --allow-remote to mean it", opts.Addr)
	}
	network := "tcp"
	if tcp.IP.To4() != nil {
		network = "tcp4" // 0.0.0.0 means IPv4's addresses, not IPv6's as well
	}
	ln, err := net.ListenTCP(network, tcp)
	if err != nil {
		return cmdutil.Usagef("listen on %s: %v", opts.Addr, err)
	}
	hosts := opts.Hosts
	if host, _, err := net.SplitHostPort(opts.Addr); err == nil && host != "" && net.ParseIP(host) == nil {
		hosts = append(hosts, host) // the name --addr gives, e.g. localhost
	}
	addr := ln.Addr().String()
	h := httpapi.New(httpapi.Options{Factory: opts.Factory, Addr: addr, Hosts: hosts, MaxBody: opts.MaxBody})
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
	}
	if !loopback {
		fmt.Fprintf(opts.IO.ErrOut, "small serve: warning: %s is not loopback (--allow-remote): anyone who can reach it reads this repository, over plain HTTP\n", addr)
	}
	fmt.Fprintf(opts.IO.Out, "small serve: listening on %s\n", URL(addr))

	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return cmdutil.Usagef("serve %s: %v", addr, err)
	case <-ctx.Done():
	}
	stop()
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		srv.Close()
		fmt.Fprintf(opts.IO.ErrOut, "small serve: stopped; requests still running after %s were cut\n", ShutdownTimeout)
		return nil
	}
	fmt.Fprintln(opts.IO.ErrOut, "small serve: stopped")
	return err
}

// URL is the address served as a URL for a browser.
func URL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr + "/"
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if ip.To4() == nil {
			host = "::1"
		}
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}
