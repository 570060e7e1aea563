/**
 * The storefront's operations as the schema's usage: each one checked against an API schema the
 * way a registry checks a schema change against real client traffic. What breaks an operation:
 * anything GraphQL validation refuses (a field, argument, type or enum value gone, an argument
 * now required), a field it reads whose type changed in a way its generated types would not
 * survive (another named type, list-ness, non-null to nullable), and an input object its
 * variables carry that lost a field the app may send or gained a required one.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import {
  getNamedType,
  isInputObjectType,
  isListType,
  isNonNullType,
  Kind,
  parse,
  TypeInfo,
  validate,
  visit,
  visitWithTypeInfo,
  type DefinitionNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLInputObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';

export interface AppOperation {
  name: string;
  /** The operation and every fragment it uses, as one document. */
  document: DocumentNode;
}

function graphqlFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((entry) => {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) return entry === 'generated' ? [] : graphqlFiles(full);
      return entry.endsWith('.graphql') ? [full] : [];
    })
    .sort();
}

function fragmentsUsedBy(
  definition: DefinitionNode,
  fragments: Map<string, FragmentDefinitionNode>,
  found = new Set<string>(),
): Set<string> {
  visit(definition, {
    FragmentSpread(spread) {
      const fragment = fragments.get(spread.name.value);
      if (found.has(spread.name.value) || !fragment) return;
      found.add(spread.name.value);
      fragmentsUsedBy(fragment, fragments, found);
    },
  });
  return found;
}

/** Every named operation of the app's sources (`<webSrc>/**\/*.graphql`), with its fragments. */
export function appOperations(webSrc: string): AppOperation[] {
  const definitions = graphqlFiles(webSrc).flatMap((file) => parse(readFileSync(file, 'utf8')).definitions);
  const fragments = new Map(
    definitions.flatMap((definition) =>
      definition.kind === Kind.FRAGMENT_DEFINITION ? [[definition.name.value, definition] as const] : [],
    ),
  );
  return definitions.flatMap((definition) => {
    if (definition.kind !== Kind.OPERATION_DEFINITION || !definition.name) return [];
    const used = [...fragmentsUsedBy(definition, fragments)].map((name) => fragments.get(name)!);
    return [{ name: definition.name.value, document: { kind: Kind.DOCUMENT, definitions: [definition, ...used] } }];
  });
}

/** The API schema of a supergraph's SDL (what clients see through the gateway). */
export function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();
}

/** `Type.field` → its output type, for every field the operation reads. */
function fieldsRead(schema: GraphQLSchema, document: DocumentNode): Map<string, GraphQLOutputType> {
  const typeInfo = new TypeInfo(schema);
  const read = new Map<string, GraphQLOutputType>();
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        const type = typeInfo.getType();
        if (parent && type && !node.name.value.startsWith('__')) read.set(`${parent.name}.${node.name.value}`, type);
      },
    }),
  );
  return read;
}

/** Why a field's new type breaks a reader of the old one, or null when it does not. */
function outputTypeBreak(before: GraphQLOutputType, after: GraphQLOutputType): string | null {
  if (getNamedType(before).name !== getNamedType(after).name) return `changed type from ${before} to ${after}`;
  let left: GraphQLOutputType = before;
  let right: GraphQLOutputType = after;
  for (;;) {
    if (isNonNullType(left) && !isNonNullType(right)) return `changed type from ${before} to ${after} (it may now be null)`;
    if (isNonNullType(left)) left = left.ofType as GraphQLOutputType;
    if (isNonNullType(right)) right = right.ofType as GraphQLOutputType;
    if (isListType(left) !== isListType(right)) return `changed type from ${before} to ${after}`;
    if (!isListType(left) || !isListType(right)) return null;
    left = left.ofType as GraphQLOutputType;
    right = right.ofType as GraphQLOutputType;
  }
}

/** The input object types an operation's variables carry, nested ones included. */
function inputObjectsSent(schema: GraphQLSchema, document: DocumentNode): GraphQLInputObjectType[] {
  const found = new Map<string, GraphQLInputObjectType>();
  const add = (name: string) => {
    const type = schema.getType(name);
    if (!isInputObjectType(type) || found.has(name)) return;
    found.set(name, type);
    for (const field of Object.values(type.getFields())) add(getNamedType(field.type).name);
  };
  visit(document, {
    VariableDefinition(node) {
      let type = node.type;
      while (type.kind !== Kind.NAMED_TYPE) type = type.type;
      add(type.name.value);
    },
  });
  return [...found.values()];
}

/**
 * Every way `after` breaks the app's operations, as `<Operation>: <what>`; `before` is the
 * schema they were written against (the committed supergraph), to notice changed field types.
 */
export function breakingUsages(operations: AppOperation[], before: GraphQLSchema, after: GraphQLSchema): string[] {
  const problems: string[] = [];
  for (const operation of operations) {
    for (const error of validate(after, operation.document)) problems.push(`${operation.name}: ${error.message}`);
    const afterFields = fieldsRead(after, operation.document);
    for (const [field, type] of fieldsRead(before, operation.document)) {
      const now = afterFields.get(field);
      const problem = now ? outputTypeBreak(type, now) : null;
      if (problem) problems.push(`${operation.name}: field ${field} ${problem}`);
    }
    for (const input of inputObjectsSent(before, operation.document)) {
      const now = after.getType(input.name);
      if (!isInputObjectType(now)) continue; // a variable of a missing type is a validation error above
      const nowFields = now.getFields();
      for (const name of Object.keys(input.getFields())) {
        if (!nowFields[name]) problems.push(`${operation.name}: input field ${input.name}.${name}, which the app may send, was removed`);
      }
      for (const [name, field] of Object.entries(nowFields)) {
        if (!input.getFields()[name] && isNonNullType(field.type) && field.defaultValue === undefined) {
          problems.push(`${operation.name}: input field ${input.name}.${name} is new and required; the app does not send it`);
        }
      }
    }
  }
  return problems;
}
