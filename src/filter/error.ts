import { SondaError } from '../errors.js';

/**
 * A filter expression that cannot be compiled: bad syntax, or a primitive used where libpcap
 * refuses it (`port` with an IPv4 address, a mask with host bits set …). `position` is the
 * 0-based index of the offending character; the message ends with the expression and a caret
 * under that position.
 */
export class FilterSyntaxError extends SondaError {
  /** The reason alone, without the expression and caret. */
  readonly reason: string;

  constructor(
    reason: string,
    readonly expression: string,
    readonly position: number,
  ) {
    super('SONDA_E_BAD_FILTER', `filter: ${reason}\n  ${expression}\n  ${' '.repeat(Math.max(0, position))}^`);
    this.reason = reason;
  }
}
