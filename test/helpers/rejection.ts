/** The error a promise rejects with, asserted to be of `type` (a promise that resolves fails the test). */
import { expect } from 'vitest';

export async function rejectionOf<E>(promise: Promise<unknown>, type: abstract new (...args: never[]) => E): Promise<E> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(type);
  return error as E;
}
