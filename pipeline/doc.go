// Package pipeline owns SAE training runs as a user starts them: it resolves
// where a run's activations come from (a catalogue case compiled on the fly,
// a glassbox model directory driven by a case's dataset, or an activation
// file), records that choice in the run directory (source.json) so a run
// can be resumed, starts and resumes trainers, and runs the demo — the
// original notebook's loop end to end on case 3.
//
// Package sae owns the trainer and the run directory's training files;
// package features/rundir reads finished runs back for analysis. The CLI's
// train and demo commands are thin wrappers over this package.
package pipeline
