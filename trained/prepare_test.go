package trained

import (
	"github.com/glassbox-interp/glassbox/cases"
	"github.com/glassbox-interp/glassbox/siit"
)

func siitPrepare(c *cases.Case, s Settings) (*siit.Job, error) { return siit.Prepare(c, s.Setup()) }
