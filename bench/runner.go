package bench

import "errors"

// Backend is what a real sweep needs from the rest of glassbox: the case
// catalogue, each case's model hooks, and the cell runner.
type Backend struct {
	AllCases func() []int // the cases "--cases all" means
	Hooks    HookLister   // hook names of a case's compiled model, forward order
	Run      RunFunc      // compile → activations → train SAE → label → metrics
}

// ErrNoBackend is returned by RealBackend while the upstream packages the
// real cell runner needs are not available.
var ErrNoBackend = errors.New("the real cell runner is not yet available: it needs the cases catalogue, the tracr compiler, activation stores, the SAE trainer and feature labelling wired together")

// RealBackend returns the backend built from glassbox's own packages.
func RealBackend() (*Backend, error) {
	return nil, ErrNoBackend
}
