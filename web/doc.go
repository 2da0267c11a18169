// Package web is glassbox's feature browser: an HTTP server over one or more
// SAE run directories, rendering the report package's embedded templates
// (no external CDN, no client framework; a few lines of inline JavaScript
// sort the feature table).
//
// Routes:
//
//	/                               list of runs
//	/run/{name}/                    run page (?sort=label|score|density|max|dups|verdict, "-" for descending)
//	/run/{name}/feature/{n}         feature page
//	/run/{name}/features.json       the `glassbox features --json` object
//	/run/{name}/files/{path...}     a file inside the run directory
//
// Each run is analysed once, on first request, by the Loader the caller
// passes (concurrent requests wait for that one computation; a failed load
// is retried on the next request); pages are rendered into memory before
// anything is written.
// File requests are confined to the run directory with os.Root, and any
// path with a ".." element, a backslash or a NUL byte is rejected with 400.
package web
