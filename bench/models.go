package bench

// Model kinds a sweep can run on (Spec.Models, Cell.Model).
const (
	// ModelCompiled is the case's tracr-compiled model.
	ModelCompiled = "compiled"
	// ModelSIIT is the case's model trained with SIIT (package siit),
	// trained once per sweep directory under models/case_N.
	ModelSIIT = "siit"
)
