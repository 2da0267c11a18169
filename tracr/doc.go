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

// # API
//
//	comp, err := tracr.Compile(program, vocab, maxSeqLen, tracr.Options{Causal: true})
//	comp, err := tracr.CompileCase(c, 100)    // a *cases.Case, as circuits-benchmark compiles it
//	comp, err := tracr.CompileCaseLimit(c, 100, maxParams) // with Options.MaxParams (default 2^28):
//	                                          // bigger models are an error wrapping ErrTooLarge
//	                                          // (sizes in words) before anything that size is allocated
//	res, err := tracr.CheckCase(c, comp, n)   // causal models against RASP on each prefix
//	comp.Config, comp.Params                  // model.Config + TransformerLens-named weights
//	comp.ResidualLabels, comp.Residual        // residual stream layout ("tokens:a", "is_x_3", …)
//	comp.Tokens, comp.TokenID(v)              // token ids (tracr's sorted tokens basis)
//	comp.Categorical, comp.OutputValues       // output decoding (argmax id → value, or one column)
//	comp.Blocks                               // half-layers: heads with q/k/v inputs, MLP outputs/inputs
//	comp.Alignment                            // Entries/Lines (notebook printout), Map (label → hooks),
//	                                          // Reference (circuits-benchmark's), Edges, Dims (label → dims)
//	m, err := comp.Model()                    // *model.Model
//	out, err := comp.Apply(m, rows)           // decoded outputs, rows start with BOS
//	res, err := comp.Check(m, rows, batch)    // model vs expected outputs, unpadded/padded split
//	err = comp.Save(dir)                      // config.json, model.safetensors, residual_labels.json,
//	                                          // alignment.json, tokenizer.json
//	comp.Summary(), comp.Layout()             // text renderings (Layout adds residual dims + alignment)
