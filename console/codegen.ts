// Typed operations from the committed SDL (../schema.graphql): `npm run codegen` writes src/gql/
// (generated at build, not committed — `npm run build` and `npm run dev` run it first).
import type { CodegenConfig } from '@graphql-codegen/cli'

const config: CodegenConfig = {
  schema: '../schema.graphql',
  documents: ['src/**/*.ts', '!src/gql/**/*'],
  ignoreNoDocuments: false,
  generates: {
    'src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        skipTypename: false,
        scalars: {
          Money: 'string',
          Decimal: 'string',
          Quantity: 'string',
          Date: 'string',
          DateTime: 'string',
          Upload: 'File',
        },
      },
    },
  },
}

export default config
