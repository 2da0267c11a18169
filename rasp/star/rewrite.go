package star

import (
	"go.starlark.net/syntax"
)

// Names of the hidden builtins the operator rewrite calls.
const (
	cmpBuiltinName   = "__rasp_compare__"
	binopBuiltinName = "__rasp_binop__"
)

// rewriteTokens maps the binary operators that are rewritten to a call of a
// hidden builtin, to the builtin's name. Comparisons must be rewritten
// because Starlark cannot overload them (tracr's `sop == 1` builds a Map);
// arithmetic is rewritten so that bool behaves as int (Python: True + 1 == 2).
var rewriteTokens = map[syntax.Token]string{
	syntax.EQL:        cmpBuiltinName,
	syntax.NEQ:        cmpBuiltinName,
	syntax.LT:         cmpBuiltinName,
	syntax.LE:         cmpBuiltinName,
	syntax.GT:         cmpBuiltinName,
	syntax.GE:         cmpBuiltinName,
	syntax.PLUS:       binopBuiltinName,
	syntax.MINUS:      binopBuiltinName,
	syntax.STAR:       binopBuiltinName,
	syntax.SLASH:      binopBuiltinName,
	syntax.SLASHSLASH: binopBuiltinName,
	syntax.PERCENT:    binopBuiltinName,
	syntax.AMP:        binopBuiltinName,
	syntax.PIPE:       binopBuiltinName,
}

// rewriteFile replaces, in place, every rewritable binary expression
// `x op y` by `builtin("op", x, y)`, keeping the operator's position so
// errors point at it.
func rewriteFile(f *syntax.File) {
	rewriteStmts(f.Stmts)
}

func rewriteStmts(stmts []syntax.Stmt) {
	for _, s := range stmts {
		rewriteStmt(s)
	}
}

func rewriteStmt(s syntax.Stmt) {
	switch s := s.(type) {
	case *syntax.AssignStmt:
		s.LHS = rewriteExpr(s.LHS)
		s.RHS = rewriteExpr(s.RHS)
	case *syntax.DefStmt:
		for i, p := range s.Params {
			s.Params[i] = rewriteExpr(p)
		}
		rewriteStmts(s.Body)
	case *syntax.ExprStmt:
		s.X = rewriteExpr(s.X)
	case *syntax.IfStmt:
		s.Cond = rewriteExpr(s.Cond)
		rewriteStmts(s.True)
		rewriteStmts(s.False)
	case *syntax.ForStmt:
		s.Vars = rewriteExpr(s.Vars)
		s.X = rewriteExpr(s.X)
		rewriteStmts(s.Body)
	case *syntax.WhileStmt:
		s.Cond = rewriteExpr(s.Cond)
		rewriteStmts(s.Body)
	case *syntax.ReturnStmt:
		if s.Result != nil {
			s.Result = rewriteExpr(s.Result)
		}
	}
}

func rewriteExprs(xs []syntax.Expr) {
	for i, x := range xs {
		xs[i] = rewriteExpr(x)
	}
}

func rewriteExpr(e syntax.Expr) syntax.Expr {
	switch x := e.(type) {
	case nil:
		return nil
	case *syntax.BinaryExpr:
		x.X = rewriteExpr(x.X)
		x.Y = rewriteExpr(x.Y)
		name, ok := rewriteTokens[x.Op]
		if !ok {
			return x
		}
		op := x.Op.String()
		return &syntax.CallExpr{
			Fn:     &syntax.Ident{NamePos: x.OpPos, Name: name},
			Lparen: x.OpPos,
			Args: []syntax.Expr{
				&syntax.Literal{Token: syntax.STRING, TokenPos: x.OpPos, Raw: `"` + op + `"`, Value: op},
				x.X,
				x.Y,
			},
			Rparen: x.OpPos,
		}
	case *syntax.CallExpr:
		x.Fn = rewriteExpr(x.Fn)
		rewriteExprs(x.Args)
	case *syntax.Comprehension:
		x.Body = rewriteExpr(x.Body)
		for _, c := range x.Clauses {
			switch c := c.(type) {
			case *syntax.ForClause:
				c.Vars = rewriteExpr(c.Vars)
				c.X = rewriteExpr(c.X)
			case *syntax.IfClause:
				c.Cond = rewriteExpr(c.Cond)
			}
		}
	case *syntax.CondExpr:
		x.Cond = rewriteExpr(x.Cond)
		x.True = rewriteExpr(x.True)
		x.False = rewriteExpr(x.False)
	case *syntax.DictEntry:
		x.Key = rewriteExpr(x.Key)
		x.Value = rewriteExpr(x.Value)
	case *syntax.DictExpr:
		rewriteExprs(x.List)
	case *syntax.DotExpr:
		x.X = rewriteExpr(x.X)
	case *syntax.IndexExpr:
		x.X = rewriteExpr(x.X)
		x.Y = rewriteExpr(x.Y)
	case *syntax.LambdaExpr:
		rewriteExprs(x.Params)
		x.Body = rewriteExpr(x.Body)
	case *syntax.ListExpr:
		rewriteExprs(x.List)
	case *syntax.ParenExpr:
		x.X = rewriteExpr(x.X)
	case *syntax.SliceExpr:
		x.X = rewriteExpr(x.X)
		x.Lo = rewriteExpr(x.Lo)
		x.Hi = rewriteExpr(x.Hi)
		x.Step = rewriteExpr(x.Step)
	case *syntax.TupleExpr:
		rewriteExprs(x.List)
	case *syntax.UnaryExpr:
		if x.X != nil {
			x.X = rewriteExpr(x.X)
		}
	}
	return e
}
