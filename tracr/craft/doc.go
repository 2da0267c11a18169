// Package craft owns tracr's "craft" layer: linear maps and bilinear forms
// over named bases (package bases), the MLP and attention-head blocks built
// from them, and the chamber constructions that turn RASP operations into
// blocks (categorical and numerical MLPs, SequenceMap and LinearSequenceMap
// MLPs, categorical attention with the BOS default, and SelectorWidth).
//
// Matrices are float64 and indexed by the sorted bases of their spaces, so a
// block's weights are fully determined by its spaces; conversion to float32
// happens only when a model is assembled.
package craft
