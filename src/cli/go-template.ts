// The part of Go's text/template that `docker inspect -f` users write, for `tsnet inspect -f` and
// `tsnet network inspect -f`: text with {{actions}}; fields (`.`, `.A.B`), `$` (the top value),
// string and number literals, parentheses (`(index .A "k").B`); `range` (with `$k, $v :=` too), `if`, `else`, `end`,
// `with`; the functions `index`, `len`, `json`, `join`, `lower`, `upper`, `println`, `printf "%s"`,
// `eq`, `ne`, `not`, `and`, `or`; `{{-` and `-}}` trim spaces. A missing field prints `<no value>` as
// in Go; objects and arrays print as JSON (Go would print `map[...]`), `json` indents it. Nothing
// here runs code.
// No npm package implements Go templates (the one wrapper runs a Go binary), hence this file.
import { badRequest } from '../errors.js';

type Value = unknown;
interface Scope {
  dot: Value;
  top: Value;
  vars: Map<string, Value>;
}
type Expr = (s: Scope) => Value;
type Node =
  | { kind: 'text'; text: string }
  | { kind: 'print'; expr: Expr }
  | { kind: 'range' | 'if' | 'with'; expr: Expr; keyVar?: string; valueVar?: string; body: Node[]; otherwise: Node[] };

const bad = (format: string, why: string) => badRequest('EBAD_FORMAT', `cannot use the --format template ${JSON.stringify(format.slice(0, 80))}: ${why}.`);

const truthy = (v: Value): boolean =>
  !(v === undefined || v === null || v === false || v === 0 || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0));

function field(v: Value, path: string[]): Value {
  let cur = v;
  for (const key of path) cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, Value>)[key] : undefined;
  return cur;
}

/** How a value prints: Go's `<no value>` for a missing one, JSON for objects and arrays. */
export function show(v: Value): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

const FUNCTIONS: Record<string, (args: Value[]) => Value> = {
  index: ([v, ...keys]) => keys.reduce((cur, k) => (cur !== null && typeof cur === 'object' ? (cur as Record<string, Value>)[String(k)] : undefined), v),
  len: ([v]) => (Array.isArray(v) || typeof v === 'string' ? v.length : v !== null && typeof v === 'object' ? Object.keys(v).length : 0),
  // indented as in the seed post's `docker inspect -f '{{ json .NetworkSettings }}' rose` (Docker: one line)
  json: ([v]) => JSON.stringify(v ?? null, null, 2),
  join: ([v, sep]) => (Array.isArray(v) ? v.map(show).join(String(sep ?? '')) : show(v)),
  lower: ([v]) => show(v).toLowerCase(),
  upper: ([v]) => show(v).toUpperCase(),
  println: (args) => args.map(show).join(' ') + '\n',
  printf: ([f, ...args]) => String(f).replace(/%[sdv]/g, () => show(args.shift())),
  eq: ([a, ...bs]) => bs.some((b) => a === b),
  ne: ([a, b]) => a !== b,
  not: ([v]) => !truthy(v),
  and: (args) => args.reduce((acc, v) => (truthy(acc) ? v : acc), true as Value),
  or: (args) => args.reduce((acc, v) => (truthy(acc) ? acc : v), false as Value),
};

/** Splits an action's text into words: fields, $vars, literals, parentheses, `:=` and `,`. */
function words(src: string, format: string): string[] {
  const out: string[] = [];
  // `(index .A "k").B`: a field right after a closing parenthesis is the token `).B`
  const re = /\s*("(?:[^"\\]|\\.)*"|`[^`]*`|:=|\)\.[\w.]+|[(),]|[^\s(),]+)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(src)) !== null) out.push(m[1]!);
  if (src.slice(re.lastIndex).trim() !== '' && out.join('').length === 0) throw bad(format, `cannot read "${src}"`);
  return out;
}

/** An expression: a function call with arguments, or one operand (words[pos...] up to `)` or the end). */
function parseExpr(ws: string[], pos: { i: number }, format: string): Expr {
  const args: Expr[] = [];
  let fn: ((a: Value[]) => Value) | undefined;
  while (pos.i < ws.length && !ws[pos.i]!.startsWith(')')) {
    const w = ws[pos.i++]!;
    if (args.length === 0 && fn === undefined && w in FUNCTIONS) {
      fn = FUNCTIONS[w];
      continue;
    }
    args.push(parseOperand(w, ws, pos, format));
  }
  if (fn) {
    const call = fn;
    return (s) => call(args.map((a) => a(s)));
  }
  if (args.length !== 1) throw bad(format, args.length === 0 ? 'an empty action' : `"${ws.join(' ')}" is not a function call`);
  return args[0]!;
}

function parseOperand(w: string, ws: string[], pos: { i: number }, format: string): Expr {
  if (w === '(') {
    const inner = parseExpr(ws, pos, format);
    const close = ws[pos.i++];
    if (close === undefined || !close.startsWith(')')) throw bad(format, 'a parenthesis is not closed');
    if (close === ')') return inner;
    const path = close.slice(2).split('.');
    if (path.some((p) => !/^\w+$/.test(p))) throw bad(format, `"${close.slice(1)}" is not a field`);
    return (s) => field(inner(s), path);
  }
  if (w.startsWith('"') || w.startsWith('`')) {
    const closed = w.length >= 2 && w.endsWith(w[0]!) && (w[0] === '`' || /^"(?:[^"\\]|\\.)*"$/.test(w));
    if (!closed) throw bad(format, `the string ${w} is not closed`);
    let text: string;
    try {
      text = w[0] === '`' ? w.slice(1, -1) : (JSON.parse(w) as string);
    } catch {
      throw bad(format, `cannot read the string ${w}`);
    }
    return () => text;
  }
  if (/^-?\d+(\.\d+)?$/.test(w)) return () => Number(w);
  if (w === 'true' || w === 'false') return () => w === 'true';
  if (w === '.') return (s) => s.dot;
  if (w.startsWith('.')) {
    const path = w.slice(1).split('.');
    if (path.some((p) => !/^\w+$/.test(p))) throw bad(format, `"${w}" is not a field`);
    return (s) => field(s.dot, path);
  }
  if (w.startsWith('$')) {
    const [name, ...path] = w.split('.');
    return (s) => field(name === '$' ? s.top : s.vars.get(name!), path);
  }
  throw bad(format, `"${w}" is not a field, a literal or one of the functions ${Object.keys(FUNCTIONS).join(', ')}`);
}

/** Parses a template into nodes (throws EBAD_FORMAT with the reason). */
function parse(format: string): Node[] {
  const root: Node[] = [];
  const stack: Array<{ node: Extract<Node, { body: Node[] }>; inElse: boolean }> = [];
  const target = () => {
    const top = stack.at(-1);
    return top ? (top.inElse ? top.node.otherwise : top.node.body) : root;
  };
  const re = /\{\{(-\s)?([\s\S]*?)(\s-)?\}\}/g;
  let last = 0;
  let trimNext = false;
  let m: RegExpExecArray | null;
  while ((m = re.exec(format)) !== null) {
    let text = format.slice(last, m.index);
    if (trimNext) text = text.trimStart();
    if (m[1]) text = text.trimEnd();
    if (text) target().push({ kind: 'text', text });
    last = re.lastIndex;
    trimNext = !!m[3];
    const ws = words(m[2]!.trim(), format);
    const head = ws[0];
    if (head === 'end') {
      if (!stack.pop()) throw bad(format, 'an {{end}} without range, if or with');
    } else if (head === 'else') {
      const top = stack.at(-1);
      if (!top || top.inElse) throw bad(format, 'an {{else}} outside range, if or with');
      top.inElse = true;
    } else if (head === 'range' || head === 'if' || head === 'with') {
      let keyVar: string | undefined;
      let valueVar: string | undefined;
      let rest = ws.slice(1);
      const assign = rest.indexOf(':=');
      if (assign >= 0) {
        const names = rest.slice(0, assign).filter((w) => w !== ',');
        if (head !== 'range' || names.length < 1 || names.length > 2 || names.some((n) => !/^\$\w+$/.test(n))) throw bad(format, `"${ws.join(' ')}" declares variables this template cannot`);
        [keyVar, valueVar] = names.length === 2 ? names : [undefined, names[0]];
        rest = rest.slice(assign + 1);
      }
      const pos = { i: 0 };
      const expr = parseExpr(rest, pos, format);
      if (pos.i !== rest.length) throw bad(format, 'a parenthesis is not opened');
      const node = { kind: head, expr, keyVar, valueVar, body: [], otherwise: [] } as Extract<Node, { body: Node[] }>;
      target().push(node);
      stack.push({ node, inElse: false });
    } else {
      const pos = { i: 0 };
      const expr = parseExpr(ws, pos, format);
      if (pos.i !== ws.length) throw bad(format, 'a parenthesis is not opened');
      target().push({ kind: 'print', expr });
    }
  }
  if (stack.length) throw bad(format, `a {{${stack.at(-1)!.node.kind}}} has no {{end}}`);
  let tail = format.slice(last);
  if (tail.includes('{{')) throw bad(format, 'an action is not closed with }}');
  if (trimNext) tail = tail.trimStart();
  if (tail) root.push({ kind: 'text', text: tail });
  return root;
}

function run(nodes: Node[], s: Scope, out: string[]): void {
  for (const n of nodes) {
    if (n.kind === 'text') out.push(n.text);
    else if (n.kind === 'print') out.push(show(n.expr(s)));
    else {
      const v = n.expr(s);
      if (n.kind === 'if') run(truthy(v) ? n.body : n.otherwise, s, out);
      else if (n.kind === 'with') run(truthy(v) ? n.body : n.otherwise, truthy(v) ? { ...s, dot: v } : s, out);
      else {
        const entries: Array<[Value, Value]> = Array.isArray(v)
          ? v.map((x, i) => [i, x])
          : v !== null && typeof v === 'object'
            ? Object.keys(v).sort().map((k) => [k, (v as Record<string, Value>)[k]])
            : [];
        if (entries.length === 0) run(n.otherwise, s, out);
        for (const [k, x] of entries) {
          const vars = new Map(s.vars);
          if (n.keyVar) vars.set(n.keyVar, k);
          if (n.valueVar) vars.set(n.valueVar, x);
          run(n.body, { dot: x, top: s.top, vars }, out);
        }
      }
    }
  }
}

/** Renders `format` for one value (`tsnet inspect -f FORMAT`): throws EBAD_FORMAT for a template it cannot read. */
export function renderTemplate(format: string, value: Value): string {
  const nodes = parse(format);
  const out: string[] = [];
  run(nodes, { dot: value, top: value, vars: new Map() }, out);
  return out.join('');
}
