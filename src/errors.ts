/**
 * Errors of the environment (files, options), never of packet bytes: those are counted as
 * weirds. Each error has a stable code so that programs can branch on it.
 */
export type SondaErrorCode =
  | 'SONDA_E_NOT_FOUND'
  | 'SONDA_E_UNREADABLE'
  | 'SONDA_E_NOT_CAPTURE'
  | 'SONDA_E_BAD_OPTION'
  | 'SONDA_E_BAD_PROTOS'
  | 'SONDA_E_BAD_FILTER'
  | 'SONDA_E_BAD_RULE'
  | 'SONDA_E_BAD_PLUGIN'
  | 'SONDA_E_CAPTURE';

export class SondaError extends Error {
  override readonly name = 'SondaError';
  constructor(
    readonly code: SondaErrorCode,
    message: string,
  ) {
    super(message);
  }
}
