import { randomUUID } from 'node:crypto';
import type { GraphQLSend } from '../../support/graphql-client';

/** Anything the subscription tests drive the shop through: the in-process or the process platform. */
interface Shop {
  gql: GraphQLSend;
}

/** A new customer (a fresh email each time): their token and account id. */
export async function signUpCustomer(
  shop: Shop,
  name = 'Someone',
  password = 'a long enough password',
): Promise<{ token: string; id: string }> {
  const response = await shop.gql<{ signUp: { token: string; user: { id: string } } }>(
    'mutation SignUp($input: SignUpInput!) { signUp(input: $input) { token user { id } } }',
    { input: { email: `${randomUUID()}@example.com`, password, name } },
  );
  expect(response.errors).toEqual([]);
  return { token: response.data!.signUp.token, id: response.data!.signUp.user.id };
}

/** One order of the seeded keyboard (KB-001) under its own idempotency key: its id. */
export async function placeKeyboardOrder(shop: Shop, token: string, quantity = 1): Promise<string> {
  const response = await shop.gql<{ placeOrder: { id: string } }>(
    'mutation PlaceOrder($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
    { input: { items: [{ sku: 'KB-001', quantity }], idempotencyKey: randomUUID() } },
    { token },
  );
  expect(response.errors).toEqual([]);
  return response.data!.placeOrder.id;
}
