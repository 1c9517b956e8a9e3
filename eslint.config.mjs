import tseslint from 'typescript-eslint';

// Lambda bundles take zod through lambdas/zod.ts (zod/mini, English messages): classic zod
// would put ~450 KB back into every function.
const zodPackage = { regex: '^zod(/.*)?$', message: "use `import * as z from '<path>/zod'` (lambdas/zod.ts)" };

// The layers of lambdas/ (docs/architecture.md, "Layers"), bottom up: what each may import from
// the others. An import that points up (or sideways where the table says no) fails the lint.
const MODULES = [
  'domain',
  'ports',
  'ids',
  'zod',
  'logger',
  'paging',
  'protocol',
  'service',
  'adapters',
  'http',
  'api',
  'wiring',
  'handlers',
];
const LAYERS = [
  { name: 'domain', files: ['lambdas/domain/**/*.ts'], may: [] },
  { name: 'ids', files: ['lambdas/ids.ts'], may: [] },
  { name: 'zod', files: ['lambdas/zod.ts'], may: [] },
  { name: 'logger', files: ['lambdas/logger.ts'], may: [] },
  { name: 'paging', files: ['lambdas/paging.ts'], may: [] },
  { name: 'ports', files: ['lambdas/ports/**/*.ts'], may: ['domain'] },
  { name: 'protocol', files: ['lambdas/protocol/**/*.ts'], may: ['domain', 'ports', 'ids', 'zod', 'logger', 'paging'] },
  {
    name: 'service',
    files: ['lambdas/service/**/*.ts'],
    may: ['domain', 'ports', 'ids', 'zod', 'logger', 'paging', 'protocol'],
  },
  {
    name: 'adapters',
    files: ['lambdas/adapters/**/*.ts'],
    may: ['domain', 'ports', 'ids', 'zod', 'logger', 'paging', 'protocol'],
  },
  {
    name: 'http',
    files: ['lambdas/http/**/*.ts'],
    may: ['domain', 'ports', 'ids', 'zod', 'logger', 'paging', 'service'],
  },
  {
    name: 'api',
    files: ['lambdas/api/**/*.ts'],
    may: ['domain', 'ports', 'ids', 'zod', 'logger', 'paging', 'protocol', 'service', 'http'],
  },
  { name: 'wiring', files: ['lambdas/wiring/**/*.ts'], may: MODULES.filter((m) => m !== 'handlers') },
  { name: 'handlers', files: ['lambdas/handlers/**/*.ts'], may: MODULES },
];

/** A relative import that reaches `module` (a folder or a root file of lambdas/) from outside it. */
const reaches = (module) => `^(\\.{1,2}/)+${module}(/.*)?$`;

const layerRules = LAYERS.map(({ name, files, may }) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...(name === 'zod' ? [] : [zodPackage]), // lambdas/zod.ts is where the package comes in
          ...MODULES.filter((m) => m !== name && !may.includes(m)).map((m) => ({
            regex: reaches(m),
            message: `${name} may import ${may.length ? `only ${may.join(', ')}` : 'nothing else of lambdas/'} (docs/architecture.md, "Layers")`,
          })),
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', '.data/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // A module of our own loaded on first use is a typed `require` of a relative path beside an
      // `import type * as X` (which the layer rule checks): docs/architecture.md, "Load what the path uses".
      '@typescript-eslint/no-require-imports': ['error', { allow: ['^\\.\\.?/'] }],
    },
  },
  {
    files: ['lambdas/**/*.ts'],
    ignores: ['lambdas/zod.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          // `import { z }` would be zod/mini's namespace object: the whole library again.
          selector: 'ImportDeclaration[source.value=/(^|\\/)zod$/] > ImportSpecifier',
          message: "use `import * as z from '<path>/zod'` and z.<function>",
        },
      ],
    },
  },
  // Every file of lambdas/ is in one layer; its rule also keeps the zod package out (zodPackage).
  ...layerRules,
);
