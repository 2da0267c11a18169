// Package pipeline owns SAE training runs as a user starts them:
//
//	run, err := pipeline.Start(dir, workload.Source{Case: 3, Hook: "blocks.0.hook_mlp_out"}, sae.NotebookConfig(), pipeline.StartOptions{})
//	m, err := run.Train(os.Stderr) // resumable: pipeline.Resume(dir)
//
// Start loads the activations the workload.Source names (a catalogue case
// compiled on the fly, a glassbox model directory driven by a case's
// dataset, or an activation file), records the source in the run directory
// (source.json, workload.WriteSource) so the run can be resumed, and builds
// the trainer; Demo runs the original notebook's loop end to end on case 3:
// DemoTrained (DemoOptions.Model "siit", the CLI's default) on the
// SIIT-trained case-3 model beside the compiled one, with comparison.md.
//
// Package sae owns the trainer and the run directory's training files;
// package features/rundir reads finished runs back for analysis. The CLI's
// train and demo commands are thin wrappers over this package.
package pipeline
