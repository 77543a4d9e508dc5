// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'node_modules/', 'bench/corpus/', '.accuracy-corpus/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': 'off',
    },
  },
  {
    // Arrows point down the flow: rules use only the public API, stages never import faces or formats.
    files: ['rules/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ regex: '^\\.\\./src/(?!api\\.js$)', message: 'Rules use only the public API (src/api.ts), exactly as a plugin does.' }],
      }],
    },
  },
  {
    files: ['src/parse/**/*.ts', 'src/analyze/**/*.ts', 'src/discover/**/*.ts', 'src/engine/**/*.ts', 'src/config/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { regex: '/(cli|lsp|report)/', message: 'Stages never import a face or a report format.' },
          { regex: '(^|/)rules/', message: 'The faces hand the rule list in (ConfigLoader\'s builtInRules); stages never import rules.' },
        ],
      }],
    },
  },
  {
    files: ['src/report/**/*.ts', 'src/findings/**/*.ts', 'src/plugin/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ regex: '(^|/)rules/', message: 'The faces hand the rule list in; reports and the plugin API never import rules.' }],
      }],
    },
  },
  {
    // The web playground's page runs in a browser: the DOM, and no Node module (scripts/bundle-playground.ts enforces it for all it bundles).
    files: ['src/playground/**/*.ts'],
    languageOptions: { globals: globals.browser },
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^node:', message: 'The playground runs in a browser.' }] }],
    },
  },
  {
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
