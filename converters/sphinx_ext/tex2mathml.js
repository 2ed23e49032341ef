// TeX → MathML with MathJax's own TeX input (the engine the HTML book runs in the browser).
//
//   node tex2mathml.js MATHJAX_JS_DIR  < requests  > answers
//
// MATHJAX_JS_DIR is the `js` folder of the npm package mathjax-full (MathJax 3).  One request
// per line on standard input, one answer per line on standard output, in the same order:
//   {"tex": "x^2", "display": true}      →  {"mathml": "<math …>…</math>"}  or  {"error": "…"}
// The book's formulas go through one process, or one per core when they are many, each with its
// own share (converters/sphinx_ext/mathjax_mathml.py).
// No package that loads code (`require`, `autoload`) and no `noundefined` (an unknown macro is
// an error, not red text the reader would take for the formula).
"use strict";

const path = require("path");
const readline = require("readline");

const root = process.argv[2];
if (!root) {
  process.stderr.write("usage: node tex2mathml.js MATHJAX_JS_DIR\n");
  process.exit(2);
}
const load = (name) => require(path.join(root, name));

const { mathjax } = load("mathjax.js");
const { TeX } = load("input/tex.js");
const { RegisterHTMLHandler } = load("handlers/html.js");
const { liteAdaptor } = load("adaptors/liteAdaptor.js");
const { STATE } = load("core/MathItem.js");
const { SerializedMmlVisitor } = load("core/MmlTree/SerializedMmlVisitor.js");
const fs = require("fs");

// MathJax 3 lists its TeX packages in AllPackages; MathJax 4 (compared in bench/epub_math.py)
// has no such list: there each package folder's *Configuration.js registers the package.
function allPackages() {
  const list = path.join(root, "input/tex/AllPackages.js");
  if (fs.existsSync(list)) return require(list).AllPackages;
  const { ConfigurationHandler } = load("input/tex/Configuration.js");
  const names = [];
  for (const dir of fs.readdirSync(path.join(root, "input/tex"), { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const file of fs.readdirSync(path.join(root, "input/tex", dir.name))) {
      if (file.endsWith("Configuration.js")) require(path.join(root, "input/tex", dir.name, file));
    }
    if (ConfigurationHandler.get(dir.name)) names.push(dir.name);
  }
  return ["base", ...names.filter((n) => n !== "base")];
}

const EXCLUDED = new Set(["require", "autoload", "noundefined", "noerrors", "bussproofs"]);
const packages = allPackages().filter((name) => !EXCLUDED.has(name));

RegisterHTMLHandler(liteAdaptor());

function newDocument() {
  const tex = new TeX({
    packages,
    tags: "none", // the book prints equation numbers itself; an explicit \tag still shows
    formatError: (jax, err) => {
      throw err;
    },
  });
  return mathjax.document("", { InputJax: tex });
}

// Each answer depends on its formula alone: MathJax keeps what a formula defines (`\def`, `\let`,
// `\DeclareMathOperator`, `\newenvironment`, `\definecolor`, mathtools' tag forms…) for every
// later formula of its document, and here one document serves the whole book, in no page's
// order, with a cache per formula.  A formula that may define anything goes through a document
// of its own, so that one article's `\DeclareMathOperator{\sin}{…}` never changes another's
// `\sin`; a new document costs a few milliseconds, so the others share one.
const DEFINES = /\\(?:[A-Za-z]*(?:new|New|def|Declare|declare|let|set|use|global|provide)[A-Za-z]*)/;
const shared = newDocument();
const visitor = new SerializedMmlVisitor();

function convert(request) {
  const doc = DEFINES.test(request.tex) ? newDocument() : shared;
  doc.inputJax[0].reset(); // labels and equation numbers of the formulas before
  const node = doc.convert(request.tex, { display: Boolean(request.display), end: STATE.CONVERT });
  return visitor.visitTree(node, doc);
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  if (!line.trim()) return;
  let answer;
  try {
    answer = { mathml: convert(JSON.parse(line)) };
  } catch (err) {
    answer = { error: String((err && err.message) || err).replace(/\s+/g, " ") };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
