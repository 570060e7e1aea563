/** Bearer-token verification against the users service's JWKS, and the verified viewer. */
export * from './viewer';
export * from './token-verifier';
export * from './remote-key-set';
export * from './session-headers';
