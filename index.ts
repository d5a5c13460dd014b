/**
 * The Pulumi program (Pulumi.yaml `main`). Which stack is which lives in the stack's config
 * (`flavor: kind` for dev, `flavor: aks` for aks); see stacks/.
 */
import { program } from "./stacks";

export = program();
