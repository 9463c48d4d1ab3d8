// Lint rules for the whole repository; `npm run lint` runs them and `npm test` runs `lint`.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const typeScriptFiles = ['**/*.ts', '**/*.mts'];
const browserFiles = ['src/monitor/page/**'];

export default defineConfig(
  { ignores: ['dist/', 'coverage/', 'test-results/', '.azurite/'] },

  // Every file: ESLint's own recommendations, on Node (the app, the host, scripts and tests all run there).
  js.configs.recommended,
  { ignores: browserFiles, languageOptions: { globals: globals.node } },
  // The monitor's page script runs in the browser (its own tsconfig.json there sets the DOM library).
  { files: browserFiles, languageOptions: { globals: globals.browser } },

  // TypeScript: the type-checked rule sets. The project service finds each file's nearest tsconfig.json
  // (the root one for src/, host/, scripts/, bench/; test/tsconfig.json for the tests), so a folder with
  // its own tsconfig.json gets its own compiler options without a change here.
  {
    files: typeScriptFiles,
    extends: [tseslint.configs.strictTypeChecked, tseslint.configs.stylisticTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: {
          // The root config files are in no tsconfig's include list; they are checked with the test settings.
          allowDefaultProject: ['*.mts'],
          defaultProject: 'tsconfig.check.json',
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Numbers print the same everywhere; the strict preset's other template checks (nullish, objects) stay on.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        {
          allowNumber: true,
          allowAny: false,
          allowBoolean: false,
          allowNullish: false,
          allowRegExp: false,
          allowNever: false,
        },
      ],
      // `() => resolve()` in a callback reads as a call, not as a value; block bodies still may not return void.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // `const { omitted, ...rest } = value` is how the code drops a field from a copy.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
      // An empty setting, query value or version means "not given" here, so `||` on strings is deliberate.
      '@typescript-eslint/prefer-nullish-coalescing': ['error', { ignorePrimitives: { string: true } }],
      // Off: without noUncheckedIndexedAccess it calls guards on indexes, regex groups and records unnecessary.
      '@typescript-eslint/no-unnecessary-condition': 'off',
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Off in tests: `found!` throws when a value is missing, which fails the test as an assertion would.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Off in tests: vitest's asymmetric matchers (expect.any, expect.stringMatching) are typed any by design.
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },

  {
    rules: {
      // A closure that reads a variable before its one later assignment would hit the TDZ if it were a const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },

  // The fixture apps are plain CommonJS JavaScript on purpose (the host runs any durable-functions app).
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: {
      // Off: durable-functions orchestrators are generator functions even when they schedule nothing.
      'require-yield': 'off',
    },
  },

  // Formatting is Prettier's job: switch off every rule that would disagree with it.
  prettier,
);
