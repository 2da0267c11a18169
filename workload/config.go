package workload

import (
	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/sae"
)

// SAEConfig is the original notebook's SAELens config (sae.NotebookConfig,
// the single source of the defaults every job starts from) for an SAE at
// hook of modelName, reading dIn-wide vectors from token rows of
// contextSize positions (no BOS is prepended: the rows carry their own).
func SAEConfig(modelName, hook string, contextSize, dIn int) sae.Config {
	cfg := sae.NotebookConfig()
	cfg.ModelName, cfg.ContextSize, cfg.DIn = modelName, contextSize, dIn
	SetHook(&cfg, hook)
	return cfg
}

// SetHook sets cfg's hook_name and, for a hook inside a block, its
// hook_layer (model.ParseHook); other fields are left alone.
func SetHook(cfg *sae.Config, hook string) {
	cfg.HookName = hook
	if h, err := model.ParseHook(hook); err == nil && h.Layer >= 0 {
		cfg.HookLayer = h.Layer
	}
}
