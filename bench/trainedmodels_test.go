package bench

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/cases"
	"github.com/glassbox-interp/glassbox/trained"
)

func TestAddTrained(t *testing.T) {
	dir := t.TempDir()
	var lb Leaderboard
	if err := lb.AddTrained(dir); err != nil || len(lb.Trained) != 0 {
		t.Fatalf("no models folder: %v %+v", err, lb.Trained)
	}
	// A models folder where nothing finished yet adds nothing either.
	if err := os.MkdirAll(SIITModelDir(dir, 3), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := lb.AddTrained(dir); err != nil || len(lb.Trained) != 0 {
		t.Fatalf("empty models folder: %v %+v", err, lb.Trained)
	}
	c, err := cases.Get(3)
	if err != nil {
		t.Fatal(err)
	}
	m, err := trained.Ensure(context.Background(), c, SIITModelDir(dir, 3), trained.Settings{Epochs: 1, Samples: 60})
	if err != nil {
		t.Fatal(err)
	}
	if err := lb.AddTrained(dir); err != nil {
		t.Fatal(err)
	}
	if len(lb.Trained) != 1 || lb.Trained[0].Case != "3" || lb.Trained[0].LL != "L2 H4 dh3 d12 mlp48" || lb.Trained[0].Epochs != 1 {
		t.Fatalf("trained rows %+v", lb.Trained)
	}
	if m == nil {
		t.Fatal("no model")
	}
	md := string(lb.Markdown())
	if !strings.Contains(md, "## The SIIT models") || !strings.Contains(md, "| 3 | L2 H4 dh3 d12 mlp48 | gen1 | 1 (1) |") {
		t.Errorf("leaderboard.md lacks the models:\n%s", md)
	}
	page, err := lb.HTML()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "<h2>The SIIT models</h2>") || !strings.Contains(string(page), "L2 H4 dh3 d12 mlp48") {
		t.Error("leaderboard.html lacks the models")
	}
}
