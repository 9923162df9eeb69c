/**
 * The IAM and STS error catalog: AWS's Query-API error codes with their HTTP status (from the
 * services' models) and whether the sender or the service is at fault (`<Type>` in the error XML).
 * IAM/STS domain code throws `IamError`; the Query-API edge renders it.
 */

export const IamErrorCatalog = {
  AccessDenied: 403,
  DeleteConflict: 409,
  EntityAlreadyExists: 409,
  ExpiredToken: 403,
  IncompleteSignature: 400,
  InternalFailure: 500,
  InvalidAction: 400,
  InvalidClientTokenId: 403,
  InvalidInput: 400,
  InvalidParameterValue: 400,
  LimitExceeded: 409,
  MalformedPolicyDocument: 400,
  MissingAction: 400,
  MissingAuthenticationToken: 403,
  NoSuchEntity: 404,
  NotImplemented: 501,
  PackedPolicyTooLarge: 400,
  PolicyNotAttachable: 400,
  RequestEntityTooLarge: 413,
  ServiceFailure: 500,
  SignatureDoesNotMatch: 403,
  UnmodifiableEntity: 400,
  ValidationError: 400,
} as const satisfies Record<string, number>;

export type IamErrorCode = keyof typeof IamErrorCatalog;

export class IamError extends Error {
  readonly code: IamErrorCode;
  readonly status: number;
  /** 'Receiver' for the service's own failures, else 'Sender'. */
  readonly type: 'Sender' | 'Receiver';

  constructor(code: IamErrorCode, message: string) {
    super(message);
    this.name = 'IamError';
    this.code = code;
    this.status = IamErrorCatalog[code];
    this.type = this.status >= 500 ? 'Receiver' : 'Sender';
  }
}

export function isIamError(e: unknown): e is IamError {
  return e instanceof IamError;
}

/** AWS's wording for a constraint failure of one request member ("1 validation error detected: …"). */
export function validationError(failures: readonly string[]): IamError {
  const n = failures.length;
  return new IamError('ValidationError', `${n} validation error${n === 1 ? '' : 's'} detected: ${failures.join('; ')}`);
}
