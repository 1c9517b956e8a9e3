// Typed errors that services throw and the middleware maps to the error shape of docs/api.md §Errors.

export type ErrorCode =
  | 'bad-request'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'method-not-allowed'
  | 'conflict'
  | 'gone'
  | 'payload-too-large'
  | 'unsupported-media-type'
  | 'unprocessable';

const STATUS: Record<ErrorCode, number> = {
  'bad-request': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  'method-not-allowed': 405,
  conflict: 409,
  gone: 410,
  'payload-too-large': 413,
  'unsupported-media-type': 415,
  unprocessable: 422,
};

export class DomainError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
    this.status = STATUS[code];
  }
}

export const badRequest = (message: string, details?: Record<string, unknown>) =>
  new DomainError('bad-request', message, details);
export const notFound = (what: string) => new DomainError('not-found', `${what} not found`);
export const conflict = (message: string) => new DomainError('conflict', message);
export const unprocessable = (message: string, details?: Record<string, unknown>) =>
  new DomainError('unprocessable', message, details);
export const forbidden = (message: string) => new DomainError('forbidden', message);
export const gone = (message: string) => new DomainError('gone', message);

/** A conditional write lost a race (another writer changed the item first). */
export class ConcurrentUpdateError extends DomainError {
  constructor(what: string) {
    super('conflict', `${what} was changed by another request; retry`);
    this.name = 'ConcurrentUpdateError';
  }
}
