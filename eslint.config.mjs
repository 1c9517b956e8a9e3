import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', '.data/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Lambda bundles take zod through lambdas/zod.ts (zod/mini, English messages): classic zod
    // would put ~450 KB back into every function.
    files: ['lambdas/**/*.ts'],
    ignores: ['lambdas/zod.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^zod(/.*)?$', message: "use `import * as z from '<path>/zod'` (lambdas/zod.ts)" }] }],
      'no-restricted-syntax': ['error', {
        // `import { z }` would be zod/mini's namespace object: the whole library again.
        selector: 'ImportDeclaration[source.value=/(^|\\/)zod$/] > ImportSpecifier',
        message: "use `import * as z from '<path>/zod'` and z.<function>",
      }],
    },
  },
);
