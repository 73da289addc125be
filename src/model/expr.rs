//! The expression language of derived indicators (`100 * shenyang.mfg_va / shenyang.gdp`,
//! `sum(liaoxi.gdp_real)`), parsed once by a Pratt parser, type-checked, and compiled to a short
//! stack program over indicator indices so that evaluating it on a path costs a few nanoseconds.
//!
//! Types: every sub-expression is a scalar, except a group expansion (`liaoxi.gdp_real` where
//! `liaoxi` is a group), which is a list and may only appear as an argument of `sum`, `mean`,
//! `min` or `max`.

use std::ops::Range;

/// A compiled expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// The expression as written in the scenario (for reports).
    source: String,
    ops: Vec<Op>,
    reads: Vec<usize>,
    base_reads: Vec<usize>,
    max_stack: usize,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Const(f64),
    Load(usize),
    /// The base-year value of an indicator, whatever year is being evaluated.
    LoadBase(usize),
    Neg,
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Call(Func, u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Func {
    Sum,
    Mean,
    Min,
    Max,
    Abs,
    Exp,
    Ln,
    Sqrt,
    Pow,
    Sin,
    Cos,
}

const FUNCTIONS: [(&str, Func, Option<usize>); 11] = [
    ("sum", Func::Sum, None),
    ("mean", Func::Mean, None),
    ("min", Func::Min, None),
    ("max", Func::Max, None),
    ("abs", Func::Abs, Some(1)),
    ("exp", Func::Exp, Some(1)),
    ("ln", Func::Ln, Some(1)),
    ("sqrt", Func::Sqrt, Some(1)),
    ("pow", Func::Pow, Some(2)),
    ("sin", Func::Sin, Some(1)),
    ("cos", Func::Cos, Some(1)),
];

/// What a name in an expression refers to.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    /// One indicator.
    Scalar(usize),
    /// A group expansion: one indicator per member of the group.
    List(Vec<usize>),
    /// Nothing by that name; the string is a hint such as "did you mean ...?".
    Unknown(Option<String>),
    /// A group expansion with a member that lacks the indicator (`"fuxin.gdp_real"`).
    MissingMember(String),
    /// An indicator that exists but has errors of its own, already reported.
    Broken,
}

/// A problem in an expression; `span` is a byte range within the expression text.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprError {
    pub span: Range<usize>,
    pub message: String,
    pub help: Option<String>,
    /// The error follows from another one already reported (a reference to a broken indicator).
    pub follow_up: bool,
}

impl ExprError {
    fn new(span: Range<usize>, message: impl Into<String>) -> Self {
        ExprError { span, message: message.into(), help: None, follow_up: false }
    }

    fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl Expr {
    /// Parse and compile `source`, resolving names with `resolve`.
    pub fn compile(source: &str, resolve: &dyn Fn(&str) -> Resolved) -> Result<Expr, ExprError> {
        if source.len() > MAX_EXPRESSION_LENGTH {
            return Err(ExprError::new(
                0..0,
                format!("this expression is {} bytes long; at most {MAX_EXPRESSION_LENGTH} are accepted", source.len()),
            )
            .help("split it into several derived indicators, or sum a group with sum(group)"));
        }
        let tokens = tokenize(source)?;
        let mut parser = Parser { tokens: &tokens, pos: 0, end: source.len(), nesting: 0 };
        let ast = parser.expression(0)?;
        if let Some(t) = parser.peek() {
            return Err(ExprError::new(t.span.clone(), "unexpected text after the end of the expression")
                .help("join terms with an operator (+ - * / ^)"));
        }
        let mut compiler =
            Compiler { ops: Vec::new(), reads: Vec::new(), base_reads: Vec::new(), resolve, depth: 0, max_depth: 0 };
        match compiler.emit(&ast)? {
            Type::Scalar => {}
            Type::List(n) => {
                return Err(ExprError::new(
                    ast.span.clone(),
                    format!("this is a list of {n} values, but a derived indicator needs one number"),
                )
                .help("wrap it in sum(...), mean(...), min(...) or max(...)"));
            }
        }
        let mut reads = compiler.reads;
        reads.sort_unstable();
        reads.dedup();
        let mut base_reads = compiler.base_reads;
        base_reads.sort_unstable();
        base_reads.dedup();
        Ok(Expr { source: source.to_string(), ops: compiler.ops, reads, base_reads, max_stack: compiler.max_depth })
    }

    /// The expression as written in the scenario.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Indicators the expression reads, sorted, without duplicates.
    pub fn reads(&self) -> &[usize] {
        &self.reads
    }

    /// The same expression over renumbered indicators (`map[old] = Some(new)`); every indicator
    /// it reads must be mapped.
    pub fn remapped(&self, map: &[Option<usize>]) -> Expr {
        let m = |i: usize| map[i].expect("an expression reads only kept indicators");
        let ops = self
            .ops
            .iter()
            .map(|op| match *op {
                Op::Load(i) => Op::Load(m(i)),
                Op::LoadBase(i) => Op::LoadBase(m(i)),
                other => other,
            })
            .collect();
        Expr {
            source: self.source.clone(),
            ops,
            reads: self.reads.iter().map(|&i| m(i)).collect(),
            base_reads: self.base_reads.iter().map(|&i| m(i)).collect(),
            max_stack: self.max_stack,
        }
    }

    /// Indicators whose base-year value the expression reads through `base(...)`.
    pub fn base_reads(&self) -> &[usize] {
        &self.base_reads
    }

    /// Stack depth [`Expr::eval`] needs.
    /// When the expression is a monomial `c · Π x_j^(k_j)` in this year's indicator values
    /// (constants and `base(·)` values are constants), its exponents `(j, k_j)` with `k_j ≠ 0`,
    /// in the order the indicators first appear; `None` for anything else (sums, functions,
    /// powers of indicators). Scaling `x_j` by `f` then scales the expression by `f^(k_j)`.
    pub fn monomial(&self) -> Option<Vec<(usize, i32)>> {
        let mut stack: Vec<Option<Vec<(usize, i32)>>> = Vec::with_capacity(self.max_stack);
        let combine = |a: Vec<(usize, i32)>, b: Vec<(usize, i32)>, sign: i32| {
            let mut out = a;
            for (j, k) in b {
                match out.iter_mut().find(|(i, _)| *i == j) {
                    Some((_, e)) => *e += sign * k,
                    None => out.push((j, sign * k)),
                }
            }
            out
        };
        for op in &self.ops {
            match *op {
                Op::Const(_) | Op::LoadBase(_) => stack.push(Some(Vec::new())),
                Op::Load(j) => stack.push(Some(vec![(j, 1)])),
                Op::Neg => {}
                Op::Mul | Op::Div => {
                    let b = stack.pop()?;
                    let a = stack.pop()?;
                    let sign = if matches!(op, Op::Mul) { 1 } else { -1 };
                    stack.push(match (a, b) {
                        (Some(a), Some(b)) => Some(combine(a, b, sign)),
                        _ => None,
                    });
                }
                Op::Add | Op::Sub | Op::Pow => {
                    let b = stack.pop()?;
                    let a = stack.pop()?;
                    // A sum or power of constants is a constant; anything else is not a monomial.
                    let constant = |x: &Option<Vec<(usize, i32)>>| x.as_ref().is_some_and(|v| v.is_empty());
                    stack.push((constant(&a) && constant(&b)).then(Vec::new));
                }
                Op::Call(_, n) => {
                    let mut all_constant = true;
                    for _ in 0..n {
                        all_constant &= stack.pop()?.is_some_and(|v| v.is_empty());
                    }
                    stack.push(all_constant.then(Vec::new));
                }
            }
        }
        let mut result = stack.pop()??;
        result.retain(|&(_, k)| k != 0);
        Some(result)
    }

    pub fn max_stack(&self) -> usize {
        self.max_stack
    }

    /// Evaluate with `load(i)` giving indicator `i`'s value in the year being evaluated and
    /// `load_base(i)` its base-year value; `stack` is scratch space.
    pub fn eval(&self, load: impl Fn(usize) -> f64, load_base: impl Fn(usize) -> f64, stack: &mut Vec<f64>) -> f64 {
        stack.clear();
        for op in &self.ops {
            match *op {
                Op::Const(c) => stack.push(c),
                Op::Load(i) => stack.push(load(i)),
                Op::LoadBase(i) => stack.push(load_base(i)),
                Op::Neg => {
                    let a = pop(stack);
                    stack.push(-a);
                }
                Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Pow => {
                    let b = pop(stack);
                    let a = pop(stack);
                    stack.push(match op {
                        Op::Add => a + b,
                        Op::Sub => a - b,
                        Op::Mul => a * b,
                        Op::Div => a / b,
                        _ => a.powf(b),
                    });
                }
                Op::Call(func, n) => {
                    let n = n as usize;
                    let args_start = stack.len() - n;
                    let value = apply(func, &stack[args_start..]);
                    stack.truncate(args_start);
                    stack.push(value);
                }
            }
        }
        pop(stack)
    }

    /// [`Expr::eval`] over `out.len()` paths at once (the engine's blocks): `load(i)` and
    /// `load_base(i)` give indicator `i`'s values on those paths, at least `out.len()` of them.
    /// Every path gets exactly the operations [`Expr::eval`] would apply to it, in the same
    /// order, so the results are bit-identical; the interpreter's dispatch is paid once per
    /// block instead of once per path. `stack` is scratch space.
    pub fn eval_lanes<'a>(
        &self,
        load: impl Fn(usize) -> &'a [f64],
        load_base: impl Fn(usize) -> &'a [f64],
        stack: &mut Vec<f64>,
        args: &mut Vec<f64>,
        out: &mut [f64],
    ) {
        let w = out.len();
        stack.clear();
        for op in &self.ops {
            match *op {
                Op::Const(c) => stack.resize(stack.len() + w, c),
                Op::Load(i) => stack.extend_from_slice(&load(i)[..w]),
                Op::LoadBase(i) => stack.extend_from_slice(&load_base(i)[..w]),
                Op::Neg => {
                    let top = stack.len() - w;
                    stack[top..].iter_mut().for_each(|a| *a = -*a);
                }
                Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Pow => {
                    let top = stack.len() - w;
                    let (below, b) = stack.split_at_mut(top);
                    let a = &mut below[top - w..];
                    match op {
                        Op::Add => a.iter_mut().zip(b.iter()).for_each(|(a, b)| *a += *b),
                        Op::Sub => a.iter_mut().zip(b.iter()).for_each(|(a, b)| *a -= *b),
                        Op::Mul => a.iter_mut().zip(b.iter()).for_each(|(a, b)| *a *= *b),
                        Op::Div => a.iter_mut().zip(b.iter()).for_each(|(a, b)| *a /= *b),
                        _ => a.iter_mut().zip(b.iter()).for_each(|(a, b)| *a = a.powf(*b)),
                    }
                    stack.truncate(top);
                }
                Op::Call(func, n) => {
                    let n = n as usize;
                    if n == 0 {
                        let value = apply(func, &[]);
                        stack.resize(stack.len() + w, value);
                        continue;
                    }
                    let start = stack.len() - n * w;
                    // Lane j's result goes where its first argument was, after all its
                    // arguments were read; later lanes' arguments are untouched.
                    for j in 0..w {
                        args.clear();
                        args.extend((0..n).map(|k| stack[start + k * w + j]));
                        stack[start + j] = apply(func, args);
                    }
                    stack.truncate(start + w);
                }
            }
        }
        out.copy_from_slice(&stack[stack.len() - w..]);
    }
}

fn pop(stack: &mut Vec<f64>) -> f64 {
    // The compiler guarantees the stack discipline; NaN would surface in the result, never UB.
    stack.pop().unwrap_or(f64::NAN)
}

fn apply(func: Func, args: &[f64]) -> f64 {
    match func {
        Func::Sum => args.iter().sum(),
        Func::Mean => args.iter().sum::<f64>() / args.len() as f64,
        Func::Min => args.iter().copied().fold(f64::INFINITY, f64::min),
        Func::Max => args.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        Func::Abs => args[0].abs(),
        Func::Exp => args[0].exp(),
        Func::Ln => args[0].ln(),
        Func::Sqrt => args[0].sqrt(),
        Func::Pow => args[0].powf(args[1]),
        Func::Sin => args[0].sin(),
        Func::Cos => args[0].cos(),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum TokenKind {
    Number(f64),
    Name(String),
    Symbol(char),
}

#[derive(Debug, Clone)]
struct Token {
    kind: TokenKind,
    span: Range<usize>,
}

fn tokenize(source: &str) -> Result<Vec<Token>, ExprError> {
    let bytes = source.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < source.len() {
        let c = source[i..].chars().next().unwrap_or(' ');
        let start = i;
        if c.is_whitespace() {
            i += c.len_utf8();
        } else if c.is_ascii_digit() || (c == '.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                i += 1;
            }
            if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
                let mut j = i + 1;
                if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
                    j += 1;
                }
                if j < bytes.len() && bytes[j].is_ascii_digit() {
                    i = j;
                    while i < bytes.len() && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let text = &source[start..i];
            let value: f64 =
                text.parse().map_err(|_| ExprError::new(start..i, format!("\"{text}\" is not a number")))?;
            tokens.push(Token { kind: TokenKind::Number(value), span: start..i });
        } else if c.is_ascii_alphabetic() || c == '_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'.') {
                i += 1;
            }
            tokens.push(Token { kind: TokenKind::Name(source[start..i].to_string()), span: start..i });
        } else if "+-*/^(),".contains(c) {
            i += 1;
            tokens.push(Token { kind: TokenKind::Symbol(c), span: start..i });
        } else {
            return Err(ExprError::new(start..start + c.len_utf8(), format!("unexpected character '{c}'")).help(
                "expressions use ASCII: indicator ids, numbers, + - * / ^, parentheses and functions like sum(...)",
            ));
        }
    }
    Ok(tokens)
}

#[derive(Debug, Clone)]
struct Node {
    kind: NodeKind,
    span: Range<usize>,
    /// Levels of nodes below and including this one (a leaf is 1).
    height: usize,
}

impl Node {
    fn leaf(kind: NodeKind, span: Range<usize>) -> Node {
        Node { kind, span, height: 1 }
    }

    /// An inner node over `children`; refused when the tree would grow taller than
    /// [`MAX_EXPRESSION_HEIGHT`] (the compiler and `Drop` recurse over it).
    fn inner(kind: NodeKind, span: Range<usize>) -> Result<Node, ExprError> {
        let below = match &kind {
            NodeKind::Number(_) | NodeKind::Name(_) => 0,
            NodeKind::Neg(inner) => inner.height,
            NodeKind::Binary(_, left, right) => left.height.max(right.height),
            NodeKind::Call(_, _, args) => args.iter().map(|a| a.height).max().unwrap_or(0),
        };
        if below >= MAX_EXPRESSION_HEIGHT {
            return Err(ExprError::new(
                span,
                format!("this expression is more than {MAX_EXPRESSION_HEIGHT} operations deep"),
            )
            .help("split it into several derived indicators, or add a list with sum(group) instead of a + b + c + …"));
        }
        Ok(Node { kind, span, height: below + 1 })
    }
}

/// Longest expression accepted, in bytes.
pub const MAX_EXPRESSION_LENGTH: usize = 20_000;
/// Deepest expression tree accepted (a chain `a + b + c + …` of n terms is n levels deep).
pub const MAX_EXPRESSION_HEIGHT: usize = 1_000;
/// Deepest nesting of parentheses, unary signs, powers and calls accepted.
pub const MAX_EXPRESSION_NESTING: usize = 200;

#[derive(Debug, Clone)]
enum NodeKind {
    Number(f64),
    Name(String),
    Neg(Box<Node>),
    Binary(char, Box<Node>, Box<Node>),
    Call(String, Range<usize>, Vec<Node>),
}

struct Parser<'a> {
    tokens: &'a [Token],
    pos: usize,
    end: usize,
    /// Current recursion depth of [`Parser::expression`].
    nesting: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn end_span(&self) -> Range<usize> {
        self.end..self.end
    }

    /// Pratt loop: binding powers + − 1, * / 2, unary − 3, ^ 4 (right-associative).
    fn expression(&mut self, min_power: u8) -> Result<Node, ExprError> {
        if self.nesting >= MAX_EXPRESSION_NESTING {
            let span = self.peek().map_or_else(|| self.end_span(), |t| t.span.clone());
            return Err(ExprError::new(
                span,
                format!("parentheses, signs, powers and calls are nested more than {MAX_EXPRESSION_NESTING} deep here"),
            )
            .help("split the expression into several derived indicators"));
        }
        self.nesting += 1;
        let result = self.expression_inner(min_power);
        self.nesting -= 1;
        result
    }

    fn expression_inner(&mut self, min_power: u8) -> Result<Node, ExprError> {
        let mut left = self.prefix()?;
        while let Some(Token { kind: TokenKind::Symbol(op), .. }) = self.peek() {
            let op = *op;
            let (left_power, right_power) = match op {
                '+' | '-' => (1, 2),
                '*' | '/' => (3, 4),
                '^' => (8, 7),
                _ => break,
            };
            if left_power < min_power {
                break;
            }
            self.next();
            let right = self.expression(right_power)?;
            let span = left.span.start..right.span.end;
            left = Node::inner(NodeKind::Binary(op, Box::new(left), Box::new(right)), span)?;
        }
        Ok(left)
    }

    fn prefix(&mut self) -> Result<Node, ExprError> {
        let Some(token) = self.next() else {
            return Err(ExprError::new(self.end_span(), "the expression ends too early")
                .help("an operator needs a value on both sides"));
        };
        match token.kind {
            TokenKind::Number(v) => Ok(Node::leaf(NodeKind::Number(v), token.span)),
            TokenKind::Symbol('-') => {
                let inner = self.expression(5)?;
                let span = token.span.start..inner.span.end;
                Node::inner(NodeKind::Neg(Box::new(inner)), span)
            }
            TokenKind::Symbol('+') => self.expression(5),
            TokenKind::Symbol('(') => {
                let inner = self.expression(0)?;
                self.expect(')', token.span.clone())?;
                Ok(inner)
            }
            TokenKind::Name(name) => {
                if matches!(self.peek(), Some(Token { kind: TokenKind::Symbol('('), .. })) {
                    let open = self.next().map(|t| t.span).unwrap_or_else(|| self.end_span());
                    let mut args = Vec::new();
                    if matches!(self.peek(), Some(Token { kind: TokenKind::Symbol(')'), .. })) {
                        self.next();
                    } else {
                        loop {
                            args.push(self.expression(0)?);
                            match self.next() {
                                Some(Token { kind: TokenKind::Symbol(','), .. }) => continue,
                                Some(Token { kind: TokenKind::Symbol(')'), .. }) => break,
                                Some(t) => {
                                    return Err(ExprError::new(t.span, "expected ',' or ')' in the argument list"));
                                }
                                None => {
                                    return Err(ExprError::new(open, "this parenthesis is never closed")
                                        .help("add the missing ')'"));
                                }
                            }
                        }
                    }
                    let end = self.tokens.get(self.pos - 1).map_or(self.end, |t| t.span.end);
                    Node::inner(NodeKind::Call(name, token.span.clone(), args), token.span.start..end)
                } else {
                    Ok(Node::leaf(NodeKind::Name(name), token.span))
                }
            }
            TokenKind::Symbol(c) => Err(ExprError::new(token.span, format!("expected a value, found '{c}'"))),
        }
    }

    fn expect(&mut self, symbol: char, opened_at: Range<usize>) -> Result<(), ExprError> {
        match self.next() {
            Some(Token { kind: TokenKind::Symbol(c), .. }) if c == symbol => Ok(()),
            Some(t) => Err(ExprError::new(t.span, format!("expected '{symbol}'"))),
            None => Err(ExprError::new(opened_at, "this parenthesis is never closed").help("add the missing ')'")),
        }
    }
}

enum Type {
    Scalar,
    List(usize),
}

struct Compiler<'a> {
    ops: Vec<Op>,
    reads: Vec<usize>,
    base_reads: Vec<usize>,
    resolve: &'a dyn Fn(&str) -> Resolved,
    depth: usize,
    max_depth: usize,
}

impl Compiler<'_> {
    fn push(&mut self, op: Op, pops: usize) {
        self.ops.push(op);
        self.depth = self.depth + 1 - pops;
        self.max_depth = self.max_depth.max(self.depth);
    }

    fn emit(&mut self, node: &Node) -> Result<Type, ExprError> {
        match &node.kind {
            NodeKind::Number(v) => {
                self.push(Op::Const(*v), 0);
                Ok(Type::Scalar)
            }
            NodeKind::Name(name) => match (self.resolve)(name) {
                Resolved::Scalar(i) => {
                    self.reads.push(i);
                    self.push(Op::Load(i), 0);
                    Ok(Type::Scalar)
                }
                Resolved::List(items) => {
                    for &i in &items {
                        self.reads.push(i);
                        self.push(Op::Load(i), 0);
                    }
                    Ok(Type::List(items.len()))
                }
                Resolved::Unknown(hint) => {
                    let mut e = ExprError::new(node.span.clone(), format!("unknown indicator \"{name}\""));
                    e.help = Some(hint.unwrap_or_else(|| {
                        "use the id of an [[indicator]], or group.suffix for a group defined in [groups]".into()
                    }));
                    Err(e)
                }
                Resolved::Broken => {
                    let mut e = ExprError::new(node.span.clone(), format!("\"{name}\" has errors of its own"));
                    e.follow_up = true;
                    Err(e)
                }
                Resolved::MissingMember(member) => Err(ExprError::new(
                    node.span.clone(),
                    format!("\"{name}\" expands over a group, but there is no indicator \"{member}\""),
                )
                .help("define that indicator, or remove the member from the group")),
            },
            NodeKind::Neg(inner) => {
                self.scalar(inner)?;
                self.push(Op::Neg, 1);
                Ok(Type::Scalar)
            }
            NodeKind::Binary(op, left, right) => {
                self.scalar(left)?;
                self.scalar(right)?;
                let op = match op {
                    '+' => Op::Add,
                    '-' => Op::Sub,
                    '*' => Op::Mul,
                    '/' => Op::Div,
                    _ => Op::Pow,
                };
                self.push(op, 2);
                Ok(Type::Scalar)
            }
            NodeKind::Call(name, _, args) if name == "base" => {
                // base(id): the indicator's base-year value (a number, also inside later years).
                let [arg] = args.as_slice() else {
                    return Err(ExprError::new(
                        node.span.clone(),
                        format!("base() takes 1 argument, got {}", args.len()),
                    ));
                };
                let NodeKind::Name(id) = &arg.kind else {
                    return Err(ExprError::new(arg.span.clone(), "base() takes an indicator id")
                        .help("e.g. base(liaoning.gdp_real)"));
                };
                match (self.resolve)(id) {
                    Resolved::Scalar(i) => {
                        self.base_reads.push(i);
                        self.push(Op::LoadBase(i), 0);
                        Ok(Type::Scalar)
                    }
                    Resolved::List(_) => {
                        Err(ExprError::new(arg.span.clone(), "base() takes one indicator, not a group")
                            .help("use sum(base(a), base(b), ...)"))
                    }
                    _ => Err(self
                        .emit(arg)
                        .err()
                        .unwrap_or_else(|| ExprError::new(arg.span.clone(), "base() takes an indicator id"))),
                }
            }
            NodeKind::Call(name, name_span, args) => {
                let Some(&(_, func, arity)) = FUNCTIONS.iter().find(|(n, _, _)| n == name) else {
                    let names = FUNCTIONS.iter().map(|f| f.0);
                    let hint = crate::scenario::diagnostic::did_you_mean(name, names).unwrap_or_else(|| {
                        "functions: sum, mean, min, max, abs, exp, ln, sqrt, pow, sin, cos, base".into()
                    });
                    return Err(ExprError::new(name_span.clone(), format!("unknown function \"{name}\"")).help(hint));
                };
                let mut count = 0;
                match arity {
                    Some(n) => {
                        if args.len() != n {
                            return Err(ExprError::new(
                                node.span.clone(),
                                format!(
                                    "{name}() takes {n} argument{}, got {}",
                                    if n == 1 { "" } else { "s" },
                                    args.len()
                                ),
                            ));
                        }
                        for a in args {
                            self.scalar(a)?;
                            count += 1;
                        }
                    }
                    None => {
                        for a in args {
                            count += match self.emit(a)? {
                                Type::Scalar => 1,
                                Type::List(n) => n,
                            };
                        }
                        if count == 0 {
                            return Err(ExprError::new(
                                node.span.clone(),
                                format!("{name}() needs at least one value"),
                            ));
                        }
                    }
                }
                self.push(Op::Call(func, count as u32), count);
                Ok(Type::Scalar)
            }
        }
    }

    fn scalar(&mut self, node: &Node) -> Result<(), ExprError> {
        match self.emit(node)? {
            Type::Scalar => Ok(()),
            Type::List(n) => Err(ExprError::new(
                node.span.clone(),
                format!("type mismatch: this is a list of {n} values where one number is needed"),
            )
            .help("a group expansion can only be used inside sum(), mean(), min() or max()")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(name: &str) -> Resolved {
        match name {
            "a" => Resolved::Scalar(0),
            "b" => Resolved::Scalar(1),
            "c.x" => Resolved::Scalar(2),
            "g.x" => Resolved::List(vec![0, 1, 2]),
            "g.y" => Resolved::MissingMember("b.y".into()),
            _ => Resolved::Unknown(None),
        }
    }

    fn eval(src: &str) -> f64 {
        let e = Expr::compile(src, &resolve).unwrap();
        let values = [2.0, 3.0, 5.0];
        let mut stack = Vec::with_capacity(e.max_stack());
        e.eval(|i| values[i], |i| 10.0 * values[i], &mut stack)
    }

    fn error(src: &str) -> ExprError {
        Expr::compile(src, &resolve).unwrap_err()
    }

    #[test]
    fn pathological_expressions_are_refused_not_overflowing_the_stack() {
        // Run on a thread with a small stack: a recursive parser, compiler or drop over these
        // inputs would overflow it long before the limits.
        let handle = std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(|| {
                let nested = format!("{}a{}", "(".repeat(8_000), ")".repeat(8_000));
                assert!(error(&nested).message.contains("nested more than"), "{}", error(&nested).message);
                let signs = format!("{}a", "-".repeat(5_000));
                assert!(error(&signs).message.contains("nested more than"));
                let powers = vec!["a"; 3_000].join("^");
                assert!(error(&powers).message.contains("nested more than"));
                let chain = vec!["a"; 4_000].join("+");
                assert!(error(&chain).message.contains("operations deep"), "{}", error(&chain).message);
                let long = vec!["a"; 20_000].join("+");
                assert!(error(&long).message.contains("bytes long"));
                // Within the limits, long expressions still work.
                let ok = vec!["a"; 900].join("+");
                assert!(Expr::compile(&ok, &resolve).is_ok());
                let ok = format!("{}a{}", "(".repeat(150), ")".repeat(150));
                assert!(Expr::compile(&ok, &resolve).is_ok());
            })
            .unwrap();
        handle.join().expect("no stack overflow or panic");
    }

    #[test]
    fn monomials_are_recognised() {
        let mono = |src: &str| Expr::compile(src, &resolve).unwrap().monomial();
        assert_eq!(mono("a * b"), Some(vec![(0, 1), (1, 1)]));
        assert_eq!(mono("100 * a / base(a) / c.x"), Some(vec![(0, 1), (2, -1)]));
        assert_eq!(mono("-a * (2 + 3) / a * b"), Some(vec![(1, 1)]));
        assert_eq!(mono("a + b"), None);
        assert_eq!(mono("sum(g.x)"), None);
        assert_eq!(mono("a ^ 2"), None);
        assert_eq!(mono("a * exp(1)"), Some(vec![(0, 1)]));
        assert_eq!(mono("a * exp(b)"), None);
    }

    #[test]
    fn precedence_and_associativity() {
        assert_eq!(eval("1 + 2 * 3"), 7.0);
        assert_eq!(eval("(1 + 2) * 3"), 9.0);
        assert_eq!(eval("2 ^ 3 ^ 2"), 512.0);
        assert_eq!(eval("-2 ^ 2"), -4.0);
        assert_eq!(eval("10 - 4 - 3"), 3.0);
        assert_eq!(eval("12 / 3 / 2"), 2.0);
        assert_eq!(eval("1.5e2 + .5"), 150.5);
    }

    #[test]
    fn names_groups_and_functions() {
        assert_eq!(eval("100 * a / c.x"), 40.0);
        assert_eq!(eval("sum(g.x)"), 10.0);
        assert_eq!(eval("mean(g.x, 10)"), 5.0);
        assert_eq!(eval("max(a, b) + min(g.x)"), 5.0);
        assert_eq!(eval("pow(a, b)"), 8.0);
        assert_eq!(eval("ln(exp(a)) + abs(-b) + sqrt(4)"), 7.0);
        assert!((eval("sin(0) + cos(0)") - 1.0).abs() < 1e-15);
        assert_eq!(eval("a / base(a)"), 0.1);
        assert!(error("base(g.x)").help.unwrap().contains("sum(base(a)"));
        assert!(error("base(2)").message.contains("indicator id"));
        let e = Expr::compile("a * b + a + sum(g.x)", &resolve).unwrap();
        assert_eq!(e.reads(), &[0, 1, 2]);
    }

    #[test]
    fn errors_point_at_the_culprit() {
        let e = error("a + shenyang.gpd");
        assert_eq!(e.span, 4..16);
        assert!(e.message.contains("unknown indicator"));
        let e = error("g.x + 1");
        assert_eq!(e.span, 0..3);
        assert!(e.message.contains("type mismatch"));
        let e = error("g.x");
        assert!(e.message.contains("list of 3"));
        let e = error("summ(a)");
        assert_eq!(e.help.as_deref(), Some("did you mean \"sum\"?"));
        assert!(error("sum(g.y)").message.contains("no indicator \"b.y\""));
        assert!(error("a +").message.contains("ends too early"));
        assert!(error("(a + b").message.contains("never closed"));
        assert!(error("a b").message.contains("unexpected text"));
        assert!(error("a ＋ b").message.contains("unexpected character"));
        assert!(error("pow(a)").message.contains("takes 2 arguments"));
        assert!(error("sum()").message.contains("at least one"));
        assert!(error("1..2").message.contains("not a number"));
    }
}
