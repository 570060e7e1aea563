import { useApolloClient, useMutation } from '@apollo/client/react';
import { useState, type FormEvent } from 'react';
import { Link, navigate, useLocation, usePageTitle } from '../app/router';
import { useSession } from '../app/services-context';
import { describeError, type ErrorDescription } from '../errors/describe-error';
import { ErrorNotice } from '../errors/error-notice';
import { SignInDocument, SignUpDocument } from '../graphql/generated/graphql';
import { textField } from '../form-fields';

/** Where to go after signing in: the page that asked (same-site paths only), else the catalog. */
function nextPath(search: URLSearchParams): string {
  const next = search.get('next');
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

/**
 * Sign in and sign up. On success the access token goes to memory (session-store.ts) and the
 * gateway sets the refresh cookie; the cart, kept in localStorage, is still there.
 */
export function AuthPage({ mode }: { mode: 'sign-in' | 'sign-up' }) {
  const title = mode === 'sign-in' ? 'Sign in' : 'Create an account';
  usePageTitle(title);
  const { search } = useLocation();
  const { state, session } = useSession();
  const client = useApolloClient();
  const [signIn, signInState] = useMutation(SignInDocument);
  const [signUp, signUpState] = useMutation(SignUpDocument);
  const [error, setError] = useState<ErrorDescription | null>(null);
  const pending = signInState.loading || signUpState.loading;

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = textField(form, 'email');
    const password = textField(form, 'password');
    setError(null);
    try {
      const payload =
        mode === 'sign-in'
          ? (await signIn({ variables: { input: { email, password } } })).data?.signIn
          : (await signUp({ variables: { input: { email, password, name: textField(form, 'name') } } })).data?.signUp;
      if (!payload) throw new Error('no session in the answer');
      // Another account's cached data must not show: start the cache afresh.
      await client.clearStore();
      session.start(payload);
      navigate(nextPath(search), { replace: true });
    } catch (caught) {
      setError(describeError(caught));
    }
  }

  const fieldError = (field: string) => (error?.field === field ? error.message : null);
  return (
    <section aria-labelledby="page-heading" className="narrow">
      <h1 id="page-heading" tabIndex={-1}>
        {title}
      </h1>
      {state.status === 'anonymous' && state.ended && mode === 'sign-in' ? (
        <p className="notice" role="status">
          Your session has ended. Sign in again: your cart is kept.
        </p>
      ) : null}
      {error && !error.field ? <ErrorNotice error={error} /> : null}
      <form onSubmit={(event) => void submit(event)} noValidate={false} aria-busy={pending}>
        {mode === 'sign-up' ? (
          <Field label="Name" name="name" autoComplete="name" required maxLength={100} error={fieldError('input.name')} />
        ) : null}
        <Field label="Email" name="email" type="email" autoComplete="email" required error={fieldError('input.email')} />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete={mode === 'sign-in' ? 'current-password' : 'new-password'}
          required
          minLength={8}
          hint={mode === 'sign-up' ? 'At least 8 characters.' : undefined}
          error={fieldError('input.password')}
        />
        <button type="submit" disabled={pending}>
          {pending ? 'Please wait…' : title}
        </button>
      </form>
      <p>
        {mode === 'sign-in' ? (
          <>
            New here? <Link to={`/sign-up${window.location.search}`}>Create an account</Link>
          </>
        ) : (
          <>
            Have an account? <Link to={`/sign-in${window.location.search}`}>Sign in</Link>
          </>
        )}
      </p>
    </section>
  );
}

/** A labelled input with its hint and error tied to it for assistive technology. */
export function Field({
  label,
  name,
  hint,
  error,
  ...input
}: { label: string; name: string; hint?: string | undefined; error?: string | null } & React.InputHTMLAttributes<HTMLInputElement>) {
  const id = `field-${name}`;
  const described = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} name={name} aria-invalid={error ? true : undefined} aria-describedby={described} {...input} />
      {hint ? (
        <small id={`${id}-hint`} className="muted">
          {hint}
        </small>
      ) : null}
      {error ? (
        <small id={`${id}-error`} className="field-error" role="alert">
          {error}
        </small>
      ) : null}
    </div>
  );
}
