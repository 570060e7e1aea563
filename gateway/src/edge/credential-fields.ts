import { Kind, type DocumentNode, type OperationDefinitionNode, type SelectionSetNode, type ValueNode } from 'graphql';

/** Root mutation fields that check or create credentials: the targets of credential stuffing. */
const CREDENTIAL_FIELDS = new Set(['signIn', 'signUp']);

/** One credential field of an operation and the email it names (null when it names none we can read). */
export interface CredentialAttempt {
  field: string;
  email: string | null;
}

function valueOf(node: ValueNode | undefined, variables: Record<string, unknown>): unknown {
  if (!node) return undefined;
  switch (node.kind) {
    case Kind.VARIABLE:
      return variables[node.name.value];
    case Kind.STRING:
      return node.value;
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((field) => [field.name.value, valueOf(field.value, variables)]));
    default:
      return undefined;
  }
}

/**
 * Every signIn/signUp field at the root of a mutation, through fragments and aliases alike
 * (ten aliased signIns are ten attempts), with the `input.email` each one names, read from
 * literals or variables. @skip/@include are ignored: a field that might run is counted.
 */
export function credentialAttempts(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> = {},
): CredentialAttempt[] {
  if (operation.operation !== 'mutation') return [];
  const fragments = new Map(
    document.definitions.flatMap((definition) =>
      definition.kind === Kind.FRAGMENT_DEFINITION ? [[definition.name.value, definition]] : [],
    ),
  );
  const attempts: CredentialAttempt[] = [];
  const seenFragments = new Set<string>();
  const visit = (selectionSet: SelectionSetNode) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (!CREDENTIAL_FIELDS.has(selection.name.value)) continue;
        const input = valueOf(selection.arguments?.find((argument) => argument.name.value === 'input')?.value, variables);
        const email = input && typeof input === 'object' ? (input as Record<string, unknown>).email : undefined;
        attempts.push({ field: selection.name.value, email: typeof email === 'string' ? email : null });
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        // A fragment spread twice at the root selects its fields once (field merging).
        if (fragment && !seenFragments.has(name)) {
          seenFragments.add(name);
          visit(fragment.selectionSet);
        }
      }
    }
  };
  visit(operation.selectionSet);
  return attempts;
}
