/**
 * Contract: the subgraph schemas document themselves. Every type, field, enum value and input
 * field that a schema.graphql defines carries a description (they reach the supergraph, and
 * so every client's tooling). Federation's own definitions are not in schema.graphql and are
 * not checked. Arguments are described by their field's description and are not required.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Kind, parse, type DefinitionNode, type DocumentNode, type StringValueNode } from 'graphql';
import { REPO_ROOT } from '../../scripts/lib/subgraph-databases';

/**
 * Root operation types are exempt themselves (their fields are not): composition merges every
 * subgraph's Query and Mutation into one type, so a description on one subgraph's root type
 * would describe the whole supergraph's, arbitrarily (and conflicting ones raise hints).
 */
const ROOT_OPERATION_TYPES = new Set(['Query', 'Mutation', 'Subscription']);

const described = (description: StringValueNode | undefined) => (description?.value.trim() ?? '') !== '';

/** Schema coordinates (`Type`, `Type.field`, `Enum.VALUE`, `Input.field`) that lack a description. */
function undescribed(document: DocumentNode): string[] {
  const missing: string[] = [];
  const check = (coordinate: string, description: StringValueNode | undefined) => {
    if (!described(description)) missing.push(coordinate);
  };
  for (const definition of document.definitions as readonly DefinitionNode[]) {
    switch (definition.kind) {
      case Kind.OBJECT_TYPE_DEFINITION:
      case Kind.INTERFACE_TYPE_DEFINITION:
      case Kind.INPUT_OBJECT_TYPE_DEFINITION:
      case Kind.ENUM_TYPE_DEFINITION:
      case Kind.UNION_TYPE_DEFINITION:
      case Kind.SCALAR_TYPE_DEFINITION: {
        const type = definition.name.value;
        if (!ROOT_OPERATION_TYPES.has(type)) check(type, definition.description);
        if (definition.kind === Kind.ENUM_TYPE_DEFINITION) {
          for (const value of definition.values ?? []) check(`${type}.${value.name.value}`, value.description);
        } else if ('fields' in definition) {
          for (const field of definition.fields ?? []) check(`${type}.${field.name.value}`, field.description);
        }
        break;
      }
      // `extend type` cannot carry a description in SDL, but the fields it adds can.
      case Kind.OBJECT_TYPE_EXTENSION:
      case Kind.INTERFACE_TYPE_EXTENSION:
      case Kind.INPUT_OBJECT_TYPE_EXTENSION:
        for (const field of definition.fields ?? []) check(`${definition.name.value}.${field.name.value}`, field.description);
        break;
      case Kind.ENUM_TYPE_EXTENSION:
        for (const value of definition.values ?? []) check(`${definition.name.value}.${value.name.value}`, value.description);
        break;
      case Kind.DIRECTIVE_DEFINITION:
        check(`@${definition.name.value}`, definition.description);
        break;
      default:
        break;
    }
  }
  return missing;
}

const subgraphSdl = (name: string) => parse(readFileSync(path.join(REPO_ROOT, 'subgraphs', name, 'schema.graphql'), 'utf8'));

describe('subgraph SDL descriptions', () => {
  test.each(['users', 'orders'])(
    'when subgraphs/%s/schema.graphql is read, then every type, field, enum value and input field it defines has a description',
    (name) => {
      const document = subgraphSdl(name);
      // The file really defines something of each kind checked, so an empty result means something.
      const kinds = new Set(document.definitions.map((definition) => definition.kind));
      expect([...kinds]).toEqual(
        expect.arrayContaining([Kind.OBJECT_TYPE_DEFINITION, Kind.ENUM_TYPE_DEFINITION, Kind.INPUT_OBJECT_TYPE_DEFINITION]),
      );

      expect(undescribed(document)).toEqual([]);
    },
  );

  test('when a definition, a field, an enum value or an input field lacks a description, then each is reported', () => {
    const document = parse(/* GraphQL */ `
      """
      Described.
      """
      type Described {
        """
        Described.
        """
        ok: Int
        bare: Int
      }
      type Bare {
        """
        Described.
        """
        ok: Int
      }
      """
      Described.
      """
      enum Colour {
        """
        Described.
        """
        RED
        GREEN
      }
      input Filter {
        """
        """
        colour: Colour
      }
      scalar Instant
      type Query {
        """
        Described.
        """
        described: Int
        plain: Int
      }
    `);

    expect(undescribed(document)).toEqual(['Described.bare', 'Bare', 'Colour.GREEN', 'Filter', 'Filter.colour', 'Instant', 'Query.plain']);
  });
});
