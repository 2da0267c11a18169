package star

import (
	"go.starlark.net/syntax"
)

// Names of the hidden builtins the operator rewrite calls.
const (
	cmpBuiltinName   = "__rasp_compare__"
	binopBuiltinName = "__rasp_binop__"
	augopBuiltinName = "__rasp_augop__"
	unaryBuiltinName = "__rasp_unary__"
	inBuiltinName    = "__rasp_in__"
)

// augmentedOps maps augmented assignment tokens to their binary operator.
var augmentedOps = map[syntax.Token]syntax.Token{
	syntax.PLUS_EQ:       syntax.PLUS,
	syntax.MINUS_EQ:      syntax.MINUS,
	syntax.STAR_EQ:       syntax.STAR,
	syntax.SLASH_EQ:      syntax.SLASH,
	syntax.SLASHSLASH_EQ: syntax.SLASHSLASH,
	syntax.PERCENT_EQ:    syntax.PERCENT,
	syntax.AMP_EQ:        syntax.AMP,
	syntax.PIPE_EQ:       syntax.PIPE,
}

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
	syntax.IN:         inBuiltinName,
	syntax.NOT_IN:     inBuiltinName,
}

// call builds name("op", args...) at pos.
func call(pos syntax.Position, name, op string, args ...syntax.Expr) *syntax.CallExpr {
	lit := &syntax.Literal{Token: syntax.STRING, TokenPos: pos, Raw: `"` + op + `"`, Value: op}
	return &syntax.CallExpr{
		Fn:     &syntax.Ident{NamePos: pos, Name: name},
		Lparen: pos,
		Args:   append([]syntax.Expr{lit}, args...),
		Rparen: pos,
	}
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
		// x op= y with a plain name: x = augop("op", x, y) (bool as int;
		// a list += stays in place, as in Starlark and Python).
		if bin, ok := augmentedOps[s.Op]; ok {
			if id, ok := s.LHS.(*syntax.Ident); ok {
				read := &syntax.Ident{NamePos: id.NamePos, Name: id.Name}
				s.RHS = call(s.OpPos, augopBuiltinName, bin.String(), read, s.RHS)
				s.Op = syntax.EQ
			}
		}
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
		return call(x.OpPos, name, x.Op.String(), x.X, x.Y)
	case *syntax.CallExpr:
		x.Fn = rewriteExpr(x.Fn)
		rewriteExprs(x.Args)
		// x.join(...) and the other methods that can build large values:
		// __rasp_method__(x, "join", ...) charges the memory budget first.
		if dot, ok := x.Fn.(*syntax.DotExpr); ok && chargedMethods[dot.Name.Name] {
			name := &syntax.Literal{Token: syntax.STRING, TokenPos: dot.Name.NamePos, Raw: `"` + dot.Name.Name + `"`, Value: dot.Name.Name}
			x.Fn = &syntax.Ident{NamePos: dot.Name.NamePos, Name: methodBuiltinName}
			x.Args = append([]syntax.Expr{dot.X, name}, x.Args...)
		}
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
		// __rasp_copy__(x[lo:hi:step]) charges the copy the slice made
		// (at most the size of x, which exists already).
		return &syntax.CallExpr{
			Fn:     &syntax.Ident{NamePos: x.Lbrack, Name: copyBuiltinName},
			Lparen: x.Lbrack,
			Args:   []syntax.Expr{x},
			Rparen: x.Rbrack,
		}
	case *syntax.TupleExpr:
		rewriteExprs(x.List)
	case *syntax.UnaryExpr:
		if x.X != nil {
			x.X = rewriteExpr(x.X)
		}
		if x.Op == syntax.MINUS || x.Op == syntax.PLUS {
			return call(x.OpPos, unaryBuiltinName, x.Op.String(), x.X)
		}
	}
	return e
}
