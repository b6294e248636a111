// test-flags.json (the OpenFeature spec's in-memory flags) as a Tandem config: `disabled` is
// state DISABLED, `flagMetadata` is the flag's metadata, and each `contextEvaluator` (a CEL
// expression choosing a variant name, '' for the default) becomes a JSON Logic `targeting`
// rule. The CEL reader covers what the file uses: `cond ? 'variant' : ''` over `&&`, `||`,
// `!`, comparisons, identifiers, string and number literals.

function tokens(text) {
  const out = [];
  const re = /\s*(?:(&&|\|\||==|!=|>=|<=|[!?:<>()])|'([^']*)'|(-?\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_.]*))/y;
  let m;
  while (re.lastIndex < text.length && (m = re.exec(text))) {
    if (m[1]) out.push({ op: m[1] });
    else if (m[2] !== undefined) out.push({ value: m[2] });
    else if (m[3]) out.push({ value: Number(m[3]) });
    else out.push({ value: { var: m[4] } });
  }
  if (re.lastIndex < text.trimEnd().length) throw new Error(`CEL: cannot read ${JSON.stringify(text)}`);
  return out;
}

export function celToJsonLogic(text) {
  const t = tokens(text);
  let i = 0;
  const peek = (op) => t[i]?.op === op;
  const take = (op) => {
    if (!peek(op)) throw new Error(`CEL: expected ${op} in ${JSON.stringify(text)}`);
    i++;
  };
  const primary = () => {
    if (peek('!')) {
      i++;
      return { '!': primary() };
    }
    if (peek('(')) {
      i++;
      const e = ternary();
      take(')');
      return e;
    }
    return t[i++].value;
  };
  const comparison = () => {
    const left = primary();
    for (const op of ['==', '!=', '>=', '<=', '>', '<']) {
      if (peek(op)) {
        i++;
        return { [op]: [left, primary()] };
      }
    }
    return left;
  };
  const chain = (op, next) => () => {
    const parts = [next()];
    while (peek(op)) {
      i++;
      parts.push(next());
    }
    return parts.length === 1 ? parts[0] : { [op === '&&' ? 'and' : 'or']: parts };
  };
  const and = chain('&&', comparison);
  const or = chain('||', and);
  const ternary = () => {
    const cond = or();
    if (!peek('?')) return cond;
    i++;
    const then = ternary();
    take(':');
    const otherwise = ternary();
    // '' names no variant: the default variant is served (reason DEFAULT).
    return { if: [cond, then === '' ? null : then, otherwise === '' ? null : otherwise] };
  };
  return ternary();
}

export function tandemConfig(testFlags) {
  const flags = {};
  for (const [key, f] of Object.entries(testFlags)) {
    const flag = { state: f.disabled ? 'DISABLED' : 'ENABLED', variants: f.variants, defaultVariant: f.defaultVariant };
    if (f.flagMetadata) flag.metadata = f.flagMetadata;
    if (f.contextEvaluator) flag.targeting = celToJsonLogic(f.contextEvaluator);
    flags[key] = flag;
  }
  return JSON.stringify({ flags });
}
