// Formulas typed by users.

export function evaluateFormula(formula: string): number {
  return eval(formula); // expect: security.js-eval
}

export function compile(args: string[], body: string): Function {
  return new Function(...args, body); // expect: security.js-eval
}

export function runSnippet(code: string): unknown {
  return window.eval(`(${code})`); // expect: security.js-eval
}

export function globalObject(): unknown {
  return new Function("return this")();
}

export function constant(): number {
  return eval("6 * 7");
}

export function trainMode(model: { eval(): void }): void {
  model.eval();
}

export function parse(text: string): unknown {
  return JSON.parse(text);
}
