// Package rundir connects the features, report and web packages to the rest
// of glassbox: it loads an SAE run directory (or a bare SAELens SAE
// directory), resolves the model and the circuits-benchmark case it was
// trained on, runs the model over the case's dataset, encodes the hook's
// activations with the SAE, builds the ground truth from the RASP trace and
// the tracr alignment, and computes the labels, the reconstruction and
// spliced downstream metrics and each feature's output effect.
//
// Everything here is glue; the arithmetic lives in package features.
package rundir
