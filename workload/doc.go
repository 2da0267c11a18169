// Package workload owns what every SAE job on a transformer shares, so that
// training (pipeline), sweeps (bench) and analysis (features/rundir) read
// the same vectors from the same model:
//
//	set, err := workload.Collect(m, tokens, "blocks.1.attn.hook_pattern", workload.Select{Head: &h})
//	v, err := workload.NewView(hook, act.Shape, B, T, head) // the same slicing for analysis and splicing
//	x := v.Extract(act.Data, nil)                           // [B·T, d_in]
//	v.Replace(act.Data, xHat)                               // splice a reconstruction back
//
// View is the one hook-slicing rule ([B,T,d]; [B,T,H,d] at a head or
// hook_z flattened; [B,H,T,T] at a head, keys per query position), built on
// model.ParseHook, the one hook-name parser. Collect and Slice turn a
// hook's activation into an activations.Set for training.
package workload
