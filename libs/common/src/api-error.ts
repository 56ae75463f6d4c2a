import { HttpStatus } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** Machine-readable codes of the settings API's errors. */
export enum ApiErrorCode {
  ValidationFailed = 'validation_failed',
  InvalidJson = 'invalid_json',
  Unauthorized = 'unauthorized',
  Forbidden = 'forbidden',
  NotFound = 'not_found',
  Conflict = 'conflict',
  PayloadTooLarge = 'payload_too_large',
  UnsupportedMediaType = 'unsupported_media_type',
  MethodNotAllowed = 'method_not_allowed',
  TooManyRequests = 'too_many_requests',
  ServiceUnavailable = 'service_unavailable',
  Internal = 'internal_error',
}

export class ApiFieldError {
  @ApiProperty({ example: 'name' }) field!: string;
  @ApiProperty({ example: 'name must be shorter than or equal to 200 characters' }) message!: string;
}

/** The one error shape of the settings API. */
export class ApiErrorBody {
  @ApiProperty({ example: 404 }) status!: number;
  @ApiProperty({ enum: ApiErrorCode, example: ApiErrorCode.NotFound }) code!: ApiErrorCode;
  @ApiProperty({ example: 'Group not found' }) message!: string;
  @ApiProperty({ example: '5b0b8f0c-6a55-4a8e-9d0e-7f4f1b2f4a11' }) requestId!: string;
  @ApiPropertyOptional({ type: [ApiFieldError] }) errors?: ApiFieldError[];
}

/** A typed error of the settings API; the API exception filter renders it as ApiErrorBody. */
export class ApiException extends Error {
  constructor(
    readonly status: HttpStatus,
    readonly code: ApiErrorCode,
    message: string,
    readonly errors?: ApiFieldError[],
  ) {
    super(message);
    this.name = 'ApiException';
  }

  static notFound(what: string): ApiException {
    return new ApiException(HttpStatus.NOT_FOUND, ApiErrorCode.NotFound, `${what} not found`);
  }

  static conflict(message: string): ApiException {
    return new ApiException(HttpStatus.CONFLICT, ApiErrorCode.Conflict, message);
  }

  static validation(field: string, message: string): ApiException {
    return new ApiException(HttpStatus.BAD_REQUEST, ApiErrorCode.ValidationFailed, message, [
      { field, message },
    ]);
  }
}
