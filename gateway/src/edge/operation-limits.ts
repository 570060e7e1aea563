import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { AppError, type RequestRejectionCode } from '@fedshop/shared/errors';
import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  Lexer,
  Source,
  TokenKind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
  type ValueNode,
} from 'graphql';
import type { EdgeMetrics } from './edge-metrics';
import { rejection } from './rejection';

/**
 * Limits every operation must stay within before the gateway plans it. Defaults (README,
 * Security) sit between GraphQL Armor's and Apollo Router's: see each option.
 */
export interface OperationLimits {
  /** UTF-8 bytes of the document text. Default 32 KiB (our largest client operation is under 1 KiB; the request body limit, MAX_BODY_BYTES, is 1 MiB). */
  maxBytes: number;
  /** Lexical tokens of the document. Default 1 000 (GraphQL Armor's default; Apollo Router's parser allows 15 000). */
  maxTokens: number;
  /** Nesting of fields, fragments flattened. Default 10 (Armor says 6, but each connection costs two levels: an admin's users → orders → items → product is 9). */
  maxDepth: number;
  /** Aliases per operation. Default 15 (GraphQL Armor's default; Apollo Router has no default). */
  maxAliases: number;
  /** Fields at the root of an operation. Default 10 (the schema has 6 query and 9 mutation fields; Apollo Router has no default). */
  maxRootFields: number;
  /** Estimated cost (see `operationCost`). Default 10 000: an admin page of 50 users with 5 orders each costs about 5 700. */
  maxCost: number;
  /** Size assumed for a list whose size no `first`/`last` argument gives. Default 10. */
  assumedListSize: number;
}

function refuse(code: RequestRejectionCode, message: string, details: Record<string, number | string>): AppError {
  return new AppError(code, message, details);
}

/**
 * Document size, checked on the raw text before Apollo Server parses it (the cheapest place:
 * the lexer stops one token past the limit). Throws a 400 OPERATION_TOO_LARGE.
 */
export function checkDocumentSize(query: string, limits: Pick<OperationLimits, 'maxBytes' | 'maxTokens'>, metrics?: EdgeMetrics): void {
  const bytes = Buffer.byteLength(query, 'utf8');
  if (bytes > limits.maxBytes) {
    metrics?.rejectedOperations.inc({ code: 'OPERATION_TOO_LARGE' });
    throw rejection(
      refuse('OPERATION_TOO_LARGE', `The operation is ${bytes} bytes long; the limit is ${limits.maxBytes}.`, {
        limit: limits.maxBytes,
        measure: 'bytes',
      }),
      400,
    );
  }
  const lexer = new Lexer(new Source(query));
  let tokens = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) {
      if (++tokens > limits.maxTokens) {
        metrics?.rejectedOperations.inc({ code: 'OPERATION_TOO_LARGE' });
        throw rejection(
          refuse('OPERATION_TOO_LARGE', `The operation has more than ${limits.maxTokens} tokens.`, {
            limit: limits.maxTokens,
            measure: 'tokens',
          }),
          400,
        );
      }
    }
  } catch (error) {
    // A syntax error is the parser's to report, with its location.
    if (!(error instanceof GraphQLError) || !(error.originalError instanceof AppError)) return;
    throw error;
  }
}

/** Reports a limit breach as a validation error that keeps its AppError (and so its code and limit). */
function report(context: ValidationContext | null, error: AppError, metrics?: EdgeMetrics): void {
  metrics?.rejectedOperations.inc({ code: error.code });
  context?.reportError(new GraphQLError(error.message, { originalError: error }));
}

/** GraphQL Armor words its findings "…limit of 10 exceeded, found 12."; the number found goes into the details. */
function armorFinding(error: GraphQLError): { message: string; found?: number } {
  const message = error.message.replace(/^Syntax Error: /, '');
  const found = /found (\d+)/.exec(message)?.[1];
  return found ? { message, found: Number(found) } : { message };
}

/** Fields at the root of each operation, through fragments; `__typename` is free. */
function maxRootFieldsRule(limit: number, metrics?: EdgeMetrics): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      const seen = new Set<string>();
      const count = (selectionSet: SelectionSetNode): number =>
        selectionSet.selections.reduce((sum, selection) => {
          if (selection.kind === Kind.FIELD) return sum + (selection.name.value === '__typename' ? 0 : 1);
          if (selection.kind === Kind.INLINE_FRAGMENT) return sum + count(selection.selectionSet);
          if (seen.has(selection.name.value)) return sum;
          seen.add(selection.name.value);
          const fragment = context.getFragment(selection.name.value);
          return sum + (fragment ? count(fragment.selectionSet) : 0);
        }, 0);
      const fields = count(operation.selectionSet);
      if (fields > limit) {
        report(
          context,
          refuse('OPERATION_TOO_MANY_ROOT_FIELDS', `The operation selects ${fields} root fields; the limit is ${limit}.`, {
            limit,
            found: fields,
          }),
          metrics,
        );
      }
    },
  });
}

/**
 * Validation rules for depth, aliases and root fields. Depth and aliases are GraphQL Armor's
 * rules (fragment cycles and repeated fragments handled), their rejections re-coded so clients
 * get OPERATION_TOO_DEEP / OPERATION_TOO_MANY_ALIASES with the limit; root fields is ours
 * (Armor has no such rule). Validated documents are cached by Apollo Server, so these cost
 * nothing on repeated operations.
 */
export function operationLimitRules(limits: OperationLimits, metrics?: EdgeMetrics): ValidationRule[] {
  const { validationRules } = new ApolloArmor({
    maxDepth: {
      n: limits.maxDepth,
      // Depth is the nesting of fields as executed: spreading a fragment adds no level.
      flattenFragments: true,
      propagateOnRejection: false,
      onReject: [
        (context, error) => {
          const { message, found } = armorFinding(error);
          report(context, refuse('OPERATION_TOO_DEEP', message, { limit: limits.maxDepth, ...(found ? { found } : {}) }), metrics);
        },
      ],
    },
    maxAliases: {
      n: limits.maxAliases,
      propagateOnRejection: false,
      onReject: [
        (context, error) => {
          const { message, found } = armorFinding(error);
          report(
            context,
            refuse('OPERATION_TOO_MANY_ALIASES', message, { limit: limits.maxAliases, ...(found ? { found } : {}) }),
            metrics,
          );
        },
      ],
    },
    // Tokens and cost are checked elsewhere (before parsing, and with variables); suggestions by the error formatter.
    maxTokens: { enabled: false },
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: false },
    // Repeated directives are bounded by the token limit.
    maxDirectives: { enabled: false },
  }).protect();
  return [...(validationRules as ValidationRule[]), maxRootFieldsRule(limits.maxRootFields, metrics)];
}

/** What a mutation root field costs on top of its selection (Apollo Router's demand-control default). */
const MUTATION_FIELD_COST = 10;

function intArgument(
  node: { arguments?: readonly { name: { value: string }; value: ValueNode }[] },
  field: GraphQLField<unknown, unknown>,
  names: string[],
  variables: Record<string, unknown>,
): number | undefined {
  for (const name of names) {
    const given = node.arguments?.find((argument) => argument.name.value === name)?.value;
    let value: unknown;
    if (given?.kind === Kind.INT) value = Number(given.value);
    else if (given?.kind === Kind.VARIABLE) value = variables[given.name.value];
    else if (!given) value = field.args.find((argument) => argument.name === name)?.defaultValue;
    if (typeof value === 'number' && Number.isFinite(value)) return Math.max(0, Math.trunc(value));
  }
  return undefined;
}

/**
 * Estimates what an operation makes the subgraphs do, the way Apollo Router's demand control
 * does: each object (composite) field costs 1, scalars 0, a mutation root field 10 more, and a
 * list multiplies the cost of each item by its size. A list's size is its own `first`/`last`
 * argument, or that of the connection field above it (`users(first: 50) { edges { … } }`),
 * variables and schema defaults included; otherwise `assumedListSize`. Introspection is free.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  assumedListSize: number,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const memo = new Map<string, number>();
  const root = schema.getRootType(operation.operation);
  if (!root) return 0;

  const selectionCost = (
    selectionSet: SelectionSetNode,
    parent: GraphQLCompositeType,
    slice: number | undefined,
    isRoot: boolean,
  ): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (condition && isCompositeType(condition)) total += selectionCost(selection.selectionSet, condition, slice, isRoot);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        const condition = fragment && schema.getType(fragment.typeCondition.name.value);
        if (!fragment || !condition || !isCompositeType(condition)) continue;
        const key = `${fragment.name.value}:${slice ?? ''}:${isRoot}`;
        let cost = memo.get(key);
        if (cost === undefined) {
          memo.set(key, 0); // a cycle (refused by validation anyway) costs nothing more
          cost = selectionCost(fragment.selectionSet, condition, slice, isRoot);
          memo.set(key, cost);
        }
        total += cost;
        continue;
      }
      const name = selection.name.value;
      if (name.startsWith('__')) continue;
      if (!isObjectType(parent) && !isInterfaceType(parent)) continue;
      const field = parent.getFields()[name];
      if (!field) continue;
      const type = getNamedType(field.type);
      const own = isCompositeType(type) ? 1 : 0;
      const sliceArgument = intArgument(selection, field, ['first', 'last'], variables);
      const isList = isListType(getNullableType(field.type));
      const children =
        selection.selectionSet && isCompositeType(type)
          ? selectionCost(selection.selectionSet, type, isList ? undefined : sliceArgument, false)
          : 0;
      const size = isList ? (sliceArgument ?? slice ?? assumedListSize) : 1;
      total += size * (own + children) + (isRoot && operation.operation === 'mutation' ? MUTATION_FIELD_COST : 0);
    }
    return total;
  };
  return selectionCost(operation.selectionSet, root, undefined, true);
}

/**
 * Refuses operations whose estimated cost is over the limit, after the operation is known
 * (variables included) and before the gateway plans it: 400 OPERATION_TOO_COSTLY with the
 * limit and the cost found. Runs on every request, cached documents included.
 */
export function costLimitPlugin<TContext extends BaseContext>(
  limits: Pick<OperationLimits, 'maxCost' | 'assumedListSize'>,
  metrics?: EdgeMetrics,
): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          if (!operation) return;
          const cost = operationCost(schema, document, operation, request.variables ?? {}, limits.assumedListSize);
          if (cost <= limits.maxCost) return;
          metrics?.rejectedOperations.inc({ code: 'OPERATION_TOO_COSTLY' });
          throw rejection(
            refuse('OPERATION_TOO_COSTLY', `The operation's estimated cost is ${cost}; the limit is ${limits.maxCost}.`, {
              limit: limits.maxCost,
              cost,
            }),
            400,
          );
        },
      };
    },
  };
}
