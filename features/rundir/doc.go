// Package rundir analyses an SAE run directory (or a bare SAELens SAE
// directory):
//
//	res, err := rundir.Load("runs/demo/resid-pre", rundir.Options{Cases: workload.CatalogueCase})
//
// It resolves the model and the circuits-benchmark case the SAE was trained
// on (source.json via workload.ReadSource, else the SAE's model name), runs
// the model over the case's dataset, reads the hook through the same
// workload.View the SAE was trained on, encodes it, builds the ground truth
// from the RASP trace and the tracr alignment, and computes the labels, the
// reconstruction and spliced downstream metrics and each feature's output
// effect. The arithmetic lives in package features; report.FromResult turns
// a Result into pages (this package does not import report).
package rundir
