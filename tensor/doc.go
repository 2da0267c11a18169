// Package tensor holds the dense float32 array type that glassbox's packages
// pass between each other: model weights, hook activations, SAE parameters
// and activation batches. It owns shapes and row-major indexing, nothing else;
// arithmetic lives with the code that needs it.
package tensor
