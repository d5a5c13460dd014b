// ESLint flat config: typescript-eslint's type-aware rules plus Pulumi's own rules, which
// reject Outputs inside template literals (they print as a warning text, not the value).
import pulumi from "@pulumi/eslint-plugin";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      "dist/",
      "plan/",
      "bench/results/",
      "eslint.config.mjs",
      // The bin's ten-line shim into dist/, plain CommonJS outside the TypeScript project.
      "bin/",
      // Must not compile; test/types.test.ts compiles it.
      "test/types/",
    ],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { "@pulumi": pulumi },
    rules: {
      "@pulumi/no-output-in-template-literal": "error",
      "@pulumi/no-output-instance-in-template-literal": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
);
