package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/glassbox-interp/glassbox/features/rundir"
	"github.com/glassbox-interp/glassbox/report"
	"github.com/glassbox-interp/glassbox/web"
	"github.com/spf13/cobra"
)

var serveFlags analysisFlags

var serveCmd = &cobra.Command{
	Use:   "serve RUN_DIR...",
	Short: "Browse SAE runs and their features in a web browser",
	Long: `serve starts a local web server over one or more run directories (or SAE
directories): a page per run with training curves, evaluation metrics and a
sortable feature table, and a page per feature with its top examples as token
strips, an activation histogram and its output effect. Each run is analysed
on first request. Only files inside the run directories are served. The
server binds 127.0.0.1 unless --addr says otherwise.`,
	Example: `  glassbox serve runs/case3-resid-pre runs/case3-mlp-out
  glassbox serve runs/case3-resid-pre --addr 127.0.0.1:9000`,
	Args: cobra.MinimumNArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		addr, _ := cmd.Flags().GetString("addr")
		opts := serveFlags.options(true)
		srv, err := web.New(args, func(dir string) (*report.Run, error) {
			res, err := rundir.Load(dir, opts)
			if err != nil {
				return nil, err
			}
			return report.FromResult(res), nil
		})
		if err != nil {
			return err
		}
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return fmt.Errorf("--addr %q: %w", addr, err)
		}
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s is reachable from other machines\n", addr)
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return err
		}
		hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
		fmt.Fprintf(cmd.OutOrStdout(), "serving %d run(s) at http://%s/ (Ctrl-C to stop)\n", len(args), ln.Addr())
		ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
		defer stop()
		go func() {
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			hs.Shutdown(sctx)
		}()
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	},
}

func init() {
	serveFlags.add(serveCmd)
	serveCmd.Flags().String("addr", "127.0.0.1:8080", "listen address")
	rootCmd.AddCommand(serveCmd)
}
