// Package tracr compiles RASP programs (package rasp) into the weights of a
// TransformerLens-style transformer, reproducing the circuits-benchmark fork
// of DeepMind's tracr compiler (FlyingPumba/tracr 98f4910) stage by stage:
//
//  1. static validation and graph extraction (rasp.ExtractGraph: tracr's
//     breadth-first labels);
//  2. value-set inference (Map functions are called on every input value;
//     ArithmeticErrors drop the value, other errors fail naming the label);
//  3. bases: every SOp's output space in tracr's sorted BasisDirection order;
//  4. craft blocks (package tracr/craft): categorical / numerical MLPs,
//     SequenceMap MLPs, Aggregate heads with the BOS default, SelectorWidth;
//  5. layer allocation (longest path by dynamic programming, tracr's
//     attention/MLP condensing heuristic, empty half-layers dropped);
//  6. assembly into TransformerLens parameter names and a model.Config.
//
// It also computes circuits-benchmark's hl→ll alignment
// (build_tracr_circuits with granularity "acdc_hooks"), extended so that
// every selector maps to the query/key hooks of each head that uses it.
package tracr
