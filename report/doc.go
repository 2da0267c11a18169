// Package report renders an analysed SAE run as HTML: the run page
// (training curves from metrics.jsonl as inline SVG, reconstruction and
// downstream metrics, a sortable feature table), one page per feature (top-k
// examples as token strips with the active position highlighted, quantile
// examples, the activation histogram as SVG, the label and runner-up, the
// feature's output effect) and a single-file static report with the same
// content (WriteStatic, written atomically).
//
// It owns the view model (Run), the embedded html/template files and the SVG
// plotting, and it reads metrics.jsonl. It does not load SAEs or run models:
// a Run is filled by features/rundir (or by tests). The web package serves
// the same templates over HTTP.
package report
