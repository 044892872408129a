/**
 * `cutover/no-import-cycle`: a module must not import, directly or through others, a module
 * that imports it. The lint rule sees the file being linted as ESLint parsed it and every other
 * module under the same source root as it is on disk, parsed once per lint run with
 * TypeScript's parser. Type-only imports are left out (erased at run time); dynamic imports
 * count (a lazy cycle is still a cycle in the design).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** Relative specifier -> the .ts file it names, or undefined when it is not a source file. */
function resolve(fromFile, specifier) {
  if (!specifier.startsWith('.')) return undefined;
  const target = path.resolve(path.dirname(fromFile), specifier);
  for (const candidate of [target.replace(/\.js$/, '.ts'), target, `${target}.ts`, path.join(target, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile() && candidate.endsWith('.ts')) return candidate;
    } catch {
      // not this one
    }
  }
  return undefined;
}

/** The runtime import specifiers of a TypeScript source text. */
export function runtimeImports(fileName, text) {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found = [];
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly =
        clause?.isTypeOnly ||
        (clause &&
          !clause.name &&
          clause.namedBindings &&
          ts.isNamedImports(clause.namedBindings) &&
          clause.namedBindings.elements.length > 0 &&
          clause.namedBindings.elements.every((e) => e.isTypeOnly));
      if (!typeOnly) found.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const typeOnly =
        node.isTypeOnly ||
        (node.exportClause &&
          ts.isNamedExports(node.exportClause) &&
          node.exportClause.elements.length > 0 &&
          node.exportClause.elements.every((e) => e.isTypeOnly));
      if (!typeOnly) found.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      found.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const graphs = new Map();

/** file -> resolved runtime imports, for every .ts file under root (cached per root and run). */
function graphOf(root) {
  let graph = graphs.get(root);
  if (graph) return graph;
  graph = new Map();
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        graph.set(
          full,
          runtimeImports(full, readFileSync(full, 'utf8'))
            .map((s) => resolve(full, s))
            .filter(Boolean),
        );
      }
    }
  };
  walk(root);
  graphs.set(root, graph);
  return graph;
}

/** A path of imports from `start` back to `file` (both ends included), or undefined. */
function pathBack(graph, start, file) {
  const seen = new Set();
  const stack = [[start, [start]]];
  while (stack.length > 0) {
    const [at, trail] = stack.pop();
    if (at === file) return trail;
    if (seen.has(at)) continue;
    seen.add(at);
    for (const next of graph.get(at) ?? []) stack.push([next, [...trail, next]]);
  }
  return undefined;
}

/** @type {import('eslint').Rule.RuleModule} */
export const noImportCycle = {
  meta: {
    type: 'problem',
    docs: { description: 'Forbid import cycles between the modules under a source root.' },
    schema: [{ type: 'object', properties: { root: { type: 'string' } }, required: ['root'], additionalProperties: false }],
    messages: { cycle: 'Import cycle: {{cycle}}. Move what both need into a module below them.' },
  },
  create(context) {
    const root = path.resolve(context.cwd, context.options[0].root);
    const file = path.resolve(context.filename);
    if (!file.startsWith(root + path.sep)) return {};
    const graph = graphOf(root);
    const check = (node, specifier) => {
      const target = resolve(file, specifier);
      if (!target) return;
      const trail = target === file ? [file] : pathBack(graph, target, file);
      if (!trail) return;
      const cycle = [file, ...trail].map((f) => path.relative(root, f)).join(' -> ');
      context.report({ node, messageId: 'cycle', data: { cycle } });
    };
    const typeOnly = (node) =>
      node.importKind === 'type' ||
      node.exportKind === 'type' ||
      (node.specifiers?.length > 0 && node.specifiers.every((s) => s.importKind === 'type' || s.exportKind === 'type'));
    return {
      ImportDeclaration(node) {
        if (!typeOnly(node)) check(node, node.source.value);
      },
      ExportNamedDeclaration(node) {
        if (node.source && !typeOnly(node)) check(node, node.source.value);
      },
      ExportAllDeclaration(node) {
        if (node.exportKind !== 'type') check(node, node.source.value);
      },
      ImportExpression(node) {
        if (node.source.type === 'Literal' && typeof node.source.value === 'string') check(node, node.source.value);
      },
    };
  },
};
