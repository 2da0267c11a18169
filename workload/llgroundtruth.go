package workload

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/glassbox-interp/glassbox/features"
	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/siit"
)

// Correspondence reads the HL → LL map of the model folder dir for case cd:
// the folder's correspondence.json, else InterpBench's default for the case
// (siit.DefaultCorrespondence: same hook and head, with the per-case
// overrides). A folder holding a model of the compiled model's own shape
// whose default map does not fit (a saved compiled model) gets nil: its
// variables sit where the compiler's alignment puts them.
func Correspondence(cd *Case, dir string, ll model.Config) (*siit.Correspondence, error) {
	p := filepath.Join(dir, siit.CorrespondenceFile)
	if _, err := os.Stat(p); err == nil {
		entries, err := siit.ReadEntries(p)
		if err != nil {
			return nil, err
		}
		c, err := siit.NewCorrespondence(cd.Compiled, ll, entries)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		return c, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read correspondence: %w", err)
	}
	c, err := siit.DefaultCorrespondence(cd.Compiled, ll, cd.ID)
	if err != nil {
		if sameShape(cd.Compiled.Config, ll) {
			return nil, nil
		}
		return nil, fmt.Errorf("model %s for %s: no %s and the default correspondence does not fit: %w", dir, cd.Name, siit.CorrespondenceFile, err)
	}
	return c, nil
}

func sameShape(a, b model.Config) bool {
	return a.NLayers == b.NLayers && a.NHeads == b.NHeads && a.DModel == b.DModel && a.DHead == b.DHead && a.DMLP == b.DMLP && a.AttnOnly == b.AttnOnly
}

// LLHooks lists, per HL variable, the LL hooks the correspondence puts it
// at, in the alignment's notation: "blocks.L.attn.hook_result[h]" for a
// head, "blocks.L.hook_mlp_out" for an MLP (the value exists from
// blocks.L.mlp.hook_post on).
func LLHooks(c *siit.Correspondence) map[string][]string {
	out := map[string][]string{}
	for _, e := range c.Entries {
		for _, n := range e.LL {
			h := n.Hook
			switch {
			case n.Head != nil:
				h = fmt.Sprintf("%s[%d]", n.Hook, *n.Head)
			case strings.HasSuffix(n.Hook, ".mlp.hook_post"):
				h = strings.TrimSuffix(n.Hook, "mlp.hook_post") + "hook_mlp_out"
			}
			out[e.HL.Label] = append(out[e.HL.Label], h)
		}
	}
	return out
}

// LLGroundTruth is GroundTruth for a low-level model with config ll that
// implements the case by correspondence c: the values still come from the
// program's traces, but where each variable is available comes from c
// (LLHooks), and the program's output is also available at the last
// hook_resid_post. Tokens and indices are covered by the token and
// position candidates (hook_embed, hook_pos_embed) as for compiled models.
func (cd *Case) LLGroundTruth(ll model.Config, c *siit.Correspondence) (*features.GroundTruth, error) {
	gt, err := cd.GroundTruth(ll)
	if err != nil {
		return nil, err
	}
	hooks := LLHooks(c)
	out := ""
	if cd.Program != nil {
		out = cd.Program.Label()
	}
	last := fmt.Sprintf("blocks.%d.hook_resid_post", ll.NLayers-1)
	for i := range gt.Variables {
		v := &gt.Variables[i]
		v.Hooks = append([]string(nil), hooks[v.Name]...)
		if v.Name == out {
			v.Hooks = append(v.Hooks, last)
		}
	}
	return gt, nil
}
