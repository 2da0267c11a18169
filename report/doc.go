// Package report renders analysed SAE runs as HTML: the index of runs
// (key figures, sortable and filterable), the run page (training curves
// from metrics.jsonl as inline SVG with constant metrics folded, evaluation
// and downstream metrics, the log-density histogram of all features, a
// sortable feature table, the try-your-input form), one page per feature
// (the decoder row in the residual basis, output logits, neighbours,
// best-predicting variables, top examples as token strips with the
// ground-truth value and identical examples collapsed, the
// activation-vs-value scatter, histogram, quantile examples, output
// effect), the try, compare, search and pending pages, a single-file static
// report (WriteStatic) and a one-page summary of several runs
// (WriteSummary, glassbox demo's report.html), each written atomically.
//
// It owns the view model (Run), the embedded html/template files and the
// charts (drawn with package svgplot). It renders what it is given: it reads
// no files, loads no SAEs and runs no models; FromResult turns an analysed
// run (features/rundir.Load, which reads metrics.jsonl through
// workload.ReadMetrics) into a Run whose Inspect and Probe call back into
// the analysis, or tests fill one by hand. The web package serves the same
// templates over HTTP.
//
//	report.WriteStatic("runs/demo/resid-pre/report.html", report.FromResult(res))
//	report.WriteSummary("runs/demo/report.html", "demo", runs, hrefs)
package report
