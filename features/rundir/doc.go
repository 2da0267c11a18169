// Package rundir analyses an SAE run directory (or a bare SAELens SAE
// directory):
//
//	res, err := rundir.Load("runs/demo/resid-pre", rundir.Options{Cases: workload.CatalogueCase})
//	d, err := res.Inspect(29)     // decoder row in the residual basis, W_dec·W_U, neighbours, ground truth
//	p, err := res.Probe(rundir.ProbeRequest{Input: "a x b x", Feature: 29, Mode: "zero"})
//	m, err := rundir.ReadMeta(dir) // an index row from the run's files, without loading anything
//
// Load resolves the model and the circuits-benchmark case the SAE was
// trained on (source.json via workload.ReadSource, else the SAE's model
// name), runs the model over the case's dataset, reads the hook through the
// same workload.View the SAE was trained on, encodes it, builds the ground
// truth from the RASP trace and the tracr alignment, and computes the
// labels, the reconstruction and spliced downstream metrics and each
// feature's output effect.
//
// Inspect gives what a feature page shows beyond the statistics: the
// decoder row in tracr's labelled residual basis (compiled models, residual
// hooks), the outputs it raises and lowers through W_U, the features with
// the nearest decoder rows, the ground-truth candidates that best predict
// it, the ground-truth value at each top example and the
// activation-vs-value scatter of a numerical label. Probe runs one token
// string (the case's tokenizer, at most the model's context) with the SAE
// spliced in, optionally zeroing or clamping one feature.
//
// The arithmetic lives in package features; report.FromResult turns a
// Result into pages (this package does not import report).
package rundir
