// Package report renders an analysed SAE run as HTML: the run page
// (training curves from metrics.jsonl as inline SVG, reconstruction and
// downstream metrics, a sortable feature table), one page per feature (top-k
// examples as token strips with the active position highlighted, quantile
// examples, the activation histogram as SVG, the label and runner-up, the
// feature's output effect) and a single-file static report with the same
// content (WriteStatic, written atomically).
//
// It owns the view model (Run), the embedded html/template files and the
// charts (drawn with package svgplot). It renders what it is given: it reads
// no files, loads no SAEs and runs no models; FromResult turns an analysed
// run (features/rundir.Load, which reads metrics.jsonl through
// workload.ReadMetrics) into a Run, or tests fill one by hand. The web
// package serves the same templates over HTTP.
//
//	report.WriteStatic("runs/demo/resid-pre/report.html", report.FromResult(res))
package report
