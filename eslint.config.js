import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { noImportCycle } from './eslint/import-cycles.js';

/**
 * The layers of src/, as data: each folder and the folders it may import. Imports point down
 * only: cli (commander, printing, exit codes) -> engine (executor, planner) and report
 * (journal views) -> actions (shell, http, traffic drivers) -> journal (events, replay, stores)
 * -> runbook (parse, validate) and aws (SDK clients, error messages) -> support (clock,
 * masking, small helpers). A folder may always import its own files.
 */
export const LAYERS = {
  cli: ['engine', 'report', 'actions', 'journal', 'runbook', 'aws', 'support'],
  engine: ['actions', 'journal', 'runbook', 'aws', 'support'],
  report: ['journal', 'runbook', 'support'],
  // journal only for the plain-JSON traffic snapshot shape (declared with the events).
  actions: ['journal', 'runbook', 'aws', 'support'],
  journal: ['runbook', 'aws', 'support'],
  runbook: ['support'],
  aws: ['support'],
  support: [],
};

const folders = Object.keys(LAYERS);
// A relative import that climbs out of its folder into `folder` ('../engine/x.js', '../../cli/y.js').
const into = (folder) => `^(\\.\\./)+${folder}/`;
const EXIT = { selector: "MemberExpression[object.name='process'][property.name='exit']", message: 'Only src/cli may exit the process.' };

/** One config object per folder below cli: the folders it must not import, and no process.exit. */
const layerRules = folders
  .filter((folder) => folder !== 'cli')
  .map((folder) => {
    const forbidden = folders.filter((other) => other !== folder && !LAYERS[folder].includes(other));
    const message = `src/${folder} may import only ${LAYERS[folder].map((f) => `src/${f}`).join(', ') || 'its own files'} (layers: eslint.config.js LAYERS).`;
    return {
      files: [`src/${folder}/**/*.ts`],
      rules: {
        'no-restricted-syntax': [
          'error',
          EXIT,
          // no-restricted-imports does not see import(): lazy imports obey the layers too.
          ...forbidden.map((other) => ({ selector: `ImportExpression > Literal[value=/${into(other).replaceAll('/', '\\/')}/]`, message })),
        ],
        'no-restricted-imports': ['error', { patterns: forbidden.map((other) => ({ regex: into(other), message })) }],
      },
    };
  });

export default tseslint.config(
  { ignores: ['dist/', 'dist-check/', 'node_modules/', 'coverage/', '.cutover/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  {
    // Only the CLI layer may print or exit; core code returns values.
    files: ['src/cli/**/*.ts', 'bench/**', 'test/**', 'bin/**', '**/*.test.ts', 'scripts/**', 'eslint/**'],
    rules: { 'no-console': 'off' },
  },
  ...layerRules,
  {
    files: ['src/**/*.ts'],
    plugins: { cutover: { rules: { 'no-import-cycle': noImportCycle } } },
    rules: { 'cutover/no-import-cycle': ['error', { root: 'src' }] },
  },
);
