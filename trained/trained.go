package trained

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/glassbox-interp/glassbox/cases"
	"github.com/glassbox-interp/glassbox/formats/atomicfile"
	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/siit"
)

// CodeVersion changes whenever glassbox's SIIT training changes the
// weights it produces for the same settings; cached models with an older
// version are retrained.
const CodeVersion = 1

// KeyFile holds a cached folder's key.
const KeyFile = "glassbox_key.txt"

// Settings choose the SIIT run; the zero value is InterpBench's default
// recipe for the case with seeds 0.
type Settings struct {
	// Recipe is "gen1", "gen2" or "" (the case's default).
	Recipe string
	// Epochs and Samples, when > 0, override the recipe's maximum epochs
	// and dataset rows (small settings for tests and quick looks).
	Epochs, Samples int
	Seed, InitSeed  int64
	// Progress is called after every epoch (nil: nothing).
	Progress func(siit.EpochStats) `json:"-"`
}

// Setup is the siit.Setup the settings stand for.
func (s Settings) Setup() siit.Setup {
	return siit.Setup{Recipe: s.Recipe, Adjust: func(r *siit.Recipe) {
		if s.Epochs > 0 {
			r.Epochs = s.Epochs
		}
		if s.Samples > 0 {
			r.FixSamples(s.Samples)
		}
	}}
}

// Model is a case's trained model folder.
type Model struct {
	Dir string
	Key string
	// Reused is true when the folder already held the model.
	Reused bool
	// Val is the saved model's validation metrics (meta.json).
	Val siit.Metrics
	// Seconds is the training time of this call (0 when reused).
	Seconds float64
}

// Key is the content key of a job's trained model: SHA-256 over the case's
// program source, the compiled (HL) model's weights (so a change in the
// library or the compiler counts too), the job's recipe, LL config and
// correspondence, the seeds and CodeVersion.
func Key(c *cases.Case, j *siit.Job, s Settings) (string, error) {
	hl, err := hlHash(j)
	if err != nil {
		return "", fmt.Errorf("key for case %s: %w", c.Name(), err)
	}
	b, err := json.Marshal(struct {
		Version  int
		Case     string
		Source   string
		HL       string
		Recipe   siit.Recipe
		LL       model.Config
		InitStd  float64
		Corr     []siit.Entry
		Data     string
		Seed     int64
		InitSeed int64
	}{CodeVersion, c.Name(), c.Source(), hl, j.Recipe, j.LL, j.InitStd, j.Corr.Entries, j.Data.Rule, s.Seed, s.InitSeed})
	if err != nil {
		return "", fmt.Errorf("key for case %s: %w", c.Name(), err)
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:]), nil
}

// Ensure returns case c's SIIT model in dir, training it (or resuming an
// interrupted training) when dir does not already hold it for these
// settings (see the package doc).
func Ensure(ctx context.Context, c *cases.Case, dir string, s Settings) (*Model, error) {
	j, err := siit.Prepare(c, s.Setup())
	if err != nil {
		return nil, err
	}
	key, err := Key(c, j, s)
	if err != nil {
		return nil, err
	}
	m := &Model{Dir: dir, Key: key}
	have, err := readKey(dir)
	if err != nil {
		return nil, err
	}
	switch {
	case have == key && complete(dir):
		m.Reused = true
		m.Val = readVal(dir)
		return m, nil
	case have != "" && have != key:
		// Our own cache with other settings: start over.
		if err := os.RemoveAll(dir); err != nil {
			return nil, fmt.Errorf("retrain %s: %w", dir, err)
		}
	case have == "":
		if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
			return nil, fmt.Errorf("trained model cache %s: the folder is not empty and has no %s (not a glassbox cache): choose another folder", dir, KeyFile)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, KeyFile), []byte(key+"\n"), 0o644); err != nil {
		return nil, err
	}
	start := time.Now()
	opt := siit.Options{Out: dir, Resume: true, Seed: s.Seed, InitSeed: s.InitSeed, Progress: s.Progress}
	res, err := j.TrainModel(ctx, opt)
	if err != nil {
		return nil, fmt.Errorf("train case %s into %s: %w", c.Name(), dir, err)
	}
	m.Val, m.Seconds = res.Val, time.Since(start).Seconds()
	return m, nil
}

func readKey(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, KeyFile))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("trained model cache: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// complete reports whether dir holds a written model (WriteModel writes
// meta.json last).
func complete(dir string) bool {
	for _, f := range []string{model.ConfigFile, model.WeightsFile, siit.CorrespondenceFile, siit.MetaFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return false
		}
	}
	return true
}

func readVal(dir string) siit.Metrics {
	var meta siit.Meta
	if b, err := os.ReadFile(filepath.Join(dir, siit.MetaFile)); err == nil {
		_ = json.Unmarshal(b, &meta)
	}
	return meta.Glassbox.Val
}

// hlHash hashes the compiled model's config and parameters.
func hlHash(j *siit.Job) (string, error) {
	m, err := j.Comp.Model()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	cfg, err := json.Marshal(m.Config())
	if err != nil {
		return "", err
	}
	h.Write(cfg)
	params := m.Params()
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	var buf [4]byte
	for _, k := range names {
		h.Write([]byte(k))
		for _, v := range params[k].Data {
			binary.LittleEndian.PutUint32(buf[:], math.Float32bits(v))
			h.Write(buf[:])
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
