package features

// Effect is the change of one model output when a feature's contribution is
// removed at the hook, averaged over the feature's top examples.
type Effect struct {
	Output string  `json:"output"`
	Delta  float64 `json:"delta"`
}
