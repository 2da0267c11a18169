package main

import (
	"fmt"
	"io"

	"github.com/glassbox-interp/glassbox/cases"
	"github.com/glassbox-interp/glassbox/tracr"
)

// The compiled model's layout and alignment are part of `glassbox case N`.
func init() {
	caseDetails = append(caseDetails, CaseDetail{Title: "Compiled model (tracr, mlp_exactness 100)", Print: printCaseLayout})
}

func printCaseLayout(w io.Writer, c *cases.Case) error {
	comp, err := tracr.CompileCase(c, 100)
	if err != nil {
		return err
	}
	_, err = fmt.Fprint(w, comp.Layout())
	return err
}
