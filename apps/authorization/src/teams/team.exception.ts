import { CodedError } from '@warden/contracts';

export enum TeamErrorCode {
  AlreadyExists = 'TEAM_ALREADY_EXISTS',
  NameTaken = 'TEAM_NAME_TAKEN',
  InvalidReference = 'TEAM_INVALID_REFERENCE',
}

const statusOf: Record<TeamErrorCode, number> = {
  [TeamErrorCode.AlreadyExists]: 409,
  [TeamErrorCode.NameTaken]: 409,
  [TeamErrorCode.InvalidReference]: 400,
};

export class TeamError extends CodedError<TeamErrorCode> {
  constructor(code: TeamErrorCode, message: string) {
    super(code, message, statusOf);
  }
}
