// Package web is glassbox's feature browser: an HTTP server over one or more
// SAE run directories, rendering the report package's embedded templates
// (no external CDN, no client framework; a few lines of inline JavaScript
// sort and filter tables and redraw curves).
//
//	dirs, notes := web.RunDirs(args)            // skip report.html and other non-runs
//	srv, err := web.New(dirs, loader)
//	go srv.Preload(ctx)                         // analyse up to MaxPreload runs in the background
//	err = srv.HTTPServer().Serve(ln)            // timeouts and header limits set
//
// Routes:
//
//	/                               runs: case, model, hook, arch, d_sae, EV, L0, coverage, spliced acc.
//	/search?q=LABEL                 features labelled LABEL across the analysed runs
//	/compare?run=A&run=B[&log=1]    training curves of the runs overlaid
//	/run/{name}/                    run page (?sort=label|score|density|max|dups|verdict, "-" for descending)
//	/run/{name}/feature/{n}         feature page
//	/run/{name}/try?input=…         try your own input (&feature=N&mode=zero|clamp&value=V)
//	/run/{name}/features.json       the `glassbox features --json` object
//	/run/{name}/curves              the training curves (the fragment live pages fetch)
//	/run/{name}/metrics-stamp       changes when metrics.jsonl grows or the final SAE appears
//	/run/{name}/files/{path...}     a file inside the run directory
//
// A run's {name} is its directory's base name. Runs whose base names
// collide are named from the model kind their source.json records, then
// the hook ("compiled-resid-pre" and "siit-resid-pre" for runs/demo/resid-pre
// and runs/demo/siit/resid-pre); a "-2", "-3" … suffix only when they
// record nothing that differs.
//
// Each run is analysed once, on first request, by the Loader the caller
// passes (concurrent requests wait for that one computation; a failed load
// is retried on the next request); pages are rendered into memory before
// anything is written. A run still training (a metrics.jsonl, no final SAE)
// gets a page with its curves so far that redraws as the log grows.
// File requests are confined to the run directory with os.Root, and any
// path with a ".." element, a backslash or a NUL byte is rejected with 400.
// Bounded work: at most MaxProbes inputs run at once (503 beyond), one
// sequence of at most rundir.MaxProbeInput characters and the model's
// context, at most MaxCompare runs compared.
package web
