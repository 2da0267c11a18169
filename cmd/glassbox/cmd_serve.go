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
server binds 127.0.0.1 unless --addr says otherwise.

The index lists every run's case, model, hook, architecture, d_sae, explained
variance, L0, coverage and spliced accuracy (sortable, filterable; the runs
are analysed one after another in the background when there are at most 12,
unless --preload=false),
searches feature labels across runs and overlays the training curves of
selected runs. A feature page reads the decoder row in the compiled model's
labelled residual basis, lists the outputs it raises and lowers, its decoder
neighbours and the ground-truth value beside each example. A run page's
"try your own input" form runs one token string (the case's tokenizer) with
the SAE spliced in, optionally zeroing or clamping a feature. Pages of a run
still training redraw their curves as metrics.jsonl grows. Arguments that
are not run directories (runs/demo/report.html) are skipped with a note.
A run's URL name is its directory's base name; runs whose base names collide
are named from the model kind they record, e.g. runs/demo/resid-pre and
runs/demo/siit/resid-pre are compiled-resid-pre and siit-resid-pre (with
the hook added, or a -2 suffix, when that is not enough).
Limits: request timeouts, an idle timeout, at most 2 inputs run at once,
inputs of at most 2000 characters and the model's context.`,
	Example: `  glassbox serve runs/demo/*
  glassbox serve runs/case3-resid-pre runs/case3-mlp-out
  glassbox serve runs/case3-resid-pre --addr 127.0.0.1:9000`,
	Args: cobra.MinimumNArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		addr, _ := cmd.Flags().GetString("addr")
		opts := serveFlags.options(true)
		dirs, notes := web.RunDirs(args)
		for _, n := range notes {
			fmt.Fprintln(cmd.ErrOrStderr(), "note: "+n)
		}
		if len(dirs) == 0 {
			return fmt.Errorf("serve: none of the %d argument(s) is a run directory", len(args))
		}
		srv, err := web.New(dirs, func(dir string) (*report.Run, error) {
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
		hs := srv.HTTPServer()
		fmt.Fprintf(cmd.OutOrStdout(), "serving %d run(s) at http://%s/ (Ctrl-C to stop)\n", len(dirs), ln.Addr())
		ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
		defer stop()
		if preload, _ := cmd.Flags().GetBool("preload"); preload {
			if len(dirs) > web.MaxPreload {
				fmt.Fprintf(cmd.ErrOrStderr(), "note: %d runs: each is analysed when first opened (background analysis only up to %d)\n", len(dirs), web.MaxPreload)
			} else {
				go srv.Preload(ctx)
			}
		}
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
	serveCmd.Flags().Bool("preload", true, "analyse the runs in the background so the index shows their figures")
	rootCmd.AddCommand(serveCmd)
}
