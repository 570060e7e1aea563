/** Signs every account in on the users subgraph itself (the gateway's credential limit is not what is measured), four at a time. */
export async function signInAccounts(usersUrl: string, emails: string[], password: string): Promise<string[]> {
  const tokens: string[] = new Array(emails.length);
  let next = 0;
  const worker = async () => {
    while (next < emails.length) {
      const index = next++;
      const response = await fetch(`${usersUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: 'mutation BenchSignIn($input: SignInInput!) { signIn(input: $input) { token } }',
          variables: { input: { email: emails[index], password } },
        }),
      });
      const payload = (await response.json()) as { data?: { signIn?: { token?: string } }; errors?: unknown[] };
      const token = payload.data?.signIn?.token;
      if (!token) throw new Error(`sign-in of ${emails[index]} failed: ${JSON.stringify(payload.errors ?? payload)}`);
      tokens[index] = token;
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return tokens;
}
