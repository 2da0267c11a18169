// Package trained gives a case's SIIT-trained model folder, trained once and
// reused: the demo and `bench --models siit` share its one verb.
//
//	c, _ := cases.Get(3)
//	m, err := trained.Ensure(ctx, c, "runs/demo/siit-model", trained.Settings{})
//	// m.Dir holds ll_model.pth, config.json + model.safetensors, correspondence.json, …
//	w, err := workload.Open(cd, m.Dir)
//
// A folder is keyed by content (Key): the case's program source and
// compiled (HL) weights, the resolved siit recipe, LL shape and
// correspondence, the seeds and CodeVersion. A folder with the same key and a written model is reused; one
// with the same key but no model yet resumes from its last epoch checkpoint;
// one with another key (other settings, a changed program or siit code) is
// retrained from scratch. A folder without a key file that is not empty is
// never touched.
package trained
