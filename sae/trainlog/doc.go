// Package trainlog renders an SAE training run for a terminal: the
// SAELens/tqdm-style progress line the trainer's OnProgress callback draws,
// and the run summary (every logged metric's final value and a sparkline of
// its history). The sae library only reports numbers; the CLI picks how to
// show them.
//
//	tr.OnProgress = trainlog.Bar(os.Stderr)
//	err := tr.Run()
//	fmt.Print(trainlog.Summary(tr.Metrics()))
package trainlog
