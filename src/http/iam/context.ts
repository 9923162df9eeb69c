/** What IAM and STS Query-API handlers receive, and what they return: the members of `<XResult>`. */
import type { IamContext } from '../../auth/iam-authorize.js';
import type { Caller } from '../../auth/iam-types.js';
import type { XmlObject } from '../xml.js';
import type { ParamReader } from './params.js';

export interface QueryCtx {
  readonly iam: IamContext;
  readonly caller: Caller;
}

/** Reads and checks its members (ending with `p.done()`), calls the domain, returns the result members (undefined: no result element). */
export type QueryHandler = (c: QueryCtx, p: ParamReader) => Promise<XmlObject | undefined>;
